"""The key check's one read: a key, its owner, whether the account has an API whitelist and
whether the owner has a second factor.

One constant SELECT, written once per process from the models' `_meta` (table and column
names), run through Django's connection like any other query: its health checks, error
translation, query logging and `assertNumQueries` all apply. Its parameters are named, so
Django's SQLite cursor turns it into SQLite's form with one `%` format rather than a regular
expression over the statement. Values go through the fields' own conversions (`to_python`,
`from_db_value`). The answer is a small `KeyRow`; model instances are loaded only by
the endpoints that need them (`KeyRow.instance()`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.utils import timezone

from accounts.models import User, scopes_for
from accounts.otp import second_factor_sql
from security.models import IPWhitelistEntry

from .models import APIKey, KeyRules

_KEY_FIELDS = ("id", "user_id", "lookup_id", "secret_hash", "state", "grace_until",
               "expires_at", "signing", "signing_secret_encrypted", "type", "locked_ip",
               "scopes", "rate_limit_per_minute", "mode")
_USER_FIELDS = ("username", "email", "is_active", "owner_id", "permissions")
_API_KIND = str(IPWhitelistEntry.Kind.API)


@dataclass(slots=True)
class KeyRow(KeyRules):
    """What the check reads of a key and of its owner. Never holds the key itself."""

    pk: int
    user_id: int
    lookup_id: str
    secret_hash: str
    state: str
    grace_until: datetime | None
    expires_at: datetime | None
    signing: bool
    signing_secret_encrypted: str
    type: str
    locked_ip: str | None
    scopes: tuple[str, ...]
    rate_limit_per_minute: int | None
    mode: str  # "live" or "test" (APIKey.Mode)
    username: str
    email: str
    user_active: bool
    owner_id: int | None
    permissions: tuple[str, ...]
    account_api_listed: bool  # the account (the owner's, for a sub-user) has an API whitelist
    two_factor: bool  # the user has a second factor on (GET /me says so)
    _scopes: list[str] | None = field(default=None, repr=False, compare=False)

    @property
    def account_id(self) -> int:
        return self.owner_id or self.user_id

    def holder_scopes(self) -> list[str]:
        return scopes_for(self.owner_id, self.permissions)

    def effective_scopes(self) -> list[str]:
        # The check asks (the endpoint's scope), then the request's principal: worked out
        # once per request, from what this request read.
        if self._scopes is None:
            self._scopes = KeyRules.effective_scopes(self)
        return list(self._scopes)

    def user(self) -> User:
        """The key's user as a model instance (one read by primary key)."""
        return User.objects.get(pk=self.user_id)

    def instance(self) -> APIKey:
        """The key as a model instance, with its user (two indexed reads by primary key)."""
        return APIKey.objects.select_related("user").get(pk=self.pk)

    def __repr__(self) -> str:  # the hash and the encrypted secret stay out of logs
        return f"KeyRow(lookup_id={self.lookup_id!r}, user_id={self.user_id})"


@cache
def _sql(vendor: str) -> str:
    qn = connection.ops.quote_name
    key, user, listed = APIKey._meta, User._meta, IPWhitelistEntry._meta

    def column(meta, name: str, alias: str) -> str:
        return f"{alias}.{qn(meta.get_field(name).column)}"

    columns = [column(key, name, "k") for name in _KEY_FIELDS]
    columns += [column(user, name, "u") for name in _USER_FIELDS]
    exists = (f"SELECT 1 FROM {qn(listed.db_table)} w "  # noqa: S608 - names from _meta
              f"WHERE {column(listed, 'user_id', 'w')} = COALESCE({column(user, 'owner_id', 'u')}, "
              f"{column(user, 'id', 'u')}) AND {column(listed, 'kind', 'w')} = %(kind)s")
    two_factor = second_factor_sql(column(user, "id", "u"))
    return (f"SELECT {', '.join(columns)}, EXISTS({exists}), {two_factor} "  # noqa: S608
            f"FROM {qn(key.db_table)} k INNER JOIN {qn(user.db_table)} u "
            f"ON u.{qn(user.pk.column)} = {column(key, 'user_id', 'k')} "
            f"WHERE {column(key, 'lookup_id', 'k')} = %(lookup_id)s")


def _converter(field: models.Field):
    """How one column's value becomes the row's (None passes through)."""
    if isinstance(field, models.JSONField):
        def listed(value):
            return tuple(field.from_db_value(value, None, connection) or ())
        # Keys share a few lists of scopes and permissions: each text is decoded once per
        # process (the tuple is immutable). A driver that already decoded it passes through.
        known = lru_cache(maxsize=512)(listed)
        return lambda value: known(value) if isinstance(value, str) else listed(value)
    if isinstance(field, models.DateTimeField):
        def moment(value):
            value = field.to_python(value)
            # SQLite keeps UTC without a zone; PostgreSQL answers with one.
            return value.replace(tzinfo=UTC) if timezone.is_naive(value) else value
        return moment
    if isinstance(field, models.BooleanField):
        return bool
    return None


@cache
def _converters() -> tuple[tuple[int, object], ...]:
    """(column index, conversion) for the columns whose value the row does not take as read:
    most columns (ids, text, integers) need none, and a conversion costs a call."""
    fields = ([APIKey._meta.get_field(name) for name in _KEY_FIELDS]
              + [User._meta.get_field(name) for name in _USER_FIELDS])
    converters = [_converter(field) for field in fields] + [bool, bool]
    return tuple((index, convert) for index, convert in enumerate(converters)
                 if convert is not None)


def find(lookup_id: str) -> KeyRow | None:
    """The key with this public id, its owner and the whitelist flag, in one query."""
    # The connection is looked up once: each attribute read through `django.db.connection`
    # looks it up again (a few us each, on every API request).
    db = connections[DEFAULT_DB_ALIAS]
    with db.cursor() as cursor:
        cursor.execute(_sql(db.vendor), {"lookup_id": lookup_id, "kind": _API_KIND})
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, convert in _converters():
        if values[index] is not None:
            values[index] = convert(values[index])
    return KeyRow(*values)
