"""The second step of an API sign-in (`POST /api/v1/user/auth`): challenges.

An API client has no session to bind a code to, so the sign-in that asks for an SMS code
gets a challenge id with it, and the code works only together with that id (and only for
LIFETIME seconds). Asked again within the resend cooldown, the same pending challenge comes
back and no new SMS is sent. An authenticator-app code or a backup code needs no challenge.
Challenges live in the shared cache, so every server process knows them.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from . import otp
from .models import User

LIFETIME = 5 * 60


@dataclass(frozen=True)
class Challenge:
    id: str | None  # None when no SMS code was (or could be) sent
    message: str = ""  # why not, when no code was sent
    retry_after: int = 0


def _key(challenge_id: str) -> str:
    return f"api-challenge:{challenge_id}"


def _pending_key(user: User) -> str:
    return f"api-challenge:pending:{user.pk}"


def _binding(challenge_id: str) -> str:
    return f"api-challenge:{challenge_id}"


def start(request: HttpRequest, user: User) -> Challenge:
    """Ask `user` for a code: for an account with SMS codes, send one bound to a new challenge
    (or, within the resend cooldown, hand back the pending one without a new SMS)."""
    device = otp.sms_device(user)
    if device is None:
        return Challenge(None)
    pending = cache.get(_pending_key(user))
    if (isinstance(pending, dict) and time.time() - pending.get("at", 0)
            < settings.OTP_SMS_RESEND_COOLDOWN and cache.get(_key(pending["id"])) == user.pk):
        return Challenge(pending["id"])
    challenge_id = secrets.token_urlsafe(18)
    sent = otp.send_code(request, device, _binding(challenge_id))
    if not sent.sent:
        return Challenge(None, sent.message, sent.retry_after)
    cache.set(_key(challenge_id), user.pk, LIFETIME)
    cache.set(_pending_key(user), {"id": challenge_id, "at": time.time()}, LIFETIME)
    return Challenge(challenge_id)


def verify(request: HttpRequest, user: User, challenge_id: str | None,
           code: str) -> otp.Verification:
    """Check `code` for `user`'s API sign-in. An SMS code counts only with the live challenge
    it was sent for; a missing, unknown or expired challenge makes it a wrong code (which
    counts against the wrong-code cap like any other)."""
    live = bool(challenge_id) and cache.get(_key(challenge_id)) == user.pk
    # A binding no code was ever sent for: app and backup codes do not use it.
    binding = _binding(challenge_id) if live else "api-challenge:none:" + secrets.token_hex(8)
    result = otp.verify_code(request, user, code, binding)
    if result.result is otp.CodeResult.OK and live:
        cache.delete_many([_key(challenge_id), _pending_key(user)])
    return result
