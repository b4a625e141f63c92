from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from apikeys import crypto, flows, keyformat
from apikeys.models import SCOPES, APIKey, KeyWhitelistEntry
from security.models import EventType, SecurityEvent

from .conftest import ELSEWHERE, OFFICE, check

pytestmark = pytest.mark.django_db


def all_text_of(key: APIKey) -> str:
    """Every column of the key's row, as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM apikeys_apikey WHERE id = %s", [key.pk])
        return " ".join(str(v) for v in cursor.fetchone())


def test_creating_stores_only_the_hash_and_returns_the_key_once(make_key):
    created = make_key()
    key = created.key
    parsed = keyformat.parse(created.full_key)
    assert key.secret_hash == parsed.secret_hash
    row = all_text_of(key)
    assert created.full_key not in row and parsed.secret not in row
    assert key.masked == f"sk_live_{key.lookup_id[:4]}...{created.full_key[-4:]}"
    assert key.scopes == SCOPES and key.state == "active" and key.times_used == 0
    assert created.signing_secret is None and created.full_key not in repr(created)


def test_creating_records_an_event_and_mails_the_owner_without_the_secret(make_key):
    created = make_key()
    event = SecurityEvent.objects.get(type=EventType.KEY_CREATED)
    assert event.user.username == "alice" and event.detail["key_id"] == created.key.lookup_id
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert created.key.masked in message.body
    for part in (message.body, message.alternatives[0][0], message.subject):
        assert created.full_key not in part
        assert keyformat.parse(created.full_key).secret not in part


def test_a_signing_secret_is_encrypted_at_rest(make_key):
    created = make_key(signing=True)
    secret = created.signing_secret
    assert len(secret.encode()) >= 32
    assert secret not in all_text_of(created.key)
    assert crypto.decrypt(created.key.signing_secret_encrypted) == secret
    assert secret not in mail.outbox[0].body


def test_regenerating_keeps_the_settings_and_kills_the_old_key(make_key):
    created = make_key(type=APIKey.Type.DEFAULT, scopes=["sms:send"], signing=True,
                       expires_at=timezone.now() + timedelta(days=30))
    assert check(created, ip=OFFICE, scope="sms:send",
                 signed=_signed(created)).ok
    flows.add_whitelist_entry(None, created.key, "198.51.100.0/24", "branch")
    mail.outbox.clear()

    new = flows.regenerate_key(None, created.key)

    old = APIKey.objects.get(pk=created.key.pk)
    assert old.state == "replaced" and old.replaced_by_id == new.key.pk
    assert new.full_key != created.full_key and new.signing_secret != created.signing_secret
    fresh = new.key
    assert (fresh.description, fresh.type, fresh.scopes, fresh.signing, fresh.expires_at,
            fresh.locked_ip) == (old.description, old.type, old.scopes, True, old.expires_at,
                                 OFFICE)
    assert list(fresh.whitelist.values_list("value", "label")) == [("198.51.100.0/24", "branch")]
    assert fresh.times_used == 0
    assert SecurityEvent.objects.filter(type=EventType.KEY_REGENERATED,
                                        detail__new_key_id=fresh.lookup_id).exists()
    assert len(mail.outbox) == 1 and "no longer works" in mail.outbox[0].body
    assert new.full_key not in mail.outbox[0].body


def _signed(created):
    import time

    from apikeys.signing import SignedRequest, sign

    ts = str(int(time.time()))
    return SignedRequest("GET", "/api/v1/me", ts,
                         sign(created.signing_secret, "GET", "/api/v1/me", ts, b""), b"")


def test_a_grace_period_is_at_most_seven_days(make_key):
    created = make_key()
    with pytest.raises(ValueError):
        flows.regenerate_key(None, created.key, grace_seconds=7 * 24 * 3600 + 1)
    with pytest.raises(ValueError):
        flows.regenerate_key(None, created.key, grace_seconds=-1)
    flows.regenerate_key(None, created.key, grace_seconds=7 * 24 * 3600)
    old = APIKey.objects.get(pk=created.key.pk)
    assert old.in_grace() and "keeps working until" in mail.outbox[-1].body


def test_a_dead_key_cannot_be_regenerated(make_key):
    created = make_key()
    flows.regenerate_key(None, created.key)
    with pytest.raises(flows.KeyNotActive):
        flows.regenerate_key(None, created.key)
    assert APIKey.objects.count() == 2


def test_revoking_is_immediate_recorded_mailed_and_done_once(make_key):
    created = make_key()
    mail.outbox.clear()
    assert flows.revoke_key(None, created.key) is True
    assert flows.revoke_key(None, created.key) is False
    assert APIKey.objects.get(pk=created.key.pk).state == "revoked"
    assert SecurityEvent.objects.filter(type=EventType.KEY_DELETED).count() == 1
    assert len(mail.outbox) == 1 and "was deleted" in mail.outbox[0].body


def test_revoking_a_key_in_its_grace_period_ends_the_grace(make_key):
    created = make_key()
    flows.regenerate_key(None, created.key, grace_seconds=3600)
    assert check(created).ok
    flows.revoke_key(None, APIKey.objects.get(pk=created.key.pk))
    assert check(created).refusal.code == "KEY_REVOKED"


def test_whitelist_changes_are_validated_recorded_and_mailed(make_key):
    created = make_key()
    mail.outbox.clear()
    entry = flows.add_whitelist_entry(None, created.key, " 2001:DB8::1 ", "  my   laptop ")
    assert (entry.value, entry.label) == ("2001:db8::1", "my laptop")
    with pytest.raises(ValidationError) as error:
        flows.add_whitelist_entry(None, created.key, "2001:db8:0::1", "")
    assert "already" in error.value.message_dict["value"][0]
    with pytest.raises(ValidationError) as error:
        flows.add_whitelist_entry(None, created.key, "999.1.1.1", "")
    assert "not an IP address" in error.value.message_dict["value"][0]
    flows.remove_whitelist_entry(None, entry)
    flows.remove_whitelist_entry(None, entry)  # twice: nothing more happens
    assert not KeyWhitelistEntry.objects.exists()
    events = SecurityEvent.objects.filter(type=EventType.WHITELIST_CHANGED)
    assert [e.detail["action"] for e in events.order_by("id")] == ["added", "removed"]
    assert len(mail.outbox) == 2


def test_to_api_dict_is_the_key_object_of_the_contract(make_key):
    created = make_key(expires_at=timezone.now() + timedelta(days=2))
    flows.add_whitelist_entry(None, created.key, ELSEWHERE, "office")
    key = APIKey.objects.prefetch_related("whitelist").get(pk=created.key.pk)
    data = key.to_api_dict()
    assert set(data) == {"id", "description", "type", "masked", "scopes", "signing", "state",
                         "mode", "created_at", "expires_at", "last_used_at", "times_used",
                         "last_ip", "locked_ip", "whitelist"}
    assert data["id"] == key.lookup_id and data["type"] == "default" and data["mode"] == "live"
    assert data["state"] == "active" and data["created_at"].endswith("Z")
    assert data["whitelist"] == [{"id": key.whitelist.get().pk, "value": ELSEWHERE,
                                  "label": "office"}]
    assert created.full_key not in str(data)
    later = timezone.now() + timedelta(days=3)
    assert key.to_api_dict(now=later)["state"] == "expired"
