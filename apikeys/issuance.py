"""THE issuance rule: what a new key may be, given who asks for it (SEC-42).

API.md: "A key never creates a key beyond itself: without `scopes` the new key gets the
issuing key's own effective scopes; asking for a scope it lacks is 403 `INSUFFICIENT_SCOPE`
and creates nothing. A key creates keys of its own mode only; a Default key creates only
Default keys, locked to its own locked IP with a copy of its whitelist; a signing key only
signing keys; the new key expires no later than the issuing key. A JWT (the person) may
create any key its user's permissions allow."

`flows.create_key` applies it before anything is written, so the pages, the API and any admin
action are held to it alike. The user's permissions always cap (a sub-user's
`allowed_scopes()`): a key's effective scopes already lie within them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext as _

from .models import SCOPES, APIKey, iso

# The types a key of each type may create. A Default key is held to its IP, so its keys are
# too; a Zoho CRM key to Zoho's ranges. A Cloud key works from anywhere: any type is within it
# (a Zoho CRM key's operator-set scopes are still checked against the Cloud key's own).
CREATES = {
    APIKey.Type.DEFAULT: (APIKey.Type.DEFAULT,),
    APIKey.Type.ZOHO_CRM: (APIKey.Type.ZOHO_CRM,),
    APIKey.Type.CLOUD: (APIKey.Type.CLOUD, APIKey.Type.DEFAULT, APIKey.Type.ZOHO_CRM),
}


@dataclass(frozen=True)
class Terms:
    """What the new key will be."""

    type: APIKey.Type
    scopes: list[str]
    expires_at: datetime | None
    signing: bool
    mode: str = APIKey.Mode.LIVE
    locked_ip: str | None = None
    whitelist_of: APIKey | None = None  # the key whose whitelist the new key gets a copy of


class BeyondIssuer(PermissionError):
    """Asked for more than the issuer holds. `field` names what was asked (scopes, type,
    signing, expires_at, mode; None for the issuing key itself); `message` says what to do."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def terms(user, issuer: APIKey | None, *, type: str = APIKey.Type.DEFAULT,
          scopes: list[str] | None = None, expires_at: datetime | None = None,
          signing: bool | None = None, mode: str | None = None) -> Terms:
    """The terms of a key `user` gets when `issuer` (a key; None: the person) asks for it.

    None means "not asked": scopes then are the issuer's own (a person's: all its
    permissions allow), the expiry, signing and mode the issuing key's (a person's: never,
    off, live). Raises
    BeyondIssuer for anything beyond the issuer, ValueError for an unknown scope or type
    (the form refuses those first).
    """
    key_type = APIKey.Type(type)
    key_mode = APIKey.Mode(mode or (issuer.mode if issuer is not None else APIKey.Mode.LIVE))
    if set(scopes or ()) - set(SCOPES):
        raise ValueError("unknown scope")
    if issuer is not None and issuer.user_id != user.pk:
        raise ValueError("a key creates keys only for its own user")
    held = issuer.effective_scopes() if issuer is not None else user.allowed_scopes()
    if key_type == APIKey.Type.ZOHO_CRM:
        scopes = list(settings.ZOHO_CRM_SCOPES)  # the operators' choice, whatever was asked
    wanted = held if scopes is None else [s for s in SCOPES if s in scopes]
    _check_scopes(wanted, held, issuer)
    if issuer is None:
        return Terms(key_type, wanted, expires_at, bool(signing), key_mode)

    if issuer.stop_reason() is not None:
        raise BeyondIssuer(None, _("This key no longer works, so it cannot create keys."))
    if key_type not in CREATES[issuer.type]:
        allowed = ", ".join(str(APIKey.Type(t).label) for t in CREATES[issuer.type])
        raise BeyondIssuer("type", _(
            "A key of type “%(issuer)s” can create only keys of these types: %(allowed)s.")
            % {"issuer": APIKey.Type(issuer.type).label, "allowed": allowed})
    if issuer.type == APIKey.Type.DEFAULT and issuer.locked_ip is None:
        # Its first use locks it (before any endpoint runs); until then there is no IP to
        # lock the new key to, and two keys locking apart would be used from two places.
        raise BeyondIssuer(None, _("This Default key is not locked to an IP address yet, so "
                                   "it cannot create keys."))
    if key_mode != issuer.mode:
        # A test key in a test setup must not mint keys whose messages reach real phones.
        raise BeyondIssuer("mode", _("A test key creates only test keys.")
                           if issuer.mode == APIKey.Mode.TEST
                           else _("A live key creates only live keys: create test keys on the "
                                  "portal, with a token, or with a test key."))
    if issuer.signing and signing is False:
        raise BeyondIssuer("signing", _(
            "This key signs its requests, so the keys it creates must sign theirs too: send "
            "\"signing\": true, or leave signing out."))
    if issuer.expires_at is not None:
        if expires_at is None:
            expires_at = issuer.expires_at
        elif expires_at > issuer.expires_at:
            raise BeyondIssuer("expires_at", _(
                "A key cannot create a key that outlives it: the new key must expire by "
                "%(expires)s or sooner.") % {"expires": iso(issuer.expires_at)})
    default = issuer.type == APIKey.Type.DEFAULT
    return Terms(key_type, wanted, expires_at,
                 issuer.signing if signing is None else signing, key_mode,
                 locked_ip=issuer.locked_ip if default else None,
                 whitelist_of=issuer if default else None)


def _check_scopes(wanted: list[str], held: list[str], issuer: APIKey | None) -> None:
    lacking = [s for s in wanted if s not in held]
    if not lacking:
        return
    names = ", ".join(lacking)
    if issuer is None:
        raise BeyondIssuer("scopes", _(
            "These scopes are beyond the permissions of the key's owner: %(scopes)s.")
            % {"scopes": names})
    raise BeyondIssuer("scopes", _(
        "A key can give a new key only scopes it has itself. This key lacks: %(scopes)s.")
        % {"scopes": names})


def check_reissue(issuer: APIKey | None, key: APIKey) -> None:
    """Regenerating hands out a new secret of `key` with its settings: `issuer` (a key; None:
    a person) may do it for itself, or for a key no wider than it could create. Raises
    BeyondIssuer otherwise."""
    if issuer is None or issuer.pk == key.pk:
        return
    if key.expires_at is None and issuer.expires_at is not None:
        raise BeyondIssuer("expires_at", _(
            "A key cannot regenerate a key that outlives it: this one never expires."))
    made = terms(key.user, issuer, type=key.type, scopes=key.effective_scopes(),
                 expires_at=key.expires_at, signing=key.signing, mode=key.mode)
    if made.whitelist_of is not None:
        # A Default issuer: the key must be held to no address beyond the issuer's own.
        if key.locked_ip != made.locked_ip or not _whitelist(key) <= _whitelist(issuer):
            raise BeyondIssuer(None, _(
                "A Default key can regenerate only keys locked to its own IP address and "
                "whitelist."))


def _whitelist(key: APIKey) -> set[str]:
    return set(key.whitelist.values_list("value", flat=True))
