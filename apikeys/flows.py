"""One function per action on keys, called by the pages, the JSON API and the admin.

Each records its security event and e-mails the owner (never a secret in either). Fresh
proof is the caller's job (`security.access.fresh_proof_required` on the pages).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from security.events import record
from security.models import EventType

from . import crypto, emails, issuance, keyformat
from .forms import WhitelistEntryForm
from .models import MAX_GRACE_SECONDS, APIKey, KeyWhitelistEntry


@dataclass(frozen=True)
class Created:
    """A new key and its secrets: to be shown once, then forgotten."""

    key: APIKey
    full_key: str
    signing_secret: str | None

    def __repr__(self) -> str:  # no secret in tracebacks or logs
        return f"Created(key={self.key.lookup_id!r})"


class KeyNotActive(Exception):
    """The key is disabled, revoked, replaced or expired, so it cannot be regenerated; or,
    with `switching`, it is revoked, replaced or expired, so it cannot be turned on or off.
    `message` says which."""

    def __init__(self, state: str | None = None, *, switching: bool = False):
        if switching:
            messages = {
                APIKey.State.REVOKED: _("This key was deleted, so it cannot be turned on or "
                                        "off."),
                APIKey.State.REPLACED: _("This key was replaced by a new one, so it cannot be "
                                         "turned on or off."),
                "expired": _("This key has expired, so it cannot be turned on or off. Generate "
                             "a new key instead."),
            }
        else:
            messages = {
                APIKey.State.REVOKED: _("This key was deleted, so it cannot be regenerated. "
                                        "Generate a new key instead."),
                APIKey.State.REPLACED: _("This key was already replaced by a new one, so it "
                                         "cannot be regenerated. Regenerate the new key "
                                         "instead."),
                APIKey.State.DISABLED: _("This key is disabled, so it cannot be regenerated. "
                                         "Enable it first."),
                "expired": _("This key has expired, so it cannot be regenerated. Generate a "
                             "new key instead."),
            }
        super().__init__(messages.get(state) or _(
            "This key no longer works, so it cannot be changed. Generate a new key instead."))
        self.state = state
        self.message = str(self.args[0])


def _new_row(user, mode: str, **fields) -> tuple[APIKey, str]:
    """Insert a key with a fresh lookup id; retried on the (astronomically rare) clash."""
    for attempt in range(5):
        new = keyformat.generate(mode=mode)
        try:
            with transaction.atomic():
                key = APIKey.objects.create(
                    user=user, prefix=new.prefix, lookup_id=new.lookup_id,
                    secret_hash=new.secret_hash, last4=new.last4, mode=mode, **fields,
                )
            return key, new.full
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _signing_fields(signing: bool) -> tuple[dict, str | None]:
    if not signing:
        return {"signing": False, "signing_secret_encrypted": ""}, None
    secret = keyformat.generate_signing_secret()
    return {"signing": True, "signing_secret_encrypted": crypto.encrypt(secret)}, secret


def _copy_whitelist(source: APIKey, target: APIKey) -> None:
    KeyWhitelistEntry.objects.bulk_create(
        KeyWhitelistEntry(key=target, value=e.value, label=e.label)
        for e in source.whitelist.all()
    )


def create_key(request: HttpRequest | None, user, *, description: str,
               type: str = APIKey.Type.DEFAULT, scopes: list[str] | None = None,
               expires_at: datetime | None = None, signing: bool | None = None,
               mode: str | None = None, issuer: APIKey | None = None) -> Created:
    """Generate a key for `user` (inputs already validated by `forms.CreateKeyForm`).

    `issuer` is the key that asks for it (the API's `request.auth.key`), None when a person
    does. The new key never exceeds its issuer (`issuance.terms`): anything beyond it raises
    `issuance.BeyondIssuer` and creates nothing. None for scopes, expiry, signing or mode:
    not asked, the issuer's own (a person's: all, never, off, live).
    """
    terms = issuance.terms(user, issuer, type=type, scopes=scopes, expires_at=expires_at,
                           signing=signing, mode=mode)
    signing_fields, secret = _signing_fields(terms.signing)
    with transaction.atomic():
        key, full = _new_row(user, terms.mode, description=description, type=terms.type,
                             scopes=terms.scopes, expires_at=terms.expires_at,
                             locked_ip=terms.locked_ip, **signing_fields)
        if terms.whitelist_of is not None:
            _copy_whitelist(terms.whitelist_of, key)
    by_key = {"by_key": issuer.lookup_id} if issuer is not None else {}
    record(request, EventType.KEY_CREATED, user=user, key_id=key.lookup_id,
           key_type=key.type, signing=key.signing, mode=key.mode, **by_key)
    emails.key_created(key)
    return Created(key=key, full_key=full, signing_secret=secret)


def regenerate_key(request: HttpRequest | None, key: APIKey, grace_seconds: int = 0,
                   issuer: APIKey | None = None) -> Created:
    """Replace `key` by a new one with the same settings (and a new signing secret).

    The old key dies at once, or after `grace_seconds` (at most 7 days). The new key keeps
    the description, type, scopes, expiry, signing, rate limit, locked IP and whitelist;
    its counters start at zero. `issuer`, the key that asks (None: a person), may regenerate
    itself or a key within it (`issuance.check_reissue`, else BeyondIssuer).
    """
    if not 0 <= grace_seconds <= MAX_GRACE_SECONDS:
        raise ValueError("grace_seconds out of range")
    with transaction.atomic():
        # Locked, so two regenerations of one key cannot both make a successor.
        old = APIKey.objects.select_for_update().select_related("user").get(pk=key.pk)
        if not old.is_active():
            raise KeyNotActive(old.effective_state())
        issuance.check_reissue(issuer, old)
        signing_fields, secret = _signing_fields(old.signing)
        new, full = _new_row(
            old.user, old.mode, description=old.description, type=old.type, scopes=old.scopes,
            expires_at=old.expires_at, rate_limit_per_minute=old.rate_limit_per_minute,
            locked_ip=old.locked_ip, **signing_fields,
        )
        _copy_whitelist(old, new)
        now = timezone.now()
        old.state = APIKey.State.REPLACED
        old.grace_until = now + timedelta(seconds=grace_seconds)
        old.revoked_at = old.grace_until
        old.replaced_by = new
        old.save(update_fields=["state", "grace_until", "revoked_at", "replaced_by"])
    for field in ("state", "grace_until", "revoked_at", "replaced_by_id"):
        setattr(key, field, getattr(old, field))
    record(request, EventType.KEY_REGENERATED, user=old.user, key_id=old.lookup_id,
           new_key_id=new.lookup_id, grace_seconds=grace_seconds)
    emails.key_regenerated(old, new)
    return Created(key=new, full_key=full, signing_secret=secret)


def revoke_key(request: HttpRequest | None, key: APIKey) -> bool:
    """Revoke `key` at once (the pages' "Delete"). False if it was already revoked."""
    now = timezone.now()
    changed = APIKey.objects.filter(pk=key.pk).exclude(state=APIKey.State.REVOKED).update(
        state=APIKey.State.REVOKED, revoked_at=now, grace_until=None
    )
    if not changed:
        return False
    key.state, key.revoked_at, key.grace_until = APIKey.State.REVOKED, now, None
    record(request, EventType.KEY_DELETED, user=key.user, key_id=key.lookup_id)
    emails.key_deleted(key)
    return True


def disable_key(request: HttpRequest | None, key: APIKey) -> bool:
    """Turn `key` off: the key check refuses it (KEY_DISABLED) until `enable_key`. Its secret,
    counters and whitelist stay. False when it already was off; KeyNotActive when it is
    revoked, replaced or expired."""
    return _switch(request, key, APIKey.State.DISABLED)


def enable_key(request: HttpRequest | None, key: APIKey) -> bool:
    """Turn `key` on again: it works as before it was disabled. False when it already was on;
    KeyNotActive when it is revoked, replaced or expired."""
    return _switch(request, key, APIKey.State.ACTIVE)


def _switch(request: HttpRequest | None, key: APIKey, to: str) -> bool:
    with transaction.atomic():
        # Locked, so that a regeneration or a revocation at the same moment is not undone.
        row = APIKey.objects.select_for_update().select_related("user").get(pk=key.pk)
        if not row.is_alive():
            raise KeyNotActive(row.effective_state(), switching=True)
        changed = row.state != to
        if changed:
            row.state = to
            row.save(update_fields=["state"])
    key.state = row.state
    if not changed:
        return False
    disabled = to == APIKey.State.DISABLED
    record(request, EventType.KEY_DISABLED if disabled else EventType.KEY_ENABLED,
           user=row.user, key_id=row.lookup_id)
    (emails.key_disabled if disabled else emails.key_enabled)(row)
    return True


def add_whitelist_entry(request: HttpRequest | None, key: APIKey, value: str,
                        label: str = "") -> KeyWhitelistEntry:
    """Add an address or range to a Default key's whitelist.

    Validated by `forms.WhitelistEntryForm`; raises ValidationError with its errors
    (`.message_dict`: field name, or "__all__", to messages).
    """
    form = WhitelistEntryForm(key, data={"value": value, "label": label})
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    try:
        with transaction.atomic():
            entry = form.save()
    except IntegrityError:  # the same value added by a parallel request
        raise ValidationError({"value": [ValidationError(
            _("%(value)s is already on this key's whitelist.")
            % {"value": form.cleaned_data["value"]}, code="duplicate")]}) from None
    record(request, EventType.WHITELIST_CHANGED, user=key.user, list="key",
           key_id=key.lookup_id, action="added", value=entry.value)
    emails.whitelist_changed(key, added=entry.value)
    return entry


def remove_whitelist_entry(request: HttpRequest | None, entry: KeyWhitelistEntry) -> None:
    key = entry.key
    value = entry.value
    if not KeyWhitelistEntry.objects.filter(pk=entry.pk).delete()[0]:
        return  # already gone: nothing changed, nothing to tell
    record(request, EventType.WHITELIST_CHANGED, user=key.user, list="key",
           key_id=key.lookup_id, action="removed", value=value)
    emails.whitelist_changed(key, removed=value)
