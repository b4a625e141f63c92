"""The SMS Authenticator: THE rules of verification codes for an account's own users.

The API (`messaging.verify_api`), the portal page and the admin call these functions and
hold no rule of their own.

- Codes come from `secrets` (a CSPRNG), are stored only as a keyed hash (HMAC-SHA256 with a
  key derived from SECRET_KEY, bound to the verification's id) and compared in constant time
  (`hmac.compare_digest`).
- Five attempts; a wrong code takes one in a conditional UPDATE, the last one denies. A right
  code approves in ONE conditional UPDATE (still pending, not expired, attempts left), so of
  two parallel checks of the right code exactly one is approved, the other is a CONFLICT.
- A new start for a number cancels the account's pending verification of it (and a partial
  unique index keeps two parallel starts from both staying pending).
- Destinations only in the account's allowed countries (else DESTINATION_NOT_ALLOWED, a
  VerifyRefusal row, nothing sent). Starts an hour per number and per account are reserved
  (`portal.ratelimit.reserve`) before the SMS goes, apart from the sign-in codes' caps; the
  SMS is a Message (`messaging.sending.send_messages`: a sub-user's sending hours and monthly
  limit apply) stored with the code blanked.
- A test key's start sends nothing and counts against no limit; its answer carries the code.
"""

from __future__ import annotations

import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

import phonenumbers
from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.subusers import account_owner, account_zone
from portal import ratelimit
from security.events import record
from security.models import EventType

from . import senders, sending
from .forms import APP_NAME_MAX, CODE_LENGTHS, TTL_SECONDS, VERIFY_LOCALES, VerifyStartForm
from .models import Message, Verification, VerifyRefusal, VerifySettings, mask_number

ATTEMPTS = 5
HOUR = 3600
ID_PREFIX = "vf_"
_LOCALES = {code for code, _name in VERIFY_LOCALES}


class VerifyRefused(Exception):
    """A start, check or cancel refused: `code` is the API's error code, `message` is safe to
    show (translated, no secret), `retry_after` seconds for RATE_LIMITED, `fields` for
    VALIDATION_ERROR."""

    def __init__(self, code: str, message: str, retry_after: int | None = None,
                 fields: dict[str, list[str]] | None = None):
        super().__init__(code)
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.fields = fields


@dataclass(frozen=True)
class Started:
    verification: Verification
    test_code: str | None  # a test key's start only: the code (nothing was sent)


# --- settings --------------------------------------------------------------------------------


def region_of(number: str) -> str:
    """The ISO 3166 code of a number's country ("" when unknown)."""
    try:
        parsed = phonenumbers.parse(str(number), None)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.region_code_for_number(parsed) or ""


def settings_for(owner) -> VerifySettings:
    """The account's settings; a new account's allowed countries are its verified phone's."""
    owner = account_owner(owner)
    found = VerifySettings.objects.filter(owner=owner).first()
    if found is not None:
        return found
    country = region_of(str(owner.phone)) if owner.phone else ""
    try:
        with transaction.atomic():
            return VerifySettings.objects.create(owner=owner,
                                                 allowed_countries=[country] if country else [])
    except IntegrityError:  # made by a parallel request
        return VerifySettings.objects.get(owner=owner)


def save_settings(owner, *, app_name: str, code_length: int, ttl: int,
                  allowed_countries: list[str], actor, request=None) -> VerifySettings:
    """Change the account's settings (the page asks for fresh proof first; operators use the
    admin). A change of the allowed countries is a security event."""
    owner = account_owner(owner)
    countries = sorted({str(c).upper() for c in allowed_countries})
    errors: dict[str, list[str]] = {}
    if len(app_name or "") > APP_NAME_MAX:
        errors["app_name"] = [_("At most %(n)d characters.") % {"n": APP_NAME_MAX}]
    if not (CODE_LENGTHS[0] <= code_length <= CODE_LENGTHS[1]):
        errors["code_length"] = [_("From %(min)d to %(max)d digits.")
                                 % {"min": CODE_LENGTHS[0], "max": CODE_LENGTHS[1]}]
    if not (TTL_SECONDS[0] <= ttl <= TTL_SECONDS[1]):
        errors["ttl"] = [_("From %(min)d to %(max)d seconds.")
                         % {"min": TTL_SECONDS[0], "max": TTL_SECONDS[1]}]
    unknown = [c for c in countries if c not in phonenumbers.SUPPORTED_REGIONS]
    if unknown:
        errors["allowed_countries"] = [_("Unknown country codes: %(codes)s.")
                                       % {"codes": ", ".join(unknown)}]
    if errors:
        raise VerifyRefused("VALIDATION_ERROR", _("Nothing was changed: %(fields)s not right.")
                            % {"fields": ", ".join(sorted(errors))}, fields=errors)
    current = settings_for(owner)
    before = sorted(current.allowed_countries or [])
    current.app_name = (app_name or "").strip()
    current.code_length = code_length
    current.ttl = ttl
    current.allowed_countries = countries
    current.save()
    if before != countries:
        # The account's event; an operator (in the admin) is named in it.
        operator = getattr(actor, "account_id", None) != owner.pk
        detail = {"operator": actor.get_username()} if operator and actor is not None else {}
        record(request, EventType.VERIFY_SETTINGS_CHANGED, user=owner if operator else actor,
               added=", ".join(c for c in countries if c not in before) or "-",
               removed=", ".join(c for c in before if c not in countries) or "-", **detail)
    return current


