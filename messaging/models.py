"""The SMS messages an account sent through the API, one row per recipient; the sender
names an account may send as, and which of them each sub-user may use."""

from __future__ import annotations

from datetime import UTC

from django.conf import settings
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


def _iso(value) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
