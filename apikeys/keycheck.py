"""THE key check: `check_key` applies API.md's "Key checks, in order" and nothing else does.

1. format and checksum (no database read for a malformed key);
2. one indexed lookup by lookup id (`keylookup.find`, one query on Django's connection),
   constant-time comparison of the hash, the prefix's mode against the key's; a revoked,
   replaced (past its grace) or expired key is refused, and its owner told (once a day);
   then a disabled one (`KeyRules.stop_reason`: the dead states win over disabled);
3. the HMAC signature, for keys with signing on;
4. the IP: the account's API whitelist, then the key's own rules by type;
5. the scope;
6. the per-key rate limit;
then the use is counted (`usage.count_use`), which also locks a Default key to its first IP.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import ratelimit
from portal.api.errors import STATUS
from portal.ipnets import ip_in
from security import whitelists
from security.events import record
from security.models import EventType

from . import addresses, crypto, emails, keyformat, keylookup, usage
from .keylookup import KeyRow
from .models import APIKey, KeyWhitelistEntry
from .signing import SignedRequest, Verdict, claim_once, verify_signature

__all__ = ["Code", "KeyCheck", "Refusal", "SignedRequest", "check_key"]

log = logging.getLogger(__name__)
BLOCKED_EVENT_SECONDS = 60  # at most one REQUEST_BLOCKED event per key and IP this often


class Code(StrEnum):
    INVALID_API_KEY = "INVALID_API_KEY"
    KEY_REVOKED = "KEY_REVOKED"
    KEY_EXPIRED = "KEY_EXPIRED"
    KEY_DISABLED = "KEY_DISABLED"
    SIGNATURE_REQUIRED = "SIGNATURE_REQUIRED"
    INVALID_SIGNATURE = "INVALID_SIGNATURE"
    IP_NOT_ALLOWED = "IP_NOT_ALLOWED"
    INSUFFICIENT_SCOPE = "INSUFFICIENT_SCOPE"
    RATE_LIMITED = "RATE_LIMITED"


@dataclass(frozen=True)
class Refusal:
    code: Code
    status: int
    message: str  # clear, in the active language, never a secret
    retry_after: int | None = None  # seconds, for RATE_LIMITED


@dataclass(frozen=True)
class KeyCheck:
    key: KeyRow | None = None  # set when accepted (and when refused after step 2)
    refusal: Refusal | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None


def _refuse(code: Code, message: str, key: KeyRow | None = None,
            retry_after: int | None = None) -> KeyCheck:
    return KeyCheck(key=key, refusal=Refusal(code, STATUS[code], message, retry_after))


@lru_cache(maxsize=4096)  # a pure function of the text; clients repeat their address
def _normal_ip(ip: str) -> str | None:
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def check_key(raw_key: str, *, ip: str, scope: str | None = None,
              signed: SignedRequest | Callable[[], SignedRequest] | None = None,
              request: HttpRequest | None = None, username: str | None = None) -> KeyCheck:
    """Check a presented key for one request; return the key, or the first refusal.

    `ip` is the client address (`portal.clientip.client_ip`), `scope` the endpoint's scope
    (None: any key will do), `signed` the request's method, path, body and signature headers
    (or a function that reads them off the request: only keys with signing on need them),
    `username` the smsUser sent with the key, which must be the key's owner. An accepted
    request is counted as a use.
    """
    # 1. Format and checksum: a mistyped key never reaches the database.
    parsed = keyformat.parse(raw_key)
    if parsed is None:
        return _refuse(Code.INVALID_API_KEY, _(
            "The API key is not valid: check that it was copied whole, with its prefix."))
    # 2. One indexed read; the hash is computed whether or not the id exists.
    presented = parsed.secret_hash
    key = keylookup.find(parsed.lookup_id)
    # A live key's id and secret under the test prefix (or the other way) is no key: the
    # prefix must say what the key does with what it sends.
    if (key is None or not hmac.compare_digest(key.secret_hash, presented)
            or key.mode != parsed.mode):
        return _refuse(Code.INVALID_API_KEY, _("The API key is not valid: no such key."))
    if username is not None and username != key.username:
        return _refuse(Code.INVALID_API_KEY, _("The API key is not valid: smsUser is not the "
                                               "key's owner."))
    if not key.user_active:
        return _refuse(Code.INVALID_API_KEY, _("The API key's account is disabled."))
    client = _normal_ip(ip)
    stopped = key.stop_reason()
    if stopped is not None:
        if stopped == "disabled":  # its owner's choice: no one to tell
            return _refuse(Code.KEY_DISABLED, _("This API key is disabled. Its owner can "
                                                "enable it again on the API Keys page."), key)
        notice_dead_use(key, client or "", stopped, request)
        if stopped == "expired":
            return _refuse(Code.KEY_EXPIRED, _("This API key has expired. Use a current key."),
                           key)
        if stopped == "replaced":
            return _refuse(Code.KEY_REVOKED, _("This API key was replaced by a new key and no "
                                               "longer works."), key)
        return _refuse(Code.KEY_REVOKED, _("This API key was deleted and no longer works."), key)
    # 3. Signature.
    if key.signing:
        refused = _check_signature(key, signed() if callable(signed) else signed)
        if refused is not None:
            return refused
    # 4. IP.
    if client is None:
        return _refuse(Code.IP_NOT_ALLOWED, _("Your IP address could not be determined."), key)
    refused = _check_ip(key, client, request)
    if refused is not None:
        return refused
    # 5. Scope.
    if scope is not None and scope not in key.effective_scopes():
        return _refuse(Code.INSUFFICIENT_SCOPE, _(
            "This API key does not have the scope “%(scope)s” this request needs. Use a key "
            "that has it.") % {"scope": scope}, key)
    # 6. Rate limit.
    limit = ratelimit.hit_leased(f"apikey:{key.pk}", key.rate_limit(), 60)
    if not limit.allowed:
        return _refuse(Code.RATE_LIMITED, _(
            "Too many requests with this API key: at most %(n)d a minute. Try again in "
            "%(s)d seconds.") % {"n": key.rate_limit(), "s": limit.retry_after}, key,
            retry_after=limit.retry_after)
    # Accepted: count it. The IP lock is decided here, by the database, at once.
    if not usage.count_use(key, client):
        _blocked(key, client, "locked_ip", request)
        return _refuse(Code.IP_NOT_ALLOWED, _locked_message(client), key)
    return KeyCheck(key=key)


def notice_dead_use(key: KeyRow, ip: str, reason: str, request: HttpRequest | None) -> None:
    """A dead key was presented: a security event (once per key, IP and day) and an e-mail
    to the owner (once per key and day, decided by one conditional UPDATE)."""
    today = timezone.now().date()
    if ratelimit.first_time(f"apikeys:dead:{key.pk}:{ip}:{today.isoformat()}", 25 * 60 * 60):
        record(request, EventType.KEY_DEAD_USED, user=key.user(), key_id=key.lookup_id,
               state=reason, address=ip)
    first_today = APIKey.objects.filter(pk=key.pk).filter(
        Q(dead_use_notified_on__isnull=True) | Q(dead_use_notified_on__lt=today)
    ).update(dead_use_notified_on=today)
    if first_today:
        emails.dead_key_used(key.instance(), ip, reason)


def _check_signature(key: KeyRow, signed: SignedRequest | None) -> KeyCheck | None:
    if signed is None or signed.timestamp is None or signed.signature is None:
        return _refuse(Code.SIGNATURE_REQUIRED, _(
            "This API key requires signed requests: send the X-Timestamp and X-Signature "
            "headers."), key)
    try:
        secret = crypto.decrypt(key.signing_secret_encrypted)
    except crypto.DecryptionError:
        log.error("signing secret of key %s cannot be decrypted (KEY_ENCRYPTION_KEY changed?)",
                  key.lookup_id)
        return _refuse(Code.INVALID_SIGNATURE, _(
            "The signature cannot be checked for this key. Regenerate the key."), key)
    verdict = verify_signature(secret, signed)
    if verdict is Verdict.BAD_TIMESTAMP:
        return _refuse(Code.INVALID_SIGNATURE, _(
            "X-Timestamp must be the current Unix time in whole seconds."), key)
    if verdict is Verdict.STALE:
        return _refuse(Code.INVALID_SIGNATURE, _(
            "X-Timestamp is more than 300 seconds away from the server's time: check your "
            "clock and sign the request again."), key)
    if verdict is not Verdict.OK:
        return _refuse(Code.INVALID_SIGNATURE, _(
            "X-Signature does not match the request: sign METHOD|path|timestamp|body with the "
            "key's signing secret (HMAC-SHA256, lowercase hex)."), key)
    if not claim_once(key.pk, signed):
        return _refuse(Code.INVALID_SIGNATURE, _(
            "This timestamp and signature were already used: sign every request anew."), key)
    return None


def _locked_message(ip: str) -> str:
    return _("This API key is locked to another IP address. To use it from %(ip)s, add that "
             "address to the key's whitelist.") % {"ip": ip}


def _check_ip(key: KeyRow, ip: str, request: HttpRequest | None) -> KeyCheck | None:
    # The lookup said whether the account has an API whitelist; only then is it read.
    if key.account_api_listed and not whitelists.ip_allowed(key.account_id, "api", ip):
        _blocked(key, ip, "account_whitelist", request)
        return _refuse(Code.IP_NOT_ALLOWED, _(
            "Your IP address %(ip)s is not on the account's API whitelist.") % {"ip": ip}, key)
    if key.type == APIKey.Type.CLOUD:
        return None
    if not addresses.locks_to_first_ip(key.type):  # a Zoho CRM key, and Zoho ranges are set
        if ip_in(ip, settings.ZOHO_CRM_ALLOWED_RANGES):
            return None
        _blocked(key, ip, "zoho_ranges", request)
        return _refuse(Code.IP_NOT_ALLOWED, _(
            "Zoho CRM keys work only from the Zoho CRM integration's addresses."), key)
    # A key locked to its first IP (apikeys.addresses): not locked yet (the first use will
    # lock it), its locked IP, or one of its whitelist entries (one query, only when needed).
    if key.locked_ip is None or ip_in(ip, [key.locked_ip]):
        return None
    if ip_in(ip, KeyWhitelistEntry.objects.filter(key_id=key.pk).values_list("value", flat=True)):
        return None
    _blocked(key, ip, "locked_ip", request)
    return _refuse(Code.IP_NOT_ALLOWED, _locked_message(ip), key)


def _blocked(key: KeyRow, ip: str, reason: str, request: HttpRequest | None) -> None:
    # One event per key and IP a minute: a misconfigured client retrying in a loop must not
    # flood the security log (the refusal itself still happens every time).
    if ratelimit.first_time(f"apikeys:blocked:{key.pk}:{ip}", BLOCKED_EVENT_SECONDS):
        record(request, EventType.REQUEST_BLOCKED, user=key.user(), key_id=key.lookup_id,
               reason=reason, address=ip)
