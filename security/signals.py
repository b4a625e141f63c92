from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from . import sessions


@receiver(user_logged_in, dispatch_uid="security.session_signed_in")
def on_signed_in(sender, request=None, user=None, **kwargs):
    # Every way in (the portal's two steps, a test client's force_login) makes a session row.
    if request is not None and user is not None and hasattr(request, "session"):
        sessions.record_sign_in(request, user)


@receiver(user_logged_out, dispatch_uid="security.session_signed_out")
def on_signed_out(sender, request=None, **kwargs):
    if request is not None:
        sessions.record_sign_out(request)
