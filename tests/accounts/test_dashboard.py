"""The dashboard: a security checklist with a link to fix each item, 30-day charts of API
requests and messages sent, the latest security events; what a sub-user's permissions
allow; as many queries with 10,000 keys as with 10."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from accounts.models import Permission
from apikeys import flows, keyformat
from apikeys.keycheck import check_key
from apikeys.models import APIKey, KeyUsageDay
from messaging.models import Message
from security.events import record
from security.models import EventType, IPWhitelistEntry
from tests.conftest import key_factory, signed_in_client

pytestmark = pytest.mark.django_db

DASHBOARD = "/dashboard/"
OFFICE = "203.0.113.7"


def _plain(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def checklist(response) -> dict[str, tuple[str, str, str]]:
    """Each item of the checklist: its state, its visible text and its link."""
    page = response.content.decode()
    items = {}
    for name, state, body in re.findall(
            r'<li class="check [a-z]+" data-check="([a-z_]+)" data-state="([a-z]+)">(.*?)</li>',
            page, flags=re.S):
        link = re.search(r'href="([^"]+)"', body).group(1)
        items[name] = (state, _plain(body), link)
    return items


def chart_counts(response, chart_id: str) -> dict[str, int]:
    """Day -> count of the bars drawn in one chart (only days with a count)."""
    page = response.content.decode()
    svg = re.search(rf'<svg [^>]*data-chart="{chart_id}".*?</svg>', page, flags=re.S).group(0)
    return {day: int(n) for day, n in
            re.findall(r'data-day="([\d-]+)" data-count="(\d+)"', svg) if n != "0"}


@pytest.fixture
def alice_client(client, alice):
    return signed_in_client(client, alice)


@pytest.fixture
def make_key(alice):
    return key_factory(alice, description="CRM", type=APIKey.Type.DEFAULT)


# --- the checklist --------------------------------------------------------------------------


def test_a_new_account_sees_what_to_fix_and_where(alice_client):
    items = checklist(alice_client.get(DASHBOARD))
    # What to fix first, then advice, then what is in order.
    assert list(items) == ["second_factor", "portal_whitelist", "api_whitelist", "password",
                           "keys_unrestricted", "keys_unused", "keys_expiring"]
    state, text, link = items["second_factor"]
    assert state == "fix" and "your password alone is enough to sign in" in text
    assert link == "/account/security/#second-factor" and "Turn one on" in text
    assert items["password"][0] == "ok"
    assert "No periodic change is required" in items["password"][1]
    assert items["portal_whitelist"][:1] == ("advice",)
    assert "Any address may sign in with your password" in items["portal_whitelist"][1]
    assert items["api_whitelist"][2] == "/account/whitelists/"
    assert all(items[name][0] == "ok" for name in ("keys_unrestricted", "keys_unused",
                                                    "keys_expiring"))
    page = _plain(alice_client.get(DASHBOARD).content.decode())
    assert "1 thing to fix. 2 suggestions to make the account safer." in page


def test_a_second_factor_turns_its_item_ok_and_counts_the_backup_codes(client, alice_with_sms):
    signed_in_client(client, alice_with_sms)
    items = checklist(client.get(DASHBOARD))
    assert items["second_factor"][0] == "ok"
    assert items["backup_codes"][0] == "fix" and "None left" in items["backup_codes"][1]
    device = StaticDevice.objects.create(user=alice_with_sms, name="Backup", confirmed=True)
    for n in range(2):
        StaticToken.objects.create(device=device, token=f"code{n}")
    state, text, _link = checklist(client.get(DASHBOARD))["backup_codes"]
    assert state == "advice" and "2 codes left" in text and "Make new codes" in text
    StaticToken.objects.create(device=device, token="code3")
    assert checklist(client.get(DASHBOARD))["backup_codes"][0] == "ok"


def test_the_password_item_follows_the_expiry_policy(alice_client, alice):
    alice.password_expiry_enabled = True
    alice.password_changed_at = timezone.now() - timedelta(days=25, hours=1)
    alice.save()
    state, text, link = checklist(alice_client.get(DASHBOARD))["password"]
    assert state == "fix" and link == "/accounts/password/change/"
    assert "Changed 25 days ago. It must be changed every 30 days: 5 days left." in text
    alice.password_changed_at = timezone.now() - timedelta(days=3)
    alice.save()
    state, text, _link = checklist(alice_client.get(DASHBOARD))["password"]
    assert state == "ok" and "27 days left" in text


def test_a_whitelist_with_entries_is_ok(alice_client, alice):
    IPWhitelistEntry.objects.create(user=alice, kind="api", value="203.0.113.0/24")
    items = checklist(alice_client.get(DASHBOARD))
    assert items["api_whitelist"][:2] == ("ok", "OK API addresses Limited to 1 address or "
                                                "range. Edit : API addresses")
    assert items["portal_whitelist"][0] == "advice"


def test_the_key_items_count_the_keys_that_need_a_look(alice_client, alice, make_user,
                                                       make_key):
    now = timezone.now()
    locked = make_key(description="locked")
    assert check_key(locked.full_key, ip=OFFICE).ok  # locks it on OFFICE
    make_key(description="never used yet")  # a Default key not locked yet
    make_key(description="cloud", type=APIKey.Type.CLOUD)
    old = make_key(description="old")
    APIKey.objects.filter(pk=old.key.pk).update(locked_ip=OFFICE,
                                                created_at=now - timedelta(days=120))
    stale = make_key(description="stale")
    APIKey.objects.filter(pk=stale.key.pk).update(locked_ip=OFFICE,
                                                  last_used_at=now - timedelta(days=91))
    make_key(description="soon", expires_at=now + timedelta(days=10))  # unlocked too
    make_key(description="later", expires_at=now + timedelta(days=20))  # unlocked too
    expired = make_key(description="expired", type=APIKey.Type.CLOUD)
    APIKey.objects.filter(pk=expired.key.pk).update(expires_at=now - timedelta(days=1))
    flows.revoke_key(None, make_key(description="gone", type=APIKey.Type.CLOUD).key)
    sub = make_user("keeper", owner=alice, permissions=[Permission.MANAGE_KEYS])
    make_key(sub, description="the sub-user's", type=APIKey.Type.CLOUD,
             expires_at=now + timedelta(days=3))
    make_key(make_user("mallory"), description="a stranger's", type=APIKey.Type.CLOUD,
             expires_at=now + timedelta(days=3))

    items = checklist(alice_client.get(DASHBOARD))
    state, text, link = items["keys_unrestricted"]
    assert (state, link) == ("advice", "/account/api-keys/")
    assert "5 keys work from any address" in text  # never used, cloud, soon, later, sub's
    state, text, _link = items["keys_unused"]
    assert state == "advice" and "2 keys were not used for 90 days" in text
    state, text, _link = items["keys_expiring"]
    assert state == "fix" and "2 keys expire within 14 days" in text  # soon, sub's


# --- what a sub-user sees -------------------------------------------------------------------


def test_a_sub_user_sees_only_what_its_permissions_allow(client, alice, make_user, make_key):
    make_key(description="the owner's", type=APIKey.Type.CLOUD)
    record(None, EventType.SIGNIN_FAILURE, user=alice)
    sender = make_user("cashier", owner=alice, permissions=[Permission.SEND_SMS])
    signed_in_client(client, sender)
    response = client.get(DASHBOARD)
    assert list(checklist(response)) == ["second_factor", "password"]
    page = response.content.decode()
    assert "data-chart=" not in page and "Latest security events" not in page
    assert "API Keys" not in page

    keeper = make_user("keeper", owner=alice, permissions=[
        Permission.MANAGE_KEYS, Permission.READ_REPORTS, Permission.VIEW_ACTIVITY])
    response = signed_in_client(Client(), keeper).get(DASHBOARD)
    items = checklist(response)
    assert "portal_whitelist" not in items  # the whitelists are the owner's to set
    assert items["keys_unrestricted"][0] == "ok"  # the owner's Cloud key is not its own
    page = response.content.decode()
    assert 'data-chart="api-requests-chart"' in page
    assert 'data-chart="messages-sent-chart"' in page
    assert "Latest security events" in page


# --- the charts -----------------------------------------------------------------------------


def test_the_charts_count_the_accounts_requests_and_messages_by_day(alice_client, alice,
                                                                    make_user, make_key):
    today = timezone.now().date()
    sub = make_user("cashier", owner=alice, permissions=[Permission.SEND_SMS])
    mine, theirs = make_key(), make_key(sub)
    revoked = make_key()
    stranger = make_key(make_user("mallory"))
    flows.revoke_key(None, revoked.key)
    for created, day, count in [(mine, 0, 40), (theirs, 0, 2), (revoked, 3, 7),
                                (stranger, 0, 1000), (mine, 30, 99)]:
        KeyUsageDay.objects.create(key=created.key, date=today - timedelta(days=day),
                                   count=count)
    now = timezone.now()
    for user, status, days_ago in [(alice, "sent", 0), (alice, "delivered", 0),
                                   (sub, "queued", 0), (alice, "failed", 0),
                                   (alice, "undelivered", 0), (alice, "sent", 2),
                                   (make_user("bob"), "sent", 0), (alice, "sent", 31)]:
        Message.objects.create(user=user, to="+40712345678", body="Hi", status=status,
                               created_at=now - timedelta(days=days_ago))

    response = alice_client.get(DASHBOARD)
    assert chart_counts(response, "api-requests-chart") == {
        f"{today}": 42, f"{today - timedelta(days=3)}": 7}
    assert chart_counts(response, "messages-sent-chart") == {
        f"{today}": 3, f"{today - timedelta(days=2)}": 1}
    page = response.content.decode()
    assert page.count('<rect class="bar"') == 60
    plain = _plain(page)
    assert "49 requests, at most 42 in a day." in plain
    assert "4 messages sent, at most 3 in a day." in plain
    # The same numbers as tables for screen readers, every day of the 30 listed.
    tables = re.findall(r'<table data-chart-table>(.*?)</table>', page,
                        flags=re.S)
    assert len(tables) == 2
    assert page.count('<div class="visually-hidden"><table data-chart-table>') == 2
    assert all(table.count("<tr>") == 31 for table in tables)  # a header and 30 days
    assert f"{today} 42" in _plain(tables[0]) and f"{today} 3" in _plain(tables[1])
    assert "<script" not in page.split("</head>", 1)[1]  # drawn by the server, no script


# --- the latest events ----------------------------------------------------------------------


def test_the_latest_five_events_and_a_link_to_the_rest(alice_client, alice, mallory):
    for kind in [EventType.KEY_CREATED, EventType.WHITELIST_CHANGED, EventType.KEY_DELETED,
                 EventType.PASSWORD_CHANGED, EventType.MFA_ENABLED, EventType.NEW_DEVICE]:
        record(None, kind, user=alice)
    record(None, EventType.SIGNIN_FAILURE, user=mallory)
    page = alice_client.get(DASHBOARD).content.decode()
    section = re.search(r'<section class="card" id="latest-events".*?</section>', page,
                        flags=re.S).group(0)
    shown = re.findall(r'data-event="([a-z_.]+)"', section)
    assert shown == ["device.new", "mfa.enabled", "password.changed", "key.deleted",
                     "whitelist.changed"]
    assert 'href="/account/activity/"' in section and "All account activity" in section


# --- the cost -------------------------------------------------------------------------------


def _bulk_keys(user, n: int) -> None:
    now = timezone.now()
    keys = APIKey.objects.bulk_create(
        APIKey(user=user, description=f"key {i}", prefix="sk_live_",
               type=APIKey.Type.CLOUD if i % 2 else APIKey.Type.DEFAULT,
               lookup_id=keyformat.new_lookup_id(), secret_hash=f"{i:064x}", last4="abcd",
               created_at=now - timedelta(days=i % 200),
               expires_at=now + timedelta(days=i % 30) if i % 3 else None)
        for i in range(n))
    KeyUsageDay.objects.bulk_create(KeyUsageDay(key=key, date=now.date(), count=1)
                                    for key in keys[:2000])


def _dashboard_queries(client) -> int:
    client.get(DASHBOARD)  # warm-up: session bookkeeping done once a minute
    with CaptureQueriesContext(connection) as queries:
        assert client.get(DASHBOARD).status_code == 200
    return len(queries)


def test_the_dashboard_makes_as_many_queries_with_10000_keys_as_with_10(alice_client, alice,
                                                                       make_user):
    sub = make_user("keeper", owner=alice, permissions=[Permission.MANAGE_KEYS])
    _bulk_keys(alice, 5)
    _bulk_keys(sub, 5)
    with_ten = _dashboard_queries(alice_client)
    _bulk_keys(alice, 5_000)
    _bulk_keys(sub, 4_990)
    assert APIKey.objects.managed_by(alice).count() == 10_000
    assert _dashboard_queries(alice_client) == with_ten
    items = checklist(alice_client.get(DASHBOARD))
    assert items["keys_unused"][0] == "advice"  # the keys were counted, not left out
