"""The second factor: sending SMS codes within their limits, and checking any factor.

The portal's code step, the enrolment pages and the API's token sign-in all call these
functions; none of them re-implements a limit or a comparison.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from enum import Enum
from functools import cache

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal import ratelimit
from portal.clientip import client_ip
from portal.sms import SMSError, send_sms
from security.events import record
from security.models import EventType

from .models import SMSDevice, User
from .passkeys import Passkey, has_passkey

HOUR = 60 * 60
BACKUP_CODE_COUNT = 10
_BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def has_second_factor(user: User | int) -> bool:
    """Any confirmed device at all (`user` or its id), in one query: every sign-in and the
    dashboard ask. Plain SQL on Django's connection: the ORM would build the three-table
    query anew on every call."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + second_factor_sql("%(user)s"),
                       {"user": user if isinstance(user, int) else user.pk})
        return bool(cursor.fetchone()[0])


SECOND_FACTORS = (SMSDevice, TOTPDevice, Passkey, StaticDevice)


@cache
def second_factor_sql(user_id: str) -> str:
    """An SQL expression, true when the user `user_id` (a column or a placeholder) has any
    confirmed device. The one definition of "has a second factor" in SQL (the API's key
    lookup reads it in the same query)."""
    qn = connection.ops.quote_name
    # Table and column names come from the models; `confirmed` is a boolean column, a
    # condition by itself on both databases (so the statement needs no parameter for True).
    parts = [f"SELECT 1 FROM {qn(model._meta.db_table)} WHERE {qn('user_id')} = {user_id} "  # noqa: S608
             f"AND {qn('confirmed')}" for model in SECOND_FACTORS]
    return "EXISTS(" + " UNION ALL ".join(parts) + ")"


def confirmed_devices(user: User) -> list:
    """The user's confirmed devices: SMS first, then authenticator apps, passkeys, then backup
    codes."""
    return [device for model in SECOND_FACTORS
            for device in model.objects.filter(user=user, confirmed=True).order_by("pk")]


def passkeys_only(user: User) -> bool:
    """The user's second factor is passkeys (and backup codes), nothing that shows a code:
    the API, which cannot use a passkey, can take only a backup code."""
    return (not any(model.objects.filter(user=user, confirmed=True).exists()
                    for model in (SMSDevice, TOTPDevice))
            and has_passkey(user))


def sms_device(user: User) -> SMSDevice | None:
    return SMSDevice.objects.filter(user=user, confirmed=True).first()


# --- sending codes --------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    sent: bool
    retry_after: int = 0
    message: str = ""


def send_code(request: HttpRequest | None, device: SMSDevice, binding: str) -> SendResult:
    """Send a fresh code to `device`, bound to `binding`, within every limit.

    The limits: a cooldown between sends to one device, a cap per account, per phone
    number, per client address and overall. Each is taken before the SMS goes, by one
    atomic write, so parallel sends cannot pass more than a limit between them; a send
    refused by one limit gives back what it took from the others.
    """
    wait = device.start_cooldown()
    if wait:
        return SendResult(False, wait, _("Please wait before asking for another code."))
    phone = str(device.phone)
    reservation = ratelimit.reserve(_send_limits(request, device.user_id, phone))
    if not reservation.allowed:
        device.cancel_cooldown()
        record(request, EventType.CODE_THROTTLED, user=device.user)
        return SendResult(False, reservation.retry_after,
                          _("Too many codes were sent. Try again later or use a backup code."))
    code = device.issue_code(binding)
    body = _("Your %(site)s code is %(code)s. It expires in 5 minutes. Never share it.") % {
        "site": settings.SITE_NAME,
        "code": code,
    }
    try:
        send_sms(phone, body)
    except SMSError as exc:
        device.expire_code()
        # A refused SMS costs nothing and reaches no one: the caps get it back. The cooldown
        # stays, so a provider that refuses a number is not called for it in a loop.
        reservation.release()
        return SendResult(False, 0, str(exc))
    record(request, EventType.CODE_SENT, user=device.user, phone=masked_phone(phone))
    return SendResult(True)


def _send_limits(request: HttpRequest | None, user_id: int, phone: str) -> list:
    # The narrowest first: a send refused there takes nothing, even for a moment, from the
    # budgets other accounts share.
    limits = [
        (f"otp-send:user:{user_id}", settings.OTP_SMS_MAX_PER_ACCOUNT_HOUR, HOUR),
        (f"otp-send:phone:{phone}", settings.OTP_SMS_MAX_PER_PHONE_HOUR, HOUR),
    ]
    ip = client_ip(request) if request is not None else ""
    if ip:
        limits.append((f"otp-send:ip:{ip}", settings.OTP_SMS_MAX_PER_IP_HOUR, HOUR))
    limits.append(("otp-send:all", settings.OTP_SMS_MAX_GLOBAL_HOUR, HOUR))
    return limits


def masked_phone(phone: str) -> str:
    """+40712345678 -> +40•••••••78: enough to recognise one's own number."""
    return phone[:3] + "•" * max(len(phone) - 5, 0) + phone[-2:]


def _now():
    from django.utils import timezone

    return timezone.now()


# --- checking codes -------------------------------------------------------------------------


