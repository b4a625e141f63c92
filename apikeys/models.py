"""API keys, their own IP whitelists and their per-day usage.

A key row never holds the key: only the SHA-256 of its secret part, a public lookup id and
what the masked form needs. Rows are never deleted by the owner: "delete" revokes, so that a
revoked key presented again is still recognised (and its owner told).
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import API_SCOPES

from . import keyformat

SCOPES = API_SCOPES  # defined with the permissions that grant them (accounts.models)
SCOPE_LABELS = {
    "sms:send": _("Send SMS"),
    "sms:read": _("Read messages and statistics"),
    "keys:read": _("See the account's API keys"),
    "keys:write": _("Create, change and revoke API keys"),
    "account:read": _("Read the account's details"),
    "verify": _("Send and check verification codes (SMS Authenticator)"),
}
MAX_GRACE_SECONDS = 7 * 24 * 60 * 60


def all_scopes() -> list[str]:
    return list(SCOPES)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC, to the second, with a Z: how the API writes every time."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _dead_replacement(now: datetime) -> Q:
    # A replaced key past its grace period (or given none): the SQL twin of `in_grace`.
    return Q(state=APIKey.State.REPLACED) & (Q(grace_until__isnull=True)
                                             | Q(grace_until__lte=now))


class APIKeyQuerySet(models.QuerySet):
    """The SQL side of `APIKey.dead_reason` (the tests check that both sides agree, state by
    state)."""

    def listed(self, now: datetime | None = None) -> APIKeyQuerySet:
        """Keys the owner still sees: `dead_reason` None or "expired" (expired keys stay
        listed, so they can be renewed or deleted)."""
        now = now or timezone.now()
        return self.exclude(state=APIKey.State.REVOKED).exclude(_dead_replacement(now))

    def active(self, now: datetime | None = None) -> APIKeyQuerySet:
        """Keys that `APIKey.is_active` says yes to: neither disabled, revoked, replaced nor
        expired."""
        now = now or timezone.now()
        return self.filter(state=APIKey.State.ACTIVE).exclude(expires_at__lte=now)

    def not_revoked(self) -> APIKeyQuerySet:
        return self.exclude(state=APIKey.State.REVOKED)

    def managed_by(self, user) -> APIKeyQuerySet:
        """The keys `user` manages: an owner, every key of the account (its sub-users'
        too); a sub-user, its own."""
        return self.filter(user=user) if user.is_sub_user else self.filter(account=user)

    def bulk_create(self, objs, *args, **kwargs):
        # As `APIKey.save` does, each key gets its account (bulk inserts skip save()).
        objs = list(objs)
        for key in objs:
            key.set_account()
        return super().bulk_create(objs, *args, **kwargs)


class KeyRules:
    """A key's life and reach, for the model and for the key check's row (apikeys.keylookup),
    which both carry these attributes: state, grace_until, expires_at, type, scopes and
    rate_limit_per_minute, and say what their user may hold (`holder_scopes`)."""

    __slots__ = ()

    def holder_scopes(self) -> list[str]:
        raise NotImplementedError

    def dead_reason(self, now: datetime | None = None) -> str | None:
        """Why the key no longer accepts requests for good: "revoked", "replaced" (past its
        grace period) or "expired"; None while it lives. THE "is this key alive" rule: the
        key check, the states shown and the queries above all follow it."""
        now = now or timezone.now()
        if self.state == APIKey.State.REVOKED:
            return "revoked"
        if self.state == APIKey.State.REPLACED and not self.in_grace(now):
            return "replaced"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return None

    def stop_reason(self, now: datetime | None = None) -> str | None:
        """Why the key check refuses the key: `dead_reason` first (revoked, replaced and
        expired win over disabled, API.md), then "disabled" (its owner turned it off, and may
        turn it on again); None while it works."""
        return self.dead_reason(now) or (
            "disabled" if self.state == APIKey.State.DISABLED else None)

    def in_grace(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return (self.state == APIKey.State.REPLACED and self.grace_until is not None
                and now < self.grace_until)

    def effective_scopes(self) -> list[str]:
        """What the key may do now.

        Zoho CRM keys have the operators' Zoho scopes, whatever was stored at creation. A
        sub-user's key never has more than its permissions grant today, so a permission
        taken away applies to its keys on their next request.
        """
        if self.type == APIKey.Type.ZOHO_CRM:
            chosen = set(settings.ZOHO_CRM_SCOPES)
        else:
            chosen = set(self.scopes or ())
        chosen.intersection_update(self.holder_scopes())
        return [s for s in SCOPES if s in chosen]

    def rate_limit(self) -> int:
        return self.rate_limit_per_minute or settings.API_KEY_RATE_LIMIT_PER_MINUTE


class APIKey(KeyRules, models.Model):
    class Type(models.TextChoices):
        DEFAULT = "default", _("Default Key")
        ZOHO_CRM = "zoho_crm", _("Zoho CRM")
        CLOUD = "cloud", _("Cloud Key")

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        REVOKED = "revoked", _("Revoked")
        REPLACED = "replaced", _("Replaced")
        # Turned off by its owner: refused (KEY_DISABLED) until turned on again; its secret,
        # counters and whitelist stay as they were.
        DISABLED = "disabled", _("Disabled")

    class Mode(models.TextChoices):
        LIVE = "live", _("Live")
        # Passes every check like a live key, but what it sends never reaches a provider.
        TEST = "test", _("Test")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys",
        verbose_name=_("owner"),
        db_index=False,  # apikey_user_list (Meta) starts with it and serves every lookup
    )
    description = models.CharField(_("description"), max_length=200)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices, default=Type.DEFAULT)
    scopes = models.JSONField(_("scopes"), default=all_scopes)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    signing = models.BooleanField(_("HMAC signing"), default=False)
    # Fernet token (apikeys.crypto); the plaintext exists only in the response that made it.
    signing_secret_encrypted = models.TextField(blank=True, default="", editable=False)

    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    lookup_id = models.CharField(_("key id"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    last4 = models.CharField(max_length=4, editable=False)

    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    times_used = models.PositiveBigIntegerField(_("times used"), default=0)
    last_ip = models.GenericIPAddressField(_("last IP"), null=True, blank=True)
    locked_ip = models.GenericIPAddressField(_("locked on IP"), null=True, blank=True)

    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.ACTIVE)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.LIVE)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # A replaced key keeps working until then (None or past: dead).
    grace_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("replaced by"))
    rate_limit_per_minute = models.PositiveIntegerField(
        _("requests a minute"), null=True, blank=True,
        help_text=_("Empty: the default of the settings (API_KEY_RATE_LIMIT_PER_MINUTE)."),
    )
    # The day the owner was last told this dead key was used: at most one e-mail a day.
    dead_use_notified_on = models.DateField(null=True, blank=True, editable=False)
    # The account the key belongs to: its user's owner, or its user (set on save; a user
    # never changes account). The owner's list spans its sub-users' keys, and with this
    # column one index walk serves it in order, however many keys the table holds.
    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="+", editable=False, db_index=False)

    objects = APIKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The lists (an account's, a user's), in their order: a page is an index walk,
            # and counting them reads only the index (state and grace_until are in it).
            models.Index(fields=["account", "-created_at", "-id", "state", "grace_until"],
                         name="apikey_account_list"),
            models.Index(fields=["user", "-created_at", "-id", "state", "grace_until"],
                         name="apikey_user_list"),
        ]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return self.masked

    def set_account(self) -> None:
        if self.account_id is None:
            self.account_id = self.user.account_id

    def save(self, *args, **kwargs) -> None:
        self.set_account()
        super().save(*args, **kwargs)

    @property
    def masked(self) -> str:
        return keyformat.mask(self.prefix, self.lookup_id, self.last4)

    def holder_scopes(self) -> list[str]:
        return self.user.allowed_scopes()

    def effective_state(self, now: datetime | None = None) -> str:
        """One of active, disabled, revoked, replaced (even within its grace period) or
        expired (which wins over disabled)."""
        if self.state in (self.State.REVOKED, self.State.REPLACED):
            return self.state
        return self.stop_reason(now) or self.State.ACTIVE

    def is_active(self, now: datetime | None = None) -> bool:
        """Neither disabled, revoked, replaced nor expired: it may be regenerated."""
        return self.effective_state(now) == self.State.ACTIVE

    def is_alive(self, now: datetime | None = None) -> bool:
        """Active or disabled: its owner may still change it (whitelist, on and off)."""
        return self.effective_state(now) in (self.State.ACTIVE, self.State.DISABLED)

    def to_api_dict(self, now: datetime | None = None) -> dict:
        """The "key object" of API.md. Never a secret. Prefetch "whitelist" for lists."""
        return {
            "id": self.lookup_id,
            "description": self.description,
            "type": self.type,
            "masked": self.masked,
            "scopes": self.effective_scopes(),
            "signing": self.signing,
            "state": self.effective_state(now),
            "mode": self.mode,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "last_used_at": iso(self.last_used_at),
            "times_used": self.times_used,
            "last_ip": self.last_ip,
            "locked_ip": self.locked_ip,
            "whitelist": [
                {"id": entry.pk, "value": entry.value, "label": entry.label}
                for entry in self.whitelist.all()
            ],
        }


class KeyWhitelistEntry(models.Model):
    """One more address or range a Default key may be used from, beside its locked IP."""

    key = models.ForeignKey(APIKey, on_delete=models.CASCADE, related_name="whitelist")
    value = models.CharField(_("address or range"), max_length=64)
    label = models.CharField(_("label"), max_length=100, blank=True)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(fields=["key", "value"], name="unique_key_whitelist_value")
        ]
        verbose_name = _("key whitelist entry")
        verbose_name_plural = _("key whitelist entries")

    def __str__(self) -> str:
        return self.value


class KeyUsageDay(models.Model):
    """Accepted requests of one key on one day (UTC): the usage chart's data."""

    key = models.ForeignKey(APIKey, on_delete=models.CASCADE, related_name="usage_days")
    date = models.DateField()
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["key", "date"], name="unique_key_usage_day")
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.count}"


class UsageBatch(models.Model):
    """A batch of usage counts from Redis that has been written (apikeys.usage_writes).

    Written in the same transaction as the counts, so that a batch applied twice (two
    flushers racing, or one killed between the commit and deleting the batch from Redis)
    counts once: the second insert fails on the unique id and its transaction rolls back.
    """

    batch_id = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.batch_id


class ExpiryReminder(models.Model):
    """The last expiry e-mail sent for a key (apikeys.reminders), so that each goes once:
    a stage is sent only by the run whose conditional write moves the key up to it."""

    class Stage(models.IntegerChoices):
        WEEK = 1, _("7 days before")
        DAY = 2, _("1 day before")
        EXPIRED = 3, _("expired")

    key = models.OneToOneField(APIKey, on_delete=models.CASCADE, primary_key=True,
                               related_name="+")
    stage = models.PositiveSmallIntegerField(choices=Stage.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("expiry reminder")
        verbose_name_plural = _("expiry reminders")

    def __str__(self) -> str:
        return f"{self.key_id}: {self.get_stage_display()}"
