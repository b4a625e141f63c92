"""The client's IP address, the one way every app reads it.

The rule is ours: only REMOTE_ADDR is trusted unless the operator lists the reverse proxies
in front of the portal (TRUSTED_PROXIES: addresses or CIDR ranges). X-Forwarded-For is read
only when the request itself comes from such a proxy, and then from the right: the first hop
that is not a trusted proxy is the client, and a malformed hop ends the walk (nothing to its
left can be trusted). A client can prepend anything to that header, so reading it from the
left (ipware's default) would let it forge its address past an allow-list.

Reading each address is django-ipware's (`ipware.get_client_ip`, on python-ipware's engine:
ports, brackets, quotes, IPv4-mapped and NAT64 forms, zone ids; anything else refused, never
guessed at), asked about one hop at a time. Its own proxy options cannot state the rule:
`proxy_trusted_ips` must match the chain's last hops one by one, in order, and `proxy_count`
fixes how many there are, while TRUSTED_PROXIES is a set of networks any of which may be any
of the last hops; and in its strict mode one forged hop on the left voids the whole header.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from types import SimpleNamespace

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


def _parse(value: str) -> str:
    # No address is longer than this, bracketed, with a port and a zone: anything longer is
    # refused before it can take room in the cache below.
    return _parse_short(value) if len(value) <= 100 else ""


@lru_cache(maxsize=4096)  # a pure function of the text; API clients repeat their address
def _parse_short(value: str) -> str:
    if "=" in value:  # an RFC 7239 "for=" element belongs to Forwarded, never to these headers
        return ""
    # One address at a time: a "header" of exactly one hop, no proxies, strict: text that is
    # not one address is refused. (Every argument explicit, so no IPWARE_* setting applies.)
    one_hop = SimpleNamespace(META={"ADDRESS": value})
    address, _routable = get_client_ip(one_hop, proxy_order="right-most", proxy_count=0,
                                       request_header_order=("ADDRESS",), strict=True,
                                       algorithm="modern")
    return address or ""


@lru_cache(maxsize=4096)
def _trusted(ip: str, proxies: tuple[str, ...]) -> bool:
    if not ip:
        return False
    address = ipaddress.ip_address(ip)
    return any(address in net for net in _networks(proxies))


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network,
                                                 ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def client_ip(request: HttpRequest) -> str:
    """Return the client's address as a normalised string ("" if there is none)."""
    cached = getattr(request, "_client_ip", None)
    if cached is not None:
        return cached
    ip = _parse(request.META.get("REMOTE_ADDR", "") or "")
    proxies = tuple(settings.TRUSTED_PROXIES)
    if proxies and _trusted(ip, proxies):
        for raw in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
            hop = _parse(raw)
            if not hop:
                break  # a malformed hop: trust nothing to its left
            ip = hop
            if not _trusted(hop, proxies):
                break
    request._client_ip = ip  # type: ignore[attr-defined]
    return ip


def axes_client_ip(request: HttpRequest) -> str:
    """django-axes hook (AXES_CLIENT_IP_CALLABLE): the same rule as everywhere else."""
    return client_ip(request)
