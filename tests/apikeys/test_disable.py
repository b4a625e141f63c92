"""Disabling and enabling a key: refused with KEY_DISABLED until enabled, the key itself
untouched; revoked, replaced and expired win over disabled; events and e-mails; the page
(fresh proof), the list and the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apikeys import flows
from apikeys.models import APIKey
from security.models import EventType, SecurityEvent

from .conftest import ELSEWHERE, OFFICE, check
from .test_admin import CHANGELIST
from .test_pages import LIST, stale, text

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


def fresh(key: APIKey) -> APIKey:
    return APIKey.objects.prefetch_related("whitelist").get(pk=key.pk)


def test_a_disabled_key_is_refused_and_works_again_as_it_was_when_enabled(make_key):
    created = make_key()
    assert check(created).ok
    flows.add_whitelist_entry(None, created.key, ELSEWHERE, "office")
    before = fresh(created.key)

    assert flows.disable_key(None, created.key) is True
    refusal = check(created).refusal
    assert (refusal.code, refusal.status) == ("KEY_DISABLED", 401)
    assert "disabled" in refusal.message
    disabled = fresh(created.key)
    assert disabled.effective_state() == "disabled" and not disabled.is_active()
    assert disabled.times_used == 1  # the refused request was not counted

    assert flows.enable_key(None, created.key) is True
    assert check(created).ok and check(created, ip=ELSEWHERE).ok
    after = fresh(created.key)
    for field in ("secret_hash", "lookup_id", "last4", "locked_ip", "scopes", "type",
                  "signing_secret_encrypted", "expires_at", "mode"):
        assert getattr(after, field) == getattr(before, field), field
    assert after.times_used == 3 and after.state == "active"
    assert [e.value for e in after.whitelist.all()] == [ELSEWHERE]


def test_a_disabled_keys_whitelist_may_still_change(make_key):
    created = make_key()
    flows.disable_key(None, created.key)
    flows.add_whitelist_entry(None, created.key, ELSEWHERE)
    assert fresh(created.key).whitelist.count() == 1


# (what happens to a disabled key, the state shown, the key check's refusal)
DEAD_WINS = [
    ("expires", "expired", "KEY_EXPIRED"),
    ("revoked", "revoked", "KEY_REVOKED"),
]


@pytest.mark.parametrize("event, shown, code", DEAD_WINS)
def test_revoked_and_expired_win_over_disabled(make_key, event, shown, code):
    created = make_key()
    flows.disable_key(None, created.key)
    if event == "expires":
        APIKey.objects.filter(pk=created.key.pk).update(expires_at=timezone.now() - HOUR)
    else:
        flows.revoke_key(None, fresh(created.key))
    key = fresh(created.key)
    assert key.effective_state() == shown
    assert key.stop_reason() == key.dead_reason() == shown
    assert check(created).refusal.code == code
    with pytest.raises(flows.KeyNotActive) as refused:
        flows.enable_key(None, key)
    assert refused.value.state == shown


def test_replaced_wins_over_disabled_through_its_grace_period(make_key):
    created = make_key()
    flows.regenerate_key(None, created.key, grace_seconds=3600)
    with pytest.raises(flows.KeyNotActive) as refused:
        flows.disable_key(None, fresh(created.key))
    assert refused.value.state == "replaced" and "replaced" in refused.value.message
    assert check(created).ok  # still in its grace period, untouched


def test_the_queries_agree_with_the_rule(make_key):
    make_key(description="on")
    off = make_key(description="off")
    flows.disable_key(None, off.key)
    assert list(APIKey.objects.active().values_list("description", flat=True)) == ["on"]
    assert set(APIKey.objects.listed().values_list("description", flat=True)) == {"on", "off"}


def test_a_disabled_key_is_not_regenerated_and_the_message_says_why(make_key):
    created = make_key()
    flows.disable_key(None, created.key)
    with pytest.raises(flows.KeyNotActive) as refused:
        flows.regenerate_key(None, fresh(created.key))
    assert refused.value.state == "disabled"
    assert "disabled" in refused.value.message and "Enable it first" in refused.value.message
    assert APIKey.objects.count() == 1


def test_each_change_is_a_security_event_and_an_email_and_a_repeat_is_neither(make_key):
    created = make_key()
    mail.outbox.clear()
    assert flows.disable_key(None, created.key) is True
    assert flows.disable_key(None, created.key) is False
    assert flows.enable_key(None, created.key) is True
    assert flows.enable_key(None, created.key) is False
    events = SecurityEvent.objects.filter(type__in=[EventType.KEY_DISABLED,
                                                    EventType.KEY_ENABLED]).order_by("id")
    assert [(e.type, e.detail) for e in events] == [
        (EventType.KEY_DISABLED, {"key_id": created.key.lookup_id}),
        (EventType.KEY_ENABLED, {"key_id": created.key.lookup_id})]
    assert [m.to for m in mail.outbox] == [["alice@example.com"]] * 2
    assert "was disabled" in mail.outbox[0].body and created.key.masked in mail.outbox[0].body
    assert "was enabled again" in mail.outbox[1].body
    assert all(created.full_key not in m.body for m in mail.outbox)


# --- the pages ------------------------------------------------------------------------------


def test_the_owner_disables_and_enables_a_key_on_its_page(alice_client, make_key):
    created = make_key()
    page = f"{LIST}{created.key.lookup_id}/"
    assert "Disable this key" in text(alice_client.get(page))
    response = alice_client.post(f"{page}disable/")
    assert response.status_code == 302 and response["Location"] == page
    assert check(created).refusal.code == "KEY_DISABLED"
    shown = text(alice_client.get(page))
    assert "is disabled: requests with it are refused" in shown
    assert "Enable this key" in shown and "Regenerate" not in shown
    listed = alice_client.get(LIST).content.decode()
    assert 'data-state="disabled"' in listed

    response = alice_client.post(f"{page}enable/")
    assert response.status_code == 302
    assert check(created).ok
    assert "is enabled again" in text(alice_client.get(page))
    assert 'data-state="disabled"' not in alice_client.get(LIST).content.decode()


@pytest.mark.parametrize("action", ["disable", "enable"])
def test_switching_without_fresh_proof_is_403_and_changes_nothing(alice_client, make_key,
                                                                   action):
    created = make_key()
    if action == "enable":
        flows.disable_key(None, created.key)
    before = fresh(created.key).state
    stale(alice_client)
    response = alice_client.post(f"{LIST}{created.key.lookup_id}/{action}/")
    assert response.status_code == 403 and "Confirm your password" in text(response)
    assert fresh(created.key).state == before


def test_switching_is_post_only_and_a_strangers_key_is_404(client, alice_client, make_key,
                                                           mallory):
    created = make_key()
    assert alice_client.get(f"{LIST}{created.key.lookup_id}/disable/").status_code == 405
    other = make_key(mallory)
    assert alice_client.post(f"{LIST}{other.key.lookup_id}/disable/").status_code == 404
    assert fresh(other.key).state == "active"


def test_an_expired_key_cannot_be_switched_on_its_page(alice_client, make_key):
    created = make_key()
    APIKey.objects.filter(pk=created.key.pk).update(expires_at=timezone.now() - HOUR)
    page = f"{LIST}{created.key.lookup_id}/"
    assert "Disable this key" not in text(alice_client.get(page))
    alice_client.post(f"{page}disable/")
    assert "has expired, so it cannot be turned on or off" in text(alice_client.get(page))
    assert fresh(created.key).state == "active"


# --- the admin ------------------------------------------------------------------------------


def test_operators_disable_and_enable_keys_and_dead_ones_are_skipped(operator_client, make_key):
    on, gone = make_key(), make_key()
    flows.revoke_key(None, gone.key)
    mail.outbox.clear()
    response = operator_client.post(CHANGELIST, {
        "action": "disable_keys", "_selected_action": [on.key.pk, gone.key.pk]}, follow=True)
    shown = text(response)
    assert "1 key(s) disabled." in shown and "1 key(s) skipped" in shown
    assert check(on).refusal.code == "KEY_DISABLED"
    assert 'class="field-state_shown">Disabled<' in operator_client.get(CHANGELIST).content.decode()
    assert mail.outbox[-1].to == ["alice@example.com"]
    operator_client.post(CHANGELIST, {"action": "enable_keys",
                                      "_selected_action": [on.key.pk]})
    assert check(on, ip=OFFICE).ok
    assert SecurityEvent.objects.filter(type=EventType.KEY_ENABLED, user=on.key.user).exists()
