"""`{% accepted_addresses key.type %}` and `key.type|locks_to_first_ip` (apikeys.addresses)."""

from __future__ import annotations

from django import template

from apikeys import addresses

register = template.Library()
register.simple_tag(addresses.accepted, name="accepted_addresses")
register.filter("locks_to_first_ip", addresses.locks_to_first_ip)
