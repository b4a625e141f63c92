"""The SMS messages an account sent through the API, one row per recipient; the sender
names an account may send as, and which of them each sub-user may use; the SMS
Authenticator's verifications, its settings per account and the starts it refused (the
rules: messaging.verification)."""

from __future__ import annotations

from datetime import UTC

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        UNDELIVERED = "undelivered", _("Undelivered")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sms_messages"
    )
    to = models.CharField(_("to"), max_length=16)
    body = models.TextField(_("message"))
    sender_id = models.CharField(_("sender id"), max_length=16, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    # The provider's id (Twilio's MessageSid): delivery reports name the message by it.
    provider_id = models.CharField(_("provider id"), max_length=64, blank=True, db_index=True)
    error_code = models.CharField(_("error code"), max_length=32, blank=True)
    # The public id of the API key that sent it ("" when a token was used).
    key_id = models.CharField(_("API key"), max_length=32, blank=True)
    # Sent with a test key: it never reached a provider, counts against no limit, and only
    # test keys (or a token asking for ?mode=test) see it.
    test = models.BooleanField(_("test"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="message_user_created")]
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS messages")

    def __str__(self) -> str:
        return f"{self.to} {self.status}"

    def to_api_dict(self) -> dict:
        return {
            "id": self.pk,
            "to": self.to,
            "message": self.body,
            "sender_id": self.sender_id or None,
            "status": self.status,
            "test": self.test,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }


class SenderName(models.Model):
    """A sender name an account asked for; an operator approves or refuses it.

    Once an account has one approved name, its messages go out only under approved names
    (messaging.senders.refusal)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="sender_names", verbose_name=_("account"))
    name = models.CharField(_("sender name"), max_length=16)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    asked_at = models.DateTimeField(_("asked"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["account", "name"],
                                               name="unique_account_sender_name")]
        verbose_name = _("sender name")
        verbose_name_plural = _("sender names")

    def __str__(self) -> str:
        return self.name


class SubUserSenders(models.Model):
    """The approved names its owner lets a sub-user send as. No row: all of the owner's
    (what every sub-user had before sender names existed)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                primary_key=True, related_name="sender_choice")
    names = models.ManyToManyField(SenderName, blank=True, related_name="+")
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return str(self.user)


class Verification(models.Model):
    """One code sent to one number for an account's own user (the SMS Authenticator).

    The code itself is never stored: `code_digest` is a keyed hash of it (a server secret,
    bound to this verification's id). `status` is what the database holds; a pending one
    past `expires_at` is expired (`effective_status`) before anything writes it so."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        DENIED = "denied", _("Denied (out of attempts)")
        EXPIRED = "expired", _("Expired")
        CANCELED = "canceled", _("Canceled")

    public_id = models.CharField(_("id"), max_length=32, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="verifications", verbose_name=_("started by"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="+", verbose_name=_("account"))
    to = models.CharField(_("to"), max_length=16)
    code_digest = models.CharField(max_length=64)
    code_length = models.PositiveSmallIntegerField(_("code length"))
    ttl = models.PositiveIntegerField(_("time to live (seconds)"))
    app_name = models.CharField(_("app name"), max_length=30, blank=True)
    locale = models.CharField(_("language"), max_length=8)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    attempts_left = models.PositiveSmallIntegerField(_("attempts left"), default=5)
    expires_at = models.DateTimeField(_("expires"))
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("SMS message"))
    test = models.BooleanField(_("test"), default=False)
    key_id = models.CharField(_("API key"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="verification_owner")]
        constraints = [
            # One pending verification per number and account (and mode): a new start cancels
            # the pending one, and two parallel starts cannot both leave one pending.
            models.UniqueConstraint(fields=["owner", "to", "test"],
                                    condition=models.Q(status="pending"),
                                    name="one_pending_verification"),
        ]
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")

    def __str__(self) -> str:
        return self.public_id

    def effective_status(self, now=None) -> str:
        if self.status == self.Status.PENDING and (now or timezone.now()) >= self.expires_at:
            return self.Status.EXPIRED.value
        return str(self.status)

    @property
    def delivery(self) -> str:
        """"queued", "sent", "delivered" or "failed": what became of its SMS."""
        if self.message_id is None:
            return "failed"
        status = self.message.status
        if status in (Message.Status.FAILED, Message.Status.UNDELIVERED):
            return "failed"
        return str(status)

    @property
    def masked_to(self) -> str:
        return mask_number(self.to)

    def as_api(self) -> dict:
        return {
            "id": self.public_id,
            "to": self.masked_to,
            "status": self.effective_status(),
            "delivery": self.delivery,
            "expires_at": _iso(self.expires_at),
            "attempts_left": self.attempts_left,
        }


def mask_number(number: str) -> str:
    """+40712345678 -> +4071****678: the country and the last digits, enough to recognise."""
    if len(number) < 8:
        return number[:2] + "*" * max(len(number) - 2, 0)
    return number[:5] + "*" * (len(number) - 8) + number[-3:]


class VerifySettings(models.Model):
    """An account's SMS Authenticator settings (one per account owner)."""

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                 related_name="verify_settings", verbose_name=_("account"))
    app_name = models.CharField(
        _("app name"), max_length=30, blank=True,
        help_text=_("Named in the SMS; empty: the service's name."))
    code_length = models.PositiveSmallIntegerField(
        _("code length"), default=6,
        validators=[MinValueValidator(6), MaxValueValidator(10)])
    ttl = models.PositiveIntegerField(
        _("time to live (seconds)"), default=300,
        validators=[MinValueValidator(60), MaxValueValidator(600)])
    allowed_countries = models.JSONField(
        _("allowed countries"), default=list, blank=True,
        help_text=_("ISO 3166 codes of the countries codes may be sent to, e.g. [\"RO\", "
                    "\"DE\"]. Any other destination is refused."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("SMS Authenticator settings")
        verbose_name_plural = _("SMS Authenticator settings")

    def __str__(self) -> str:
        return str(self.owner)


class VerifyRefusal(models.Model):
    """A start the SMS Authenticator refused (operators watch these for SMS pumping)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="+", verbose_name=_("account"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("started by"))
    masked_to = models.CharField(_("to"), max_length=16)
    country = models.CharField(_("country"), max_length=2, blank=True)
    reason = models.CharField(_("reason"), max_length=32)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("refused verification")
        verbose_name_plural = _("refused verifications")

    def __str__(self) -> str:
        return f"{self.masked_to} {self.reason}"


def _iso(value) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
