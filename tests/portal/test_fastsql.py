"""portal.fastsql runs statements as Django's cursor would, and stays visible to tools."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from portal import fastsql


@pytest.mark.django_db
def test_it_returns_what_djangos_cursor_returns(make_user):
    alice = make_user("alice")
    sql = "SELECT username, %s, '100%%' FROM accounts_user WHERE id = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [7, alice.pk])
        expected = cursor.fetchone()
    assert fastsql.fetchone(sql, [7, alice.pk]) == expected == ("alice", 7, "100%")
    assert fastsql.fetchall(sql, [7, alice.pk]) == [expected]
    assert fastsql.fetchone(sql, [7, alice.pk + 1]) is None


@pytest.mark.django_db
def test_the_queries_are_seen_when_someone_counts_them(make_user):
    make_user("alice")
    with CaptureQueriesContext(connection) as queries:
        assert fastsql.fetchone("SELECT COUNT(*) FROM accounts_user") == (1,)
    assert [q["sql"] for q in queries.captured_queries] == ["SELECT COUNT(*) FROM accounts_user"]


@pytest.mark.django_db
def test_a_database_error_is_djangos(make_user):
    with pytest.raises(DatabaseError):
        fastsql.fetchone("SELECT no_such_column FROM accounts_user")


@pytest.mark.django_db
def test_the_key_checks_lookup_is_a_prepared_statement_on_postgresql(make_user):
    from apikeys import flows
    from apikeys.checks import check_key

    created = flows.create_key(None, make_user("alice"), description="d", type="cloud")
    for _ in range(2):
        assert check_key(created.full_key, ip="203.0.113.7").ok
    if connection.vendor == "postgresql":  # the CI's second run
        prepared = fastsql.fetchall("SELECT statement FROM pg_prepared_statements")
        assert any("apikeys_apikey" in statement for (statement,) in prepared), prepared
    else:  # SQLite keeps every statement prepared in its own cache
        assert connection.vendor == "sqlite"