def country_name(code: str, language: str | None = None) -> str:
    """A country's name in `language` (the active one), from the Unicode CLDR (Babel)."""
    lang = (language or get_language() or "en").split("-")[0]
    try:
        names = Locale.parse(lang).territories
    except (UnknownLocaleError, ValueError):
        names = Locale.parse("en").territories
    return names.get(code) or code


def country_choices() -> list[tuple[str, str]]:
    """(ISO code, localized name) of every country numbers can be sent to, by name."""
    choices = [(code, f"{country_name(code)} ({code})")
               for code in phonenumbers.SUPPORTED_REGIONS if code != "001"]
    return sorted(choices, key=lambda choice: _sort_key(choice[1]))


def _sort_key(name: str) -> str:
    """Alphabetical whatever the accents: Åland with the As, Țara Galilor with the Ts."""
    return "".join(c for c in unicodedata.normalize("NFKD", name)
                   if not unicodedata.combining(c)).casefold()


# --- the SMS ---------------------------------------------------------------------------------

# GSM 03.38: the basic set (one septet each) and its extension (two each). A text of these
# takes 160 to a segment; any other character makes it UCS-2, 70 to a segment.
GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
           "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = set("^{}\\[~]|€\f")


def is_one_segment(text: str) -> bool:
    """Does `text` go as one SMS segment (GSM-7: 160 septets; else UCS-2: 70 units)?"""
    if all(c in GSM7 or c in GSM7_EXTENSION for c in text):
        return len(text) + sum(c in GSM7_EXTENSION for c in text) <= 160
    return len(text.encode("utf-16-le")) // 2 <= 70


# The texts are written here, not in the catalogue: each is held to one GSM-7 segment for a
# 10-digit code and a 30-character app name (tests/messaging/test_verify_service.py), which a
# translation with diacritics would break (UCS-2 allows 70 characters). The Romanian is
# written without diacritics for that reason, as Romanian SMS usually are.
SMS_TEXTS = {
    "en": ("{code} is your {app} code. It expires in 1 minute.",
           "{code} is your {app} code. It expires in {n} minutes."),
    "ro": ("{code} este codul tau pentru {app}. Expira in 1 minut.",
           "{code} este codul tau pentru {app}. Expira in {n} minute."),
}


def _gsm_only(text: str) -> str:
    """`text` with accents dropped and anything else outside GSM-7 left out."""
    plain = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in plain if c in GSM7 and c not in "\n\r")
    return " ".join(kept.split())


def sms_text(code: str, app_name: str, minutes: int, locale: str) -> str:
    """The verification SMS: the code, the app's name, how long it is good for, in one
    segment. An app name that would make it two (characters outside GSM-7) is written
    without them."""
    one, many = SMS_TEXTS.get(locale, SMS_TEXTS["en"])
    template = one if minutes == 1 else many
    app = " ".join((app_name or "").split())[:APP_NAME_MAX]
    text = template.format(code=code, app=app, n=minutes)
    if not is_one_segment(text):
        text = template.format(code=code, app=_gsm_only(app) or "-", n=minutes)
    return text


def _app_name(chosen: str | None, verify_settings: VerifySettings) -> str:
    name = (chosen or "").strip() or verify_settings.app_name or settings.SITE_NAME
    return name[:APP_NAME_MAX]


# --- codes -----------------------------------------------------------------------------------


def _new_code(length: int) -> str:
    return "".join(secrets.choice("0123456789") for _digit in range(length))


