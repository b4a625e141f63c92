"""Which client addresses a key accepts, by its type: one rule for the key check, the lock on
the first address, the key's own whitelist, and the pages that tell its owner.

- Default: the first address that uses it (the key locks there), and its whitelist.
- Cloud: any address.
- Zoho CRM: Zoho's outgoing ranges, as the operator lists them (ZOHO_CRM_ALLOWED_RANGES).
  While none are listed, like a Default key: Zoho publishes its ranges per data centre and we
  cannot vouch for a list offline, and a key that no address may use is of use to no one.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from .models import APIKey


def locks_to_first_ip(key_type: str) -> bool:
    """Does a key of this type lock to the first address that uses it (more only through its
    whitelist)? Default keys always; Zoho CRM keys while no Zoho ranges are set."""
    return key_type == APIKey.Type.DEFAULT or (
        key_type == APIKey.Type.ZOHO_CRM and not settings.ZOHO_CRM_ALLOWED_RANGES)


def accepted(key_type: str) -> str:
    """Where a key of this type may be used from, in one sentence for its owner."""
    if key_type == APIKey.Type.CLOUD:
        return _("Accepted from any IP address.")
    if not locks_to_first_ip(key_type):
        return _("Accepted only from the Zoho CRM address ranges set on this portal: "
                 "%(ranges)s.") % {"ranges": ", ".join(settings.ZOHO_CRM_ALLOWED_RANGES)}
    if key_type == APIKey.Type.ZOHO_CRM:
        return _("Accepted from the first IP address that uses it, and from the addresses on "
                 "its whitelist: no Zoho CRM address ranges are set on this portal yet.")
    return _("Accepted from the first IP address that uses it, and from the addresses on its "
             "whitelist.")
