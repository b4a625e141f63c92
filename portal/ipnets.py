"""IP addresses and CIDR ranges (IPv4 and IPv6), validated with the standard library.

Every whitelist in the project (the account's portal and API lists, a key's own list)
parses entries with `parse_network` and matches with `ip_in`; nothing else parses them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_network(value: str) -> Network:
    """Parse "203.0.113.7", "203.0.113.0/24", "2001:db8::/32"; refuse anything else.

    A range with host bits set ("203.0.113.7/24") is refused rather than silently widened,
    so that what is saved is what the user meant.
    """
    text = (value or "").strip()
    if not text:
        raise ValidationError(_("Enter an IP address or a range."), code="required")
    if len(text) > 64:
        raise ValidationError(_("That is too long to be an IP address or range."), code="invalid")
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError:
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValidationError(
                _("“%(value)s” is not an IP address or range. Use e.g. 203.0.113.7, "
                  "203.0.113.0/24 or 2001:db8::/32.") % {"value": text[:64]},
                code="invalid",
            ) from None
        raise ValidationError(
            _("“%(value)s” has host bits set: did you mean %(net)s?")
            % {"value": text, "net": ipaddress.ip_network(text, strict=False)},
            code="host_bits",
        ) from None
    if network.prefixlen == 0:
        raise ValidationError(_("A range that covers every address is not a restriction."),
                              code="everything")
    return network


def ip_in(ip: str, networks: Iterable[str | Network]) -> bool:
    """Is `ip` inside any of `networks`? A malformed `ip` is inside none."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    for net in networks:
        network = net if not isinstance(net, str) else ipaddress.ip_network(net, strict=False)
        if address.version == network.version and address in network:
            return True
    return False
