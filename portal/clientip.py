"""The client's IP address, the one way every app reads it.

Only REMOTE_ADDR is trusted unless the operator lists the reverse proxies in front of the
portal (TRUSTED_PROXIES: addresses or CIDR ranges). X-Forwarded-For is read only when the
request itself comes from such a proxy, and then from the right: the first hop that is not
a trusted proxy is the client. A client can prepend anything to that header, so reading it
from the left (python-ipware's default) would let it forge its address past an allow-list.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _parse(value: str) -> str:
    # No address is longer than this, bracketed, with a port and a zone: anything longer is
    # refused before it can take room in the cache below.
    return _parse_short(value) if len(value) <= 100 else ""


@lru_cache(maxsize=4096)  # a pure function of the text; API clients repeat their address
def _parse_short(value: str) -> str:
    value = value.strip().strip('"')
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:443"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def _trusted(ip: str, networks: tuple[Network, ...]) -> bool:
    if not ip:
        return False
    address = ipaddress.ip_address(ip)
    return any(address in net for net in networks)


def client_ip(request: HttpRequest) -> str:
    """Return the client's address as a normalised string ("" if there is none)."""
    cached = getattr(request, "_client_ip", None)
    if cached is not None:
        return cached
    ip = _parse(request.META.get("REMOTE_ADDR", "") or "")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if networks and _trusted(ip, networks):
        hops = [_parse(h) for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        for hop in reversed(hops):
            if not hop:
                break  # a malformed hop: trust nothing to its left
            ip = hop
            if not _trusted(hop, networks):
                break
    request._client_ip = ip  # type: ignore[attr-defined]
    return ip


def axes_client_ip(request: HttpRequest) -> str:
    """django-axes hook (AXES_CLIENT_IP_CALLABLE): the same rule as everywhere else."""
    return client_ip(request)
