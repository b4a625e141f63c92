from __future__ import annotations

import hmac
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from freezegun import freeze_time

from apikeys import flows, keyformat
from apikeys.keycheck import Code, check_key
from apikeys.models import APIKey, KeyUsageDay
from apikeys.signing import SignedRequest, sign
from security.models import EventType, IPWhitelistEntry, SecurityEvent

from .conftest import ELSEWHERE, OFFICE, check

pytestmark = pytest.mark.django_db


def refused(result, code):
    assert result.refusal is not None, "accepted"
    assert result.refusal.code == code, result.refusal
    return result.refusal


def test_a_good_key_is_accepted_and_counted(make_key):
    created = make_key()
    result = check(created, scope="sms:send")
    assert result.ok and result.key.pk == created.key.pk
    key = APIKey.objects.get(pk=created.key.pk)
    assert key.times_used == 1 and key.last_ip == OFFICE and key.last_used_at is not None
    assert KeyUsageDay.objects.get(key=key, date=timezone.now().date()).count == 1


def test_a_malformed_key_is_refused_without_a_database_read(make_key,
                                                            django_assert_num_queries):
    full = make_key().full_key
    with django_assert_num_queries(0):
        refusal = refused(check_key(full[:-1] + ("a" if full[-1] != "a" else "b"), ip=OFFICE),
                          Code.INVALID_API_KEY)
    assert refusal.status == 401
    assert full not in refusal.message


def test_an_unknown_key_is_refused(db):
    refused(check_key(keyformat.generate().full, ip=OFFICE), Code.INVALID_API_KEY)


def test_a_known_id_with_the_wrong_secret_is_refused(make_key):
    created = make_key()
    forged = keyformat.generate(lookup_id=created.key.lookup_id).full
    refused(check_key(forged, ip=OFFICE), Code.INVALID_API_KEY)
    assert APIKey.objects.get(pk=created.key.pk).times_used == 0


def test_the_hash_is_compared_in_constant_time(make_key, monkeypatch):
    created = make_key()
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    assert check(created).ok
    assert calls


def test_a_key_of_a_disabled_account_is_refused(make_key, alice):
    created = make_key()
    alice.is_active = False
    alice.save()
    refused(check(created), Code.INVALID_API_KEY)


def test_a_deleted_key_is_refused_and_the_owner_told_once_a_day(make_key):
    created = make_key()
    flows.revoke_key(None, created.key)
    mail.outbox.clear()
    for _ in range(3):
        refusal = refused(check(created), Code.KEY_REVOKED)
    assert refusal.status == 401
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert f"was used from IP {OFFICE} after it was revoked" in body
    assert created.full_key not in body
    assert SecurityEvent.objects.filter(type=EventType.KEY_DEAD_USED).count() == 1
    with freeze_time(timezone.now() + timedelta(days=1)):
        refused(check(created), Code.KEY_REVOKED)
    assert len(mail.outbox) == 2


def test_a_replaced_key_dies_at_once_without_grace(make_key):
    created = make_key()
    new = flows.regenerate_key(None, created.key)
    refused(check(created), Code.KEY_REVOKED)
    assert check(new).ok
    assert "replaced" in mail.outbox[-1].body


def test_a_replaced_key_works_until_its_grace_period_ends(make_key):
    created = make_key()
    flows.regenerate_key(None, created.key, grace_seconds=3600)
    assert check(created).ok
    with freeze_time(timezone.now() + timedelta(seconds=3601)):
        refused(check(created), Code.KEY_REVOKED)


def test_an_expired_key_is_refused(make_key):
    created = make_key(expires_at=timezone.now() + timedelta(days=1))
    assert check(created).ok
    with freeze_time(timezone.now() + timedelta(days=1, seconds=1)):
        refusal = refused(check(created), Code.KEY_EXPIRED)
    assert refusal.status == 401
    assert "after it expired" in mail.outbox[-1].body


# --- signatures ---------------------------------------------------------------------------


def signed_request(created, ts=None, body=b"{}", path="/api/v1/sms/send", signature=None):
    ts = str(int(time.time())) if ts is None else ts
    if signature is None:
        signature = sign(created.signing_secret, "POST", path, ts, body)
    return SignedRequest("POST", path, ts, signature, body)


def test_a_signing_key_needs_both_headers(make_key):
    created = make_key(signing=True)
    refusal = refused(check(created), Code.SIGNATURE_REQUIRED)
    assert refusal.status == 401
    missing = SignedRequest("POST", "/api/v1/sms/send", None, None, b"")
    refused(check(created, signed=missing), Code.SIGNATURE_REQUIRED)