def _digest(public_id: str, code: str) -> str:
    # Keyed with SECRET_KEY and bound to this verification: a table leak gives no code away,
    # and a code is good for its own verification only.
    return salted_hmac("messaging.Verification", f"{public_id}:{code}",
                       algorithm="sha256").hexdigest()


def _new_id() -> str:
    return ID_PREFIX + secrets.token_urlsafe(15)  # 20 characters


# --- start -----------------------------------------------------------------------------------


def _refuse(user, owner, number: str, country: str, code: str, message: str,
            retry_after: int | None = None) -> VerifyRefused:
    VerifyRefusal.objects.create(owner=owner, user=user, masked_to=mask_number(number),
                                 country=country, reason=code)
    return VerifyRefused(code, message, retry_after)


def _limits(owner_id: int, number: str) -> list[tuple[str, int, int]]:
    # Apart from the sign-in codes' caps (otp-send:...). The narrowest first.
    return [(f"verify:number:{number}", settings.VERIFY_STARTS_PER_NUMBER_PER_HOUR, HOUR),
            (f"verify:account:{owner_id}", settings.VERIFY_STARTS_PER_ACCOUNT_PER_HOUR, HOUR)]


def start(user, to, *, code_length=None, ttl=None, locale=None, app_name=None,
          key_id: str = "", test: bool = False) -> Started:
    """Send a new code to `to` for `user`'s account; VerifyRefused when refused (nothing
    was sent then)."""
    form = VerifyStartForm(data={"to": to, "code_length": code_length, "ttl": ttl,
                                 "locale": locale or "", "app_name": app_name or ""})
    if not form.is_valid():
        fields = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
        raise VerifyRefused("VALIDATION_ERROR", _("Nothing was sent: %(fields)s not right.")
                            % {"fields": ", ".join(sorted(fields))}, fields=fields)
    data = form.cleaned_data
    owner = account_owner(user)
    verify_settings = settings_for(owner)
    number = data["to"]
    country = region_of(number)
    if country not in (verify_settings.allowed_countries or []):
        raise _refuse(user, owner, number, country, "DESTINATION_NOT_ALLOWED", _(
            "Codes cannot be sent to %(country)s: it is not one of the account's allowed "
            "countries (see the SMS Authenticator page).") % {"country": country or "?"})
    length = data["code_length"] or verify_settings.code_length
    seconds = data["ttl"] or verify_settings.ttl
    language = data["locale"] or (user.language if user.language in _LOCALES else "en")
    app = _app_name(data["app_name"], verify_settings)
    reservation = None
    if not test:  # a test key's start costs nothing and counts against no limit
        reservation = ratelimit.reserve(_limits(owner.pk, number))
        if not reservation.allowed:
            raise _refuse(user, owner, number, country, "RATE_LIMITED", _(
                "Too many verifications were started for this number or account. Try again "
                "later."), retry_after=reservation.retry_after)
    code = _new_code(length)
    public_id = _new_id()
    minutes = max(1, seconds // 60)
    text = sms_text(code, app, minutes, language)
    stored = sms_text("*" * length, app, minutes, language)
    names = senders.allowed_names(user)
    outgoing = sending.Outgoing([number], stored, names[0] if names else "")
    try:
        message = sending.send_messages(user, outgoing, key_id=key_id, test=test,
                                        sent_body=text)[0]
    except sending.SendingRefused as refused:
        if reservation is not None:
            reservation.release()
        raise VerifyRefused(refused.code, refused.message) from None
    if reservation is not None and message.status == Message.Status.FAILED:
        reservation.release()  # the provider refused it: it cost nothing
    now = timezone.now()
    verification = Verification(
        public_id=public_id, user=user, owner=owner, to=number,
        code_digest=_digest(public_id, code), code_length=length, ttl=seconds, app_name=app,
        locale=language, attempts_left=ATTEMPTS, expires_at=now + timedelta(seconds=seconds),
        message=message, test=test, key_id=key_id, created_at=now)
    _replace_pending(verification)
    return Started(verification, code if test else None)


def _replace_pending(verification: Verification) -> None:
    """Cancel the account's pending verification of the number and save this one, in one
    transaction; a parallel start that got in first is canceled in turn."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                _close_pending(Verification.objects.filter(
                    owner=verification.owner, to=verification.to, test=verification.test))
                verification.save(force_insert=True)
                return
        except IntegrityError:  # a parallel start's verification is pending: cancel it too
            verification.pk = None
            continue
    raise VerifyRefused("CONFLICT", _("Another verification of this number was started at the "
                                      "same moment. Try again."))


def _close_pending(rows) -> None:
    now = timezone.now()
    pending = rows.filter(status=Verification.Status.PENDING)
    pending.filter(expires_at__lte=now).update(status=Verification.Status.EXPIRED,
                                               decided_at=F("expires_at"))
    pending.update(status=Verification.Status.CANCELED, decided_at=now)


# --- read, check, cancel ---------------------------------------------------------------------


def get(user, verification_id) -> Verification:
    """One of the account's verifications; NOT_FOUND for anyone else's or an unknown id."""
    if (not isinstance(verification_id, str) or not verification_id.startswith(ID_PREFIX)
            or len(verification_id) > 32 or "\x00" in verification_id):
        raise _not_found()
    found = (Verification.objects.select_related("message")
             .filter(owner_id=user.account_id, public_id=verification_id).first())
    if found is None:
        raise _not_found()
    return found


def _not_found() -> VerifyRefused:
    return VerifyRefused("NOT_FOUND", _("This account has no verification with this id."))


def _no_longer_pending(verification: Verification) -> VerifyRefused:
    status = verification.effective_status()
    if status == Verification.Status.EXPIRED and verification.status != status:
        _close_pending(Verification.objects.filter(pk=verification.pk,
                                                   expires_at__lte=timezone.now()))
    return VerifyRefused("CONFLICT", _("This verification is no longer pending: it is "
                                       "%(status)s.") % {"status": status})


def check(user, verification_id, code) -> Verification:
    """Check a code: approved, or one attempt fewer (denied after the last). CONFLICT when
    the verification is no longer pending, NOT_FOUND when it is not the account's."""
    verification = get(user, verification_id)
    now = timezone.now()
    open_rows = Verification.objects.filter(pk=verification.pk,
                                            status=Verification.Status.PENDING,
                                            expires_at__gt=now, attempts_left__gt=0)
    if verification.effective_status(now) != Verification.Status.PENDING:
        raise _no_longer_pending(verification)
    right = hmac.compare_digest(verification.code_digest,
                                _digest(verification.public_id, str(code)))
    if right:
        if not open_rows.update(status=Verification.Status.APPROVED, decided_at=now):
            verification.refresh_from_db()
            raise _no_longer_pending(verification)  # another check got there first
    else:
        # One attempt fewer; the last one denies. One conditional UPDATE each, so parallel
        # wrong codes never take more attempts than there are.
        taken = (open_rows.filter(attempts_left__gt=1)
                 .update(attempts_left=F("attempts_left") - 1)
                 or open_rows.filter(attempts_left=1)
                 .update(attempts_left=0, status=Verification.Status.DENIED, decided_at=now))
        if not taken:
            verification.refresh_from_db()
            raise _no_longer_pending(verification)
    verification.refresh_from_db()
    return verification


def cancel(user, verification_id) -> Verification:
    """Cancel a pending verification; CONFLICT when it no longer is."""
    verification = get(user, verification_id)
    now = timezone.now()
    if not Verification.objects.filter(pk=verification.pk, status=Verification.Status.PENDING,
                                       expires_at__gt=now).update(
            status=Verification.Status.CANCELED, decided_at=now):
        verification.refresh_from_db()
        raise _no_longer_pending(verification)
    verification.refresh_from_db()
    return verification


# --- what the page shows ---------------------------------------------------------------------


def recent(owner, limit: int = 50) -> list[Verification]:
    """The account's latest verifications (its sub-users' too), newest first."""
    owner = account_owner(owner)
    return list(Verification.objects.select_related("message", "user")
                .filter(owner=owner)[:limit])


class Daily(NamedTuple):
    first: date  # the first of the days, in the owner's time zone (the last is today)
    started: dict[date, int]
    approved: dict[date, int]


def daily(owner, days: int = 30) -> Daily:
    """Verifications started and approved a day for the last `days` days, in the owner's time
    zone (days with none are left out). One query."""
    owner = account_owner(owner)
    zone = account_zone(owner)
    today = timezone.now().astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time.min, tzinfo=zone)
    rows = (Verification.objects.filter(owner=owner, test=False, created_at__gte=since)
            .annotate(day=TruncDate("created_at", tzinfo=zone)).values("day")
            .annotate(started=Count("id"),
                      approved=Count("id", filter=Q(status=Verification.Status.APPROVED)))
            .values_list("day", "started", "approved"))
    started: dict[date, int] = {}
    approved: dict[date, int] = {}
    for day, n_started, n_approved in rows:
        started[day] = n_started
        if n_approved:
            approved[day] = n_approved
    return Daily(first, started, approved)
