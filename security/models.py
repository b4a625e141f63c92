from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
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
    KEY_DISABLED = "key.disabled", _("API key disabled")
    KEY_ENABLED = "key.enabled", _("API key enabled")
    WHITELIST_CHANGED = "whitelist.changed", _("Whitelist changed")
    REQUEST_BLOCKED = "request.blocked", _("Request blocked by IP")
    SESSION_ENDED = "session.ended", _("Session signed out")
    NEW_DEVICE = "device.new", _("Sign-in from a new device")
    SUBUSER_INVITED = "subuser.invited", _("Sub-user invited")
    SUBUSER_CHANGED = "subuser.changed", _("Sub-user changed")
    SUBUSER_SUSPENDED = "subuser.suspended", _("Sub-user suspended")
    SUBUSER_DELETED = "subuser.deleted", _("Sub-user deleted")
    PERMISSION_DENIED = "permission.denied", _("Access refused (permission)")
    BROWSER_REMEMBERED = "browser.remembered", _("Browser remembered (no code for 30 days)")
    BROWSER_FORGOTTEN = "browser.forgotten", _("Remembered browser forgotten")
    VERIFY_SETTINGS_CHANGED = "verify.settings", _("SMS Authenticator settings changed")


# How the names in an event's detail record read on the Account activity page.
DETAIL_LABELS = {
    "action": _("action"),
    "active": _("active"),
    "browser": _("browser"),
    "count": _("count"),
    "factor": _("factor"),
    "failures": _("wrong codes"),
    "grace_seconds": _("grace (seconds)"),
    "key_id": _("key"),
    "key_type": _("type"),
    "new_key_id": _("new key"),
    "label": _("label"),
    "list": _("list"),
    "method": _("method"),
    "mode": _("mode"),
    "operator": _("operator"),
    "os": _("system"),
    "path": _("page"),
    "permission": _("permission"),
    "permissions": _("permissions"),
    "phone": _("phone"),
    "reason": _("reason"),
    "scope": _("scope"),
    "senders": _("sender names"),
    "session": _("session"),
    "signing": _("signing"),
    "stage": _("stage"),
    "sub_user": _("sub-user"),
    "surface": _("where"),
    "value": _("address"),
    "added": _("added"),
    "removed": _("removed"),
    "via": _("via"),
}
# Recorded values that are words of ours rather than data (a key id, an address, a label):
# shown in the reader's language. Any other value is shown as recorded.
DETAIL_VALUES = {
    True: _("yes"),
    False: _("no"),
    "sms": _("SMS code"),
    "totp": _("authenticator app"),
    "passkey": _("passkey"),
    "password": _("password"),
    "second_factor": _("second factor"),
    "portal": _("portal"),
    "api": _("API"),
    "api-regenerate": _("API, regenerateAPIKey"),
    "signin": _("sign-in"),
    "added": _("added"),
    "removed": _("removed"),
}


# The details whose values are such words (a label or an address is the user's own text).
WORDED_DETAILS = {"factor", "method", "surface", "list", "reason", "stage", "action", "via"}


def _detail_value(name: str, value) -> str:
    if isinstance(value, bool) or (isinstance(value, str) and name in WORDED_DETAILS):
        return str(DETAIL_VALUES.get(value, value))
    return str(value)


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
    # The account the event belongs to: the user's own, or its owner's for a sub-user. The
    # owner's Account activity lists the whole account, and keeps a deleted sub-user's events.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="account_events",
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
        indexes = [models.Index(fields=["user", "-created"]),
                   models.Index(fields=["account", "-created"])]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M:%S} {self.type} {self.username}"

    def save(self, *args, **kwargs):
        if self.account_id is None and self.user is not None:
            self.account_id = self.user.account_id
        super().save(*args, **kwargs)

    @property
    def detail_text(self) -> str:
        """The detail record as short "name: value" pairs, for pages and the CSV file, with
        the names, and the values that are words of ours, in the reader's language."""
        if not isinstance(self.detail, dict):
            return ""
        return ", ".join(f"{DETAIL_LABELS.get(name, name)}: {_detail_value(name, value)}"
                         for name, value in sorted(self.detail.items()))


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


class UserSession(models.Model):
    """One signed-in browser session, as the Devices page lists it.

    The session itself lives in Django's session store; this row describes it (browser, OS,
    address, times) and lets the owner end it. `last_activity` is written at most once a
    minute per session (settings.SESSION_TOUCH_SECONDS), never on every request.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions"
    )
    session_key = models.CharField(max_length=64, unique=True)
    browser = models.CharField(_("browser"), max_length=100, blank=True)
    os = models.CharField(_("operating system"), max_length=100, blank=True)
    device = models.CharField(_("device"), max_length=100, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    signed_in_at = models.DateTimeField(_("signed in"), default=timezone.now)
    last_activity = models.DateTimeField(_("last activity"), default=timezone.now)

    class Meta:
        ordering = ["-last_activity", "-id"]
        indexes = [models.Index(fields=["user", "-last_activity"])]
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.browser} on {self.os} ({self.ip})"


class KnownDevice(models.Model):
    """A browser that has signed in to the account before (it holds the device cookie).

    A sign-in from a browser without a known device cookie sends the new-device e-mail.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="known_devices"
    )
    device_id = models.CharField(max_length=64)
    browser = models.CharField(_("browser"), max_length=100, blank=True)
    os = models.CharField(_("operating system"), max_length=100, blank=True)
    last_ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    first_seen = models.DateTimeField(_("first sign-in"), default=timezone.now)
    last_seen = models.DateTimeField(_("last sign-in"), default=timezone.now)

    class Meta:
        ordering = ["-last_seen", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "device_id"], name="unique_known_device")
        ]
        verbose_name = _("known device")
        verbose_name_plural = _("known devices")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.browser} on {self.os}"


class RememberedBrowser(models.Model):
    """A browser whose owner chose "Remember this browser": it skips the code, never the
    password, until `expires_at`. Only a SHA-256 digest of the cookie's random part is kept.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="remembered_browsers"
    )
    token_hash = models.CharField(max_length=64)
    browser = models.CharField(_("browser"), max_length=100, blank=True)
    os = models.CharField(_("operating system"), max_length=100, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created = models.DateTimeField(_("remembered on"), default=timezone.now)
    expires_at = models.DateTimeField(_("until"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("remembered browser")
        verbose_name_plural = _("remembered browsers")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.browser} on {self.os}"