class CodeResult(Enum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"  # too many wrong codes: the pending sign-in must start over
    WAIT = "wait"  # the authenticator app's own back-off: try again in `retry_after` s


@dataclass(frozen=True)
class Verification:
    result: CodeResult
    device: object | None = None
    remaining: int = 0
    retry_after: int = 0


def verify_code(
    request: HttpRequest | None, user: User, code: str, binding: str
) -> Verification:
    """Check `code` against every confirmed factor of `user`.

    The failure count is raised with one atomic UPDATE *before* the check, so parallel
    guesses cannot exceed OTP_MAX_FAILURES; a good code resets it. At the cap the SMS code
    is expired and the caller must end the pending sign-in.
    """
    limit = settings.OTP_MAX_FAILURES
    code = "".join((code or "").split()).replace("-", "").lower()
    wait = totp_wait_seconds(user) if code.isdigit() else 0
    if wait and not SMSDevice.objects.filter(user=user, confirmed=True).exists():
        # django-otp refuses every app code for a few seconds after a wrong one; a code sent
        # in that pause is not a guess, so it is not counted: the user is told to wait.
        return Verification(CodeResult.WAIT, retry_after=wait)
    User.objects.filter(pk=user.pk).update(otp_failures=F("otp_failures") + 1)
    failures = User.objects.values_list("otp_failures", flat=True).get(pk=user.pk)
    if failures > limit:
        _lock(request, user)
        return Verification(CodeResult.LOCKED)
    device = _match(user, code, binding) if 4 <= len(code) <= 32 else None
    if device is not None:
        User.objects.filter(pk=user.pk).update(otp_failures=0)
        if isinstance(device, StaticDevice):
            record(request, EventType.BACKUP_CODE_USED, user=user)
        return Verification(CodeResult.OK, device)
    record(request, EventType.CODE_FAILED, user=user, failures=failures)
    if failures >= limit:
        _lock(request, user)
        return Verification(CodeResult.LOCKED)
    return Verification(CodeResult.WRONG, remaining=limit - failures)


def totp_wait_seconds(user: User) -> int:
    """Seconds until the user's authenticator app may be tried again (0: now)."""
    waits = []
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        allowed, info = device.verify_is_allowed()
        if allowed:
            return 0
        until = (info or {}).get("locked_until")
        waits.append(max(1, int((until - _now()).total_seconds()) + 1) if until else 1)
    return min(waits) if waits else 0


def _lock(request: HttpRequest | None, user: User) -> None:
    for device in SMSDevice.objects.filter(user=user):
        device.expire_code()
    # The count starts again with the next sign-in, which needs a new code (and so passes
    # the send limits again).
    User.objects.filter(pk=user.pk).update(otp_failures=0)
    record(request, EventType.CODE_LOCKED, user=user)


def _match(user: User, code: str, binding: str):
    if code.isdigit() and len(code) == 6:
        for device in SMSDevice.objects.filter(user=user, confirmed=True):
            if device.check_code(code, binding):
                return device
        for device in TOTPDevice.objects.filter(user=user, confirmed=True):
            if use_app_code(device, code):
                return device
        return None
    return use_backup_code(user, code)


def use_app_code(device: TOTPDevice, code: str) -> bool:
    """Check an authenticator app's code and use up its time step, once.

    As django-otp's `TOTPDevice.verify_token` (its throttling, tolerance and drift), except
    that the step is taken with one conditional UPDATE (`last_t < t`) rather than a read then
    a save: of two requests with the same right code, only one passes.
    """
    if not device.verify_is_allowed()[0]:
        return False
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if code.isdigit() and totp.verify(int(code), device.tolerance, device.last_t + 1):
        device.last_t = totp.t()
        if getattr(settings, "OTP_TOTP_SYNC", True):
            device.drift = totp.drift
        device.throttle_reset(commit=False)
        device.set_last_used_timestamp(commit=False)
        fields = ["last_t", "drift", "throttling_failure_count", "throttling_failure_timestamp",
                  "last_used_at"]
        used = TOTPDevice.objects.filter(pk=device.pk, last_t__lt=device.last_t).update(
            **{name: getattr(device, name) for name in fields})
        if used:
            return True
    # A wrong code, or a right one another request used first (as django-otp counts a
    # reused code). Only the throttling fields are written: a full save would put back this
    # request's old last_t and so free a step that another request has just used.
    device.throttle_increment(commit=False)
    device.save(update_fields=["throttling_failure_count", "throttling_failure_timestamp"])
    return False


# --- backup codes ---------------------------------------------------------------------------
# django-otp's static tokens are stored as typed; ours hold a keyed digest of each code, so
# the database alone reveals none of them.


def _backup_digest(code: str) -> str:
    return salted_hmac("accounts.backup", code, algorithm="sha256").hexdigest()[:16]


def generate_backup_codes(user: User) -> list[str]:
    """Replace the user's backup codes with 10 new ones and return them (shown once)."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="backup", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = []
    for _i in range(BACKUP_CODE_COUNT):
        code = "".join(secrets.choice(_BACKUP_ALPHABET) for _j in range(10))
        codes.append(f"{code[:5]}-{code[5:]}")
        StaticToken.objects.create(device=device, token=_backup_digest(code))
    return codes


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def use_backup_code(user: User, code: str) -> StaticDevice | None:
    digest = _backup_digest(code)
    for token in StaticToken.objects.filter(device__user=user, device__confirmed=True):
        if hmac.compare_digest(token.token, digest):
            # delete() returns how many rows went: only the request that removed the row
            # may use the code, so two parallel uses cannot both pass.
            deleted, _rows = StaticToken.objects.filter(pk=token.pk).delete()
            return token.device if deleted else None
    return None
