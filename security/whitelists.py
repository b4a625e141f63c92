"""The account's two IP whitelists: portal sign-in and API. Other apps call `ip_allowed`.

Entries are validated by security.forms.WhitelistEntryForm (the page's and any API's one
form) and changed only through `add_entry` / `remove_entry`, which record the event and
e-mail the account.
"""

from __future__ import annotations

import ipaddress
from functools import cache

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import ratelimit
from portal.ipnets import Network, ip_in

from . import emails
from .events import record
from .models import EventType, IPWhitelistEntry

PORTAL = IPWhitelistEntry.Kind.PORTAL
API = IPWhitelistEntry.Kind.API


@cache
def _entries_sql() -> str:
    qn = connection.ops.quote_name
    # Names from the model, values as parameters: nothing from a client is formatted in.
    return (f"SELECT {qn('value')} FROM {qn(IPWhitelistEntry._meta.db_table)} "  # noqa: S608
            f"WHERE {qn('user_id')} = %(user)s AND {qn('kind')} = %(kind)s ORDER BY {qn('id')}")


def entries(user_id: int, kind: str) -> list[str]:
    # Plain SQL on Django's connection: this runs on every signed-in page (and API requests
    # of accounts with a list), and the ORM would build even this small query anew each time.
    with connection.cursor() as cursor:
        cursor.execute(_entries_sql(), {"user": user_id, "kind": str(kind)})
        return [row[0] for row in cursor.fetchall()]


def ip_allowed(user_id: int, kind: str, ip: str) -> bool:
    """May `ip` use the account's `kind` surface ("portal" or "api")? One query.

    `user_id` is the account's: pass `user.account_id`, so that a sub-user is held to its
    owner's lists. An empty list means no restriction.
    """
    values = entries(user_id, kind)
    return not values or ip_in(ip, values)


def note_refused_sign_in(request: HttpRequest, user, kind: str, ip: str, *,
                         passkey: bool = False) -> None:
    """The right password (or, with `passkey`, a passkey) came from outside the account's
    `kind` list.

    The client is answered as for a wrong password (so the list cannot be used to test
    passwords); the account is told instead: an event (at most one a minute per address)
    and an e-mail (at most one an hour per address).
    """
    if ratelimit.first_time(f"signin-refused:event:{user.pk}:{ip}", 60):
        record(request, EventType.REQUEST_BLOCKED, user=user, surface=str(kind), stage="signin")
    if ratelimit.first_time(f"signin-refused:mail:{user.pk}:{ip}", 60 * 60):
        emails.sign_in_refused(user, when=timezone.now(), ip=ip, kind=str(kind),
                               passkey=passkey)


def as_text(network: Network) -> str:
    """How an entry is stored: a single address without "/32" or "/128", a range in full."""
    if network.prefixlen == network.max_prefixlen:
        return network.network_address.compressed
    return network.compressed


def same_network(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_network(a, strict=False) == ipaddress.ip_network(b, strict=False)
    except ValueError:
        return False


def removal_locks_out(entry: IPWhitelistEntry, ip: str) -> bool:
    """Would removing `entry` from the portal list shut out `ip` (the remover's address)?"""
    if entry.kind != PORTAL:
        return False
    rest = [v for v in entries(entry.user_id, PORTAL) if v != entry.value]
    return bool(rest) and not ip_in(ip, rest)


def _describe(kind: str) -> str:
    return _("portal sign-in") if kind == PORTAL else _("API")


def add_entry(
    request: HttpRequest, user, kind: str, value: str, label: str = ""
) -> IPWhitelistEntry:
    """Add a validated entry (see WhitelistEntryForm) to one of the account's lists."""
    entry = IPWhitelistEntry.objects.create(user=user, kind=kind, value=value, label=label)
    record(request, EventType.WHITELIST_CHANGED, user=user, list=kind, action="added",
           value=value, label=label[:100])
    emails.whitelist_changed(user, _("%(value)s was added to your %(list)s IP whitelist.")
                             % {"value": value, "list": _describe(kind)})
    return entry


def remove_entry(request: HttpRequest, entry: IPWhitelistEntry) -> None:
    user = entry.user
    entry.delete()
    record(request, EventType.WHITELIST_CHANGED, user=user, list=entry.kind, action="removed",
           value=entry.value)
    emails.whitelist_changed(user, _("%(value)s was removed from your %(list)s IP whitelist.")
                             % {"value": entry.value, "list": _describe(entry.kind)})
