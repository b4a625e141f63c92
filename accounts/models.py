from __future__ import annotations

import hmac
import math
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import CooldownMixin, SideChannelDevice
from phonenumber_field.modelfields import PhoneNumberField

from security.lifetimes import SESSION_IDLE_CHOICES


class Permission(models.TextChoices):
    """What a sub-user may do; an account owner may do everything."""

    SEND_SMS = "send_sms", _("Send SMS")
    READ_REPORTS = "read_reports", _("Read messages and reports")
    MANAGE_KEYS = "manage_keys", _("Manage API keys")
    MANAGE_USERS = "manage_users", _("Manage sub-users")
    VIEW_ACTIVITY = "view_activity", _("View account activity")
    USE_VERIFY = "use_verify", _("Use the SMS Authenticator")


# The API scopes each permission grants (a sub-user's keys and tokens carry at most these),
# and every scope of the API: an account owner holds them all.
PERMISSION_SCOPES = {
    Permission.SEND_SMS: ["sms:send"],
    Permission.READ_REPORTS: ["sms:read"],
    Permission.MANAGE_KEYS: ["keys:read", "keys:write"],
    Permission.MANAGE_USERS: [],
    Permission.VIEW_ACTIVITY: [],
    Permission.USE_VERIFY: ["verify"],
}
EVERYONE_SCOPES = ["account:read"]
# In API.md's order: the scopes a key was made with are kept as a list, so a scope added
# here is not given to keys made before it (they keep theirs).
API_SCOPES = ["sms:send", "sms:read", "keys:read", "keys:write", "account:read", "verify"]


def scopes_for(owner_id: int | None, permissions) -> list[str]:
    """The API scopes a user may hold: every one for an account owner (no owner), those of
    its permissions (and account:read) for a sub-user. Read afresh on every request."""
    if owner_id is None:
        return list(API_SCOPES)
    granted = {s for p in permissions or () for s in PERMISSION_SCOPES.get(p, ())}
    granted.update(EVERYONE_SCOPES)
    return [s for s in API_SCOPES if s in granted]


class User(AbstractUser):
    email = models.EmailField(_("e-mail address"), unique=True)
    email_confirmed = models.BooleanField(_("e-mail confirmed"), default=False)
    # A new address asked for on the Account page; it replaces `email` only once the link
    # sent to it is followed, and until then resets and notices keep going to `email`.
    pending_email = models.EmailField(_("new e-mail address, not yet confirmed"), blank=True)
    phone = PhoneNumberField(_("phone number"), blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    password_changed_at = models.DateTimeField(_("password changed"), default=timezone.now)
    password_expiry_enabled = models.BooleanField(
        _("require a password change every 30 days"),
        default=False,
        help_text=_("Off by default: forced periodic changes tend to weaken passwords."),
    )
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_("Set by an operator on evidence of compromise; cleared by a change."),
    )
    session_idle_seconds = models.PositiveIntegerField(
        _("sign me out after"), choices=SESSION_IDLE_CHOICES, default=60 * 60
    )
    # Raised to invalidate every issued API token (JWT) of the account at once.
    token_epoch = models.PositiveIntegerField(default=0)
    # Wrong second-factor codes since the last good one, across every way in. Counted with
    # an atomic UPDATE before a code is checked, so parallel guesses cannot pass the cap.
    otp_failures = models.PositiveIntegerField(default=0)

    # --- sub-users ------------------------------------------------------------------------
    # A sub-user belongs to its owner's account: it has its own password and second factor,
    # and only the permissions its owner (or a sub-user managing users) granted.
    owner = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="sub_users",
        verbose_name=_("account owner"),
    )
    permissions = models.JSONField(_("permissions"), default=list, blank=True)
    sending_hours_start = models.TimeField(_("may send from"), null=True, blank=True)
    sending_hours_end = models.TimeField(_("may send until"), null=True, blank=True)
    monthly_limit = models.PositiveIntegerField(_("messages a month"), null=True, blank=True)
    subusers_require_second_factor = models.BooleanField(
        _("sub-users must use a second factor"), default=False
    )

    objects = UserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def account_id(self) -> int:
        """The id of the account this user acts for: its owner's, or its own."""
        return self.owner_id or self.pk

    @property
    def is_sub_user(self) -> bool:
        return self.owner_id is not None

    def has_portal_permission(self, permission: str) -> bool:
        return self.owner_id is None or permission in (self.permissions or [])

    def permission_label(self, permission: str) -> str:
        """A permission's name, as the pages show it."""
        return str(Permission(permission).label)

    def allowed_scopes(self) -> list[str]:
        """The API scopes this user may hold (`scopes_for`)."""
        return scopes_for(self.owner_id, self.permissions)

    @classmethod
    def end_api_tokens(cls, users: models.QuerySet, **also) -> int:
        """End every API token (JWT) of `users`, and every session signed in before now
        (security.sessions compares the epoch), in one UPDATE; `also` sets more fields in the
        same statement (is_active=False to suspend). The one way tokens are ended."""
        return users.update(token_epoch=models.F("token_epoch") + 1, **also)

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()
        self.must_change_password = False

    # --- periodic password change ---------------------------------------------------------
    @property
    def password_expires_at(self):
        if not self.password_expiry_enabled:
            return None
        return self.password_changed_at + timedelta(days=settings.PASSWORD_EXPIRY_DAYS)

    def password_days_left(self, now=None) -> int | None:
        """Whole days until the password expires, counting a started day as a day (30 right
        after a change, 1 on the last day): never negative, never fractional."""
        expires = self.password_expires_at
        if expires is None:
            return None
        seconds = (expires - (now or timezone.now())).total_seconds()
        return max(0, math.ceil(seconds / 86400))

    def password_change_required(self, now=None) -> bool:
        if self.must_change_password:
            return True
        expires = self.password_expires_at
        return expires is not None and (now or timezone.now()) >= expires