def test_a_correctly_signed_request_is_accepted_once(make_key):
    created = make_key(signing=True)
    request = signed_request(created)
    assert check(created, signed=request).ok
    refusal = refused(check(created, signed=request), Code.INVALID_SIGNATURE)
    assert "already used" in refusal.message
    assert APIKey.objects.get(pk=created.key.pk).times_used == 1


def test_a_wrong_signature_is_refused_and_says_so(make_key):
    created = make_key(signing=True)
    request = signed_request(created, body=b"{}")
    tampered = SignedRequest(request.method, request.path, request.timestamp, request.signature,
                             b'{"to": "+1"}')
    refusal = refused(check(created, signed=tampered), Code.INVALID_SIGNATURE)
    assert "does not match" in refusal.message


@pytest.mark.parametrize("skew", [301, -301])
def test_a_stale_or_future_timestamp_is_refused_and_says_so(make_key, skew):
    created = make_key(signing=True)
    request = signed_request(created, ts=str(int(time.time()) + skew))
    refusal = refused(check(created, signed=request), Code.INVALID_SIGNATURE)
    assert "300 seconds" in refusal.message


def test_a_key_without_signing_ignores_signature_headers(make_key):
    created = make_key()
    assert check(created, signed=SignedRequest("GET", "/", "1", "junk", b"")).ok


# --- IP addresses -------------------------------------------------------------------------


def test_a_default_key_is_locked_to_its_first_ip(make_key):
    created = make_key()
    assert check(created, ip=OFFICE).ok
    assert APIKey.objects.get(pk=created.key.pk).locked_ip == OFFICE
    refusal = refused(check(created, ip=ELSEWHERE), Code.IP_NOT_ALLOWED)
    assert refusal.status == 403 and ELSEWHERE in refusal.message
    assert check(created, ip=OFFICE).ok
    assert APIKey.objects.get(pk=created.key.pk).times_used == 2
    event = SecurityEvent.objects.get(type=EventType.REQUEST_BLOCKED)
    assert event.detail["address"] == ELSEWHERE and event.detail["reason"] == "locked_ip"


def test_the_key_whitelist_admits_more_addresses_and_ranges(make_key):
    created = make_key()
    assert check(created, ip=OFFICE).ok
    flows.add_whitelist_entry(None, created.key, "198.51.100.0/24", "branch")
    flows.add_whitelist_entry(None, created.key, "2001:db8::/32", "v6")
    assert check(created, ip=ELSEWHERE).ok
    assert check(created, ip="2001:db8:1::5").ok
    assert check(created, ip="::ffff:198.51.100.20").ok  # IPv4-mapped IPv6
    refused(check(created, ip="192.0.2.1"), Code.IP_NOT_ALLOWED)
    refused(check(created, ip="2001:db9::1"), Code.IP_NOT_ALLOWED)


def test_the_accounts_api_whitelist_comes_first(make_key, alice):
    created = make_key(type=APIKey.Type.CLOUD)
    IPWhitelistEntry.objects.create(user=alice, kind="api", value="203.0.113.0/24")
    assert check(created, ip=OFFICE).ok
    refusal = refused(check(created, ip=ELSEWHERE), Code.IP_NOT_ALLOWED)
    assert "account's API whitelist" in refusal.message


def test_the_portal_whitelist_does_not_limit_the_api(make_key, alice):
    created = make_key(type=APIKey.Type.CLOUD)
    IPWhitelistEntry.objects.create(user=alice, kind="portal", value="192.0.2.0/24")
    assert check(created, ip=OFFICE).ok


def test_a_cloud_key_works_from_any_ip_and_records_the_first(make_key):
    created = make_key(type=APIKey.Type.CLOUD)
    assert check(created, ip=OFFICE).ok
    assert check(created, ip=ELSEWHERE).ok
    assert check(created, ip="2001:db8::1").ok
    key = APIKey.objects.get(pk=created.key.pk)
    assert key.locked_ip == OFFICE and key.last_ip == "2001:db8::1" and key.times_used == 3


def test_a_zoho_key_works_only_from_the_configured_ranges(make_key, settings):
    settings.ZOHO_CRM_ALLOWED_RANGES = ["203.0.113.0/24", "2001:db8::/32"]
    created = make_key(type=APIKey.Type.ZOHO_CRM)
    assert check(created, ip=OFFICE).ok
    assert check(created, ip="2001:db8::7").ok
    refused(check(created, ip=ELSEWHERE), Code.IP_NOT_ALLOWED)


