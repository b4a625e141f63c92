from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    SIGNIN_SUCCESS = "signin.success", _("Signed in")
    SIGNIN_FAILURE = "signin.failure", _("Sign-in failed")
    SIGNIN_LOCKED = "signin.locked", _("Sign-in locked out")
    SIGNOUT = "signout", _("Signed out")
    CODE_SENT = "otp.sent", _("Code sent")
    CODE_FAILED = "otp.failed", _("Wrong code")
    CODE_LOCKED = "otp.locked", _("Too many wrong codes")
    CODE_THROTTLED = "otp.throttled", _("Code not sent (limit reached)")
    BACKUP_CODE_USED = "otp.backup_used", _("Backup code used")
    MFA_ENABLED = "mfa.enabled", _("Second factor enabled")
    MFA_DISABLED = "mfa.disabled", _("Second factor disabled")
    BACKUP_CODES_GENERATED = "mfa.backup_codes", _("Backup codes generated")
    PASSWORD_CHANGED = "password.changed", _("Password changed")
    PASSWORD_RESET_REQUESTED = "password.reset_requested", _("Password reset requested")
    PASSWORD_RESET = "password.reset", _("Password reset")
    EMAIL_CHANGED = "email.changed", _("E-mail changed")
    EMAIL_CONFIRMED = "email.confirmed", _("E-mail confirmed")
    PHONE_CHANGED = "phone.changed", _("Phone changed")
    REGISTERED = "account.registered", _("Account registered")
    REAUTH = "reauth", _("Password confirmed")
    REAUTH_FAILED = "reauth.failed", _("Password confirmation failed")
    UNLOCKED = "signin.unlocked", _("Sign-in unlocked by an operator")
    KEY_CREATED = "key.created", _("API key created")
    KEY_DELETED = "key.deleted", _("API key deleted")
    KEY_REGENERATED = "key.regenerated", _("API key regenerated")
    KEY_DEAD_USED = "key.dead_used", _("Revoked API key used")
    WHITELIST_CHANGED = "whitelist.changed", _("Whitelist changed")
    REQUEST_BLOCKED = "request.blocked", _("Request blocked by IP")
    SESSION_ENDED = "session.ended", _("Session signed out")
    NEW_DEVICE = "device.new", _("Sign-in from a new device")


class SecurityEvent(models.Model):
    """One security-relevant thing that happened. Never holds a secret."""

    created = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="security_events",
    )
    # Kept apart from `user` so that the record survives the account and names the
    # username tried in a failed sign-in.
    username = models.CharField(_("username"), max_length=150, blank=True)
    type = models.CharField(_("event"), max_length=40, choices=EventType.choices, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["user", "-created"])]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M:%S} {self.type} {self.username}"


class IPWhitelistEntry(models.Model):
    """One address or range on one of the account's two lists (an empty list: no limit)."""

    class Kind(models.TextChoices):
        PORTAL = "portal", _("Portal sign-in")
        API = "api", _("API")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ip_whitelist"
    )
    kind = models.CharField(_("list"), max_length=8, choices=Kind.choices)
    value = models.CharField(_("address or range"), max_length=64)
    label = models.CharField(_("label"), max_length=100, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "created", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "value"], name="unique_whitelist_entry")
        ]
        verbose_name = _("IP whitelist entry")
        verbose_name_plural = _("IP whitelist entries")

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"
