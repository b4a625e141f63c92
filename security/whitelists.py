"""The account's two IP whitelists: portal sign-in and API. Other apps call `ip_allowed`."""

from __future__ import annotations

from portal.ipnets import ip_in

from .models import IPWhitelistEntry

PORTAL = IPWhitelistEntry.Kind.PORTAL
API = IPWhitelistEntry.Kind.API


def entries(user_id: int, kind: str) -> list[str]:
    return list(
        IPWhitelistEntry.objects.filter(user_id=user_id, kind=kind).values_list("value", flat=True)
    )


def ip_allowed(user_id: int, kind: str, ip: str) -> bool:
    """May `ip` use the account's `kind` surface ("portal" or "api")? One query.

    An empty list means no restriction.
    """
    values = entries(user_id, kind)
    return not values or ip_in(ip, values)