def test_a_zoho_key_locks_to_its_first_ip_while_no_ranges_are_set(make_key, settings):
    settings.ZOHO_CRM_ALLOWED_RANGES = []
    created = make_key(type=APIKey.Type.ZOHO_CRM)
    assert check(created, ip=ELSEWHERE).ok
    refused(check(created, ip=OFFICE), Code.IP_NOT_ALLOWED)
    settings.ZOHO_CRM_ALLOWED_RANGES = ["203.0.113.0/24"]
    assert check(created, ip=OFFICE).ok
    refused(check(created, ip=ELSEWHERE), Code.IP_NOT_ALLOWED)


def test_a_request_without_a_usable_ip_is_refused(make_key):
    created = make_key(type=APIKey.Type.CLOUD)
    refused(check(created, ip=""), Code.IP_NOT_ALLOWED)
    refused(check(created, ip="not-an-ip"), Code.IP_NOT_ALLOWED)


# --- scopes and rate ----------------------------------------------------------------------


def test_a_key_without_the_scope_is_refused(make_key):
    created = make_key(scopes=["sms:read"])
    assert check(created, scope="sms:read").ok
    refusal = refused(check(created, scope="sms:send"), Code.INSUFFICIENT_SCOPE)
    assert refusal.status == 403 and "sms:send" in refusal.message
    assert APIKey.objects.get(pk=created.key.pk).times_used == 1


def test_a_zoho_key_has_only_the_settings_zoho_scopes(make_key, settings):
    settings.ZOHO_CRM_ALLOWED_RANGES = ["203.0.113.0/24"]
    created = make_key(type=APIKey.Type.ZOHO_CRM, scopes=["keys:write", "sms:send"])
    assert check(created, scope="sms:send").ok
    refused(check(created, scope="keys:write"), Code.INSUFFICIENT_SCOPE)
    settings.ZOHO_CRM_SCOPES = ["sms:read"]
    refused(check(created, scope="sms:send"), Code.INSUFFICIENT_SCOPE)


@freeze_time("2026-03-01 12:00:10")
def test_the_per_key_rate_limit_answers_429_with_retry_after(make_key, settings):
    settings.API_KEY_RATE_LIMIT_PER_MINUTE = 3
    created = make_key()
    for _ in range(3):
        assert check(created).ok
    refusal = refused(check(created), Code.RATE_LIMITED)
    assert refusal.status == 429 and refusal.retry_after == 50
    assert APIKey.objects.get(pk=created.key.pk).times_used == 3


def test_an_operator_can_set_a_keys_own_rate_limit(make_key, settings):
    settings.API_KEY_RATE_LIMIT_PER_MINUTE = 100
    created = make_key()
    APIKey.objects.filter(pk=created.key.pk).update(rate_limit_per_minute=1)
    assert check(created).ok
    refused(check(created), Code.RATE_LIMITED)


def test_refused_requests_are_not_counted(make_key):
    created = make_key(scopes=["sms:read"])
    refused(check(created, scope="keys:write"), Code.INSUFFICIENT_SCOPE)
    key = APIKey.objects.get(pk=created.key.pk)
    assert key.times_used == 0 and key.last_used_at is None and key.locked_ip is None
    assert not KeyUsageDay.objects.filter(key=key).exists()


def _statements(created, ip=OFFICE) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert check(created, ip=ip).ok
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_a_check_costs_one_read_and_two_writes(make_key):
    created = make_key()
    assert check(created).ok  # the first use locks the IP and reserves rate-limit events
    sql = _statements(created)
    # One read (the key, its user and whether the account has an API whitelist), then the
    # use counted (times used, the day's count); the rate limit is served from events this
    # process already reserved.
    assert [q.split()[0] for q in sql] == ["SELECT", "UPDATE", "UPDATE"], sql
    assert "apikeys_apikey" in sql[0] and "security_ipwhitelistentry" in sql[0]


def test_the_api_whitelist_is_read_only_when_the_account_has_one(make_key, alice):
    created = make_key()
    assert check(created).ok
    IPWhitelistEntry.objects.create(user=alice, kind="api", value=OFFICE)
    sql = _statements(created)
    assert len([q for q in sql if q.startswith("SELECT")]) == 2, sql
    assert check(created, ip=ELSEWHERE).refusal.code == Code.IP_NOT_ALLOWED
