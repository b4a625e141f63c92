"""Running the API's few hot SQL statements without Django's per-call SQL rewriting.

On SQLite, Django's cursor rewrites every statement from "%s" to "?" placeholders with a
regular expression, on every call: measured on the key lookup (a 1.7 KB statement) that
cost ~100 µs a call, three times more than running the query (bench/keycheck.py). The
statements here are constants, so they are rewritten once and then run on the database
driver's own cursor, inside Django's error translation.

On PostgreSQL they are prepared statements (psycopg's server-side binding, prepared once
per connection): planning the key lookup cost four times running it. Behind PgBouncer in
transaction mode that needs PgBouncer 1.21+ with `max_prepared_statements` set.

When something watches the queries (`assertNumQueries`, the debug cursor with DEBUG on, an
`execute_wrapper`), statements go through Django's cursor as usual, so they are seen.
Statements use "%s" placeholders, as with `cursor.execute`; names come from the models and
every value is a parameter.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.db import connections

try:
    import psycopg
except ImportError:  # SQLite only
    psycopg = None

_FORMAT_QMARK = re.compile(r"(?<!%)%s")  # the rewrite Django's SQLite backend does


@lru_cache(maxsize=256)
def _for_driver(vendor: str, sql: str) -> str:
    if vendor == "sqlite":
        return _FORMAT_QMARK.sub("?", sql).replace("%%", "%")
    return sql  # psycopg takes "%s" as it is


def _run(sql: str, params, alias: str, fetch):
    connection = connections[alias]
    if connection.queries_logged or connection.execute_wrappers:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return fetch(cursor)
    if connection.connection is None or connection.needs_rollback:
        connection.ensure_connection()  # what Django's cursor() checks first
        connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        if connection.vendor == "postgresql":
            # Server-side binding, so that the statement is prepared once per connection:
            # PostgreSQL planned the key lookup in 0.3 ms and ran it in 0.08 ms.
            cursor = psycopg.Cursor(connection.connection)
            try:
                cursor.execute(sql, params, prepare=True)
                return fetch(cursor)
            finally:
                cursor.close()
        cursor = connection.connection.cursor()
        try:
            cursor.execute(_for_driver(connection.vendor, sql), params)
            return fetch(cursor)
        finally:
            cursor.close()


def fetchone(sql: str, params=(), alias: str = "default"):
    """Run `sql` and return its first row (a tuple), or None."""
    return _run(sql, params, alias, lambda cursor: cursor.fetchone())


def fetchall(sql: str, params=(), alias: str = "default") -> list:
    """Run `sql` and return all its rows."""
    return _run(sql, params, alias, lambda cursor: cursor.fetchall())
