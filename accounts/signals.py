from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from security.events import record
from security.models import EventType

from . import lockout
from .models import User


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = str((credentials or {}).get("username", ""))
    lockout.count_account_failure(username)
    if request is not None:
        # Linked to the account when it exists, so its owner sees the failure in the
        # account's activity; the reply to the client is the same either way.
        user = User.objects.filter(username=username).first()
        record(request, EventType.SIGNIN_FAILURE, user=user, username=username[:150])


@receiver(user_locked_out)
def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    if request is not None:
        record(request, EventType.SIGNIN_LOCKED, username=(username or "")[:150])