def _code_digest(code: str, binding: str) -> str:
    # Keyed with SECRET_KEY and bound to the pending sign-in (or enrolment) that asked for
    # it: the database alone does not reveal a live code, and a code works only there.
    return salted_hmac("accounts.SMSDevice", f"{binding}:{code}", algorithm="sha256").hexdigest()


class SMSDevice(CooldownMixin, SideChannelDevice):
    """A phone that receives one-time codes by SMS (django-otp's side-channel device).

    django-otp stores the plain token and compares it with `==`; this device stores a keyed
    digest in `token` and compares digests in constant time. The cooldown is started, and a
    code used, each by one conditional UPDATE, so parallel requests cannot both send or both
    use a code. Wrong codes are counted on the user (`User.otp_failures`), whatever the factor.
    """

    phone = PhoneNumberField(_("phone number"))
    token = models.CharField(max_length=64, blank=True, null=True)

    class Meta(SideChannelDevice.Meta):
        verbose_name = _("SMS device")

    def get_cooldown_duration(self) -> int:
        return settings.OTP_SMS_RESEND_COOLDOWN

    def start_cooldown(self) -> int:
        """Start the pause between two codes to this phone, if the last one has ended.

        Returns 0 when started (a code may be sent now), else the seconds left. One
        conditional UPDATE, not a read then a write: of parallel sends to this device, only
        the one whose UPDATE finds the pause over may send.
        """
        now = timezone.now()
        cooldown = self.get_cooldown_duration()
        rows = SMSDevice.objects.filter(pk=self.pk)
        if cooldown > 0:  # none: every send starts it (parallel clocks may disagree by a hair)
            ended = now - timedelta(seconds=cooldown)
            rows = rows.filter(models.Q(last_generated_timestamp__isnull=True)
                               | models.Q(last_generated_timestamp__lt=ended))
        if rows.update(last_generated_timestamp=now):
            self.last_generated_timestamp = now
            return 0
        last = (SMSDevice.objects.filter(pk=self.pk)
                .values_list("last_generated_timestamp", flat=True).first())
        if last is None:  # given back since (or the device is gone): a new try decides
            return 1
        return max(1, math.ceil((last + timedelta(seconds=cooldown) - now).total_seconds()))

    def cancel_cooldown(self) -> None:
        """Undo this object's `start_cooldown`: no code was sent after all."""
        # Only our own start: the time it wrote is still there unless a later send replaced it.
        SMSDevice.objects.filter(
            pk=self.pk, last_generated_timestamp=self.last_generated_timestamp
        ).update(last_generated_timestamp=None)
        self.last_generated_timestamp = None

    def issue_code(self, binding: str) -> str:
        """Make a fresh 6-digit code bound to `binding`, store its digest, return the code.

        The caller has started the cooldown (`start_cooldown`); a new code replaces the last.
        """
        code = f"{secrets.randbelow(10**6):06d}"
        self.token = _code_digest(code, binding)
        self.valid_until = timezone.now() + timedelta(seconds=settings.OTP_SMS_TOKEN_VALIDITY)
        self.save(update_fields=["token", "valid_until"])
        return code

    def check_code(self, code: str, binding: str) -> bool:
        """Verify `code` for `binding`: constant-time, single use, within its lifetime."""
        code = (code or "").strip()
        now = timezone.now()
        digest = _code_digest(code, binding)
        if (self.token is None or now >= self.valid_until
                or not hmac.compare_digest(self.token, digest)):
            return False
        # The code is used by the one request whose UPDATE still finds it: another request
        # that read the same row may also have matched it, but finds it gone (or replaced by
        # a newer code). The cooldown ends with it, so the next sign-in gets a code at once.
        used = SMSDevice.objects.filter(pk=self.pk, token=digest, valid_until__gt=now).update(
            token=None, valid_until=now, last_generated_timestamp=None
        )
        self.token, self.valid_until, self.last_generated_timestamp = None, now, None
        return used == 1

    def verify_token(self, token) -> bool:
        # The unbound django-otp entry point is not used: codes are always bound.
        return False

    def expire_code(self) -> None:
        self.token = None
        self.valid_until = timezone.now()
        self.save(update_fields=["token", "valid_until"])



class MonthlyUsage(models.Model):
    """Messages a sub-user sent in a month, counted against its monthly limit."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="monthly_usage")
    month = models.DateField()  # the first day of the month, in UTC
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "month"], name="one_usage_a_month")]
