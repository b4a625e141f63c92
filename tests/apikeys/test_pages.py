from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apikeys import keyformat
from apikeys.keycheck import check_key
from apikeys.models import APIKey, KeyUsageDay, KeyWhitelistEntry
from security.models import EventType, SecurityEvent
from tests.conftest import signed_in_client

from .conftest import OFFICE

pytestmark = pytest.mark.django_db

LIST = "/account/api-keys/"
NEW = "/account/api-keys/new/"
EMPTY_PAGER = ("Page 0 of 1, showing 0 records out of 0 total, starting on record 0, "
               "ending on 0")


def text(response) -> str:
    """The page's visible text, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    plain = re.sub(r"<[^>]+>", " ", html)
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(plain.split())


def stale(client) -> None:
    session = client.session
    session["_proof_at"] = 0
    session.save()


@pytest.fixture
def alice_client(client, alice):
    return signed_in_client(client, alice)


@pytest.fixture
def mallory_client(client, mallory):
    return signed_in_client(client, mallory)


def bulk_keys(user, n: int) -> None:
    now = timezone.now()
    APIKey.objects.bulk_create(
        APIKey(user=user, description=f"key {i:04d}", prefix="sk_live_",
               lookup_id=keyformat.new_lookup_id(), secret_hash=f"{i:064x}", last4="abcd",
               created_at=now - timedelta(seconds=i))
        for i in range(n)
    )


# --- the list -----------------------------------------------------------------------------


def test_the_list_needs_a_signed_in_user(client):
    response = client.get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_empty_list_says_so_exactly_and_offers_to_generate(alice_client):
    page = text(alice_client.get(LIST))
    assert EMPTY_PAGER in page
    assert "<< previous | next >>" in page
    assert "Generate your first API Key" in page


def test_the_list_shows_the_columns_and_the_masked_key(alice_client, make_key):
    created = make_key(description="My Twitter Application")
    response = alice_client.get(LIST)
    page = text(response)
    assert ("Username Description Key Last Used Times Used Locked On IP Actions") in page
    assert (f"alice My Twitter Application Default Key {created.key.masked} Never 0 Details "
            "Regenerate Delete") in page
    assert created.full_key not in response.content.decode()
    assert "Page 1 of 1, showing 1 records out of 1 total, starting on record 1, ending on 1" \
        in page


def test_the_list_shows_use_and_the_locked_ip(alice_client, make_key):
    created = make_key()
    assert check_key(created.full_key, ip=OFFICE).ok
    page = text(alice_client.get(LIST))
    assert re.search(rf"{re.escape(created.key.masked)} \d{{4}}-\d\d-\d\d \d\d:\d\d 1 {OFFICE}",
                     page)


def test_the_list_pages_by_25_with_the_gateways_words(alice_client, alice):
    bulk_keys(alice, 30)
    first = text(alice_client.get(LIST))
    assert ("Page 1 of 2, showing 25 records out of 30 total, starting on record 1, "
            "ending on 25") in first
    assert "key 0000" in first and "key 0024" in first and "key 0025" not in first
    second = text(alice_client.get(LIST + "?page=2"))
    assert ("Page 2 of 2, showing 5 records out of 30 total, starting on record 26, "
            "ending on 30") in second
    assert "key 0029" in second
    assert "<< previous | next >>" in second
    # Nonsense page numbers land on a real page rather than an error.
    assert alice_client.get(LIST + "?page=999").status_code == 200
    assert alice_client.get(LIST + "?page=abc").status_code == 200


def test_the_list_shows_neither_strangers_keys_nor_deleted_ones(alice_client, make_key,
                                                                mallory):
    mine = make_key(description="mine")
    theirs = make_key(mallory, description="theirs")
    gone = make_key(description="gone")
    from apikeys import flows

    flows.revoke_key(None, gone.key)
    page = text(alice_client.get(LIST))
    assert mine.key.masked in page
    assert theirs.key.masked not in page and gone.key.masked not in page


def _list_queries(client) -> int:
    client.get(LIST)  # warm-up: session bookkeeping that happens once a minute is done
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST).status_code == 200
    return len(queries)


def test_the_list_makes_as_many_queries_for_1000_keys_as_for_1(alice_client, alice,
                                                              django_assert_num_queries):
    bulk_keys(alice, 1)
    with_one = _list_queries(alice_client)
    bulk_keys(alice, 999)
    alice_client.get(LIST)
    with django_assert_num_queries(with_one):
        response = alice_client.get(LIST)
    assert "out of 1000 total" in text(response)
    print(f"\nAPI Keys list page: {with_one} queries with 1 key and with 1,000 keys")


# --- generating ---------------------------------------------------------------------------


def test_generating_needs_fresh_proof(alice_client):
    stale(alice_client)
    response = alice_client.get(NEW)
    assert response.status_code == 302 and "/accounts/reauth/" in response["Location"]
    response = alice_client.post(NEW, {"description": "x", "type": "default",
                                       "scopes": ["sms:send"]})
    assert response.status_code == 403
    assert not APIKey.objects.exists()


def test_the_form_offers_the_three_types_with_their_help(alice_client):
    page = text(alice_client.get(NEW))
    assert "Default Key Locked automatically on the first IP that uses the key" in page
    assert "Zoho CRM Must be used only in the Zoho CRM integration" in page
    assert "Cloud Key Can be used on cloud hosting environments" in page
    assert "e.g. My Twitter Application" in alice_client.get(NEW).content.decode()


def test_the_form_says_which_addresses_each_type_accepts(alice_client, settings):
    page = text(alice_client.get(NEW))
    assert "Default Key Locked automatically" in page
    assert ("Accepted from the first IP address that uses it, and from the addresses on its "
            "whitelist: no Zoho CRM address ranges are set on this portal yet.") in page
    assert "Accepted from any IP address." in page
    settings.ZOHO_CRM_ALLOWED_RANGES = ["203.0.113.0/24", "2001:db8::/32"]
    page = text(alice_client.get(NEW))
    assert ("Accepted only from the Zoho CRM address ranges set on this portal: "
            "203.0.113.0/24, 2001:db8::/32.") in page


def test_a_zoho_keys_page_says_where_it_works_and_has_a_whitelist_until_ranges_are_set(
        alice_client, make_key, settings):
    created = make_key(type=APIKey.Type.ZOHO_CRM)
    url = f"{LIST}{created.key.lookup_id}/"
    page = text(alice_client.get(url))
    assert "IP addresses Accepted from the first IP address that uses it" in page
    assert "IP whitelist" in page
    response = alice_client.post(url + "whitelist/", {"value": "198.51.100.0/24"})
    assert response.status_code == 302
    settings.ZOHO_CRM_ALLOWED_RANGES = ["203.0.113.0/24"]
    page = text(alice_client.get(url))
    assert ("IP addresses Accepted only from the Zoho CRM address ranges set on this portal: "
            "203.0.113.0/24.") in page
    assert "IP whitelist" not in page


def test_generating_shows_the_key_once(alice_client):
    response = alice_client.post(NEW, {"description": "My Twitter Application",
                                       "type": "default", "scopes": ["sms:send", "sms:read"],
                                       "signing": "on"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    full = re.search(r"sk_live_[0-9A-Za-z]{61}", html).group(0)
    key = APIKey.objects.get()
    assert keyformat.parse(full).lookup_id == key.lookup_id
    assert key.scopes == ["sms:send", "sms:read"] and key.signing
    assert "it will not be shown again" in text(response)
    assert 'data-copy="new-key"' in html and 'data-copy="signing-secret"' in html
    assert SecurityEvent.objects.filter(type=EventType.KEY_CREATED).exists()
    for later in (alice_client.get(LIST), alice_client.get(f"{LIST}{key.lookup_id}/")):
        assert full not in later.content.decode()


def test_bad_input_is_a_form_error_and_makes_no_key(alice_client):
    response = alice_client.post(NEW, {"description": "", "type": "gold", "scopes": [],
                                       "expires_at": "2001-01-01"})
    assert response.status_code == 400
    page = text(response)
    assert "This field is required." in page
    assert "Select a valid choice." in page
    assert "The expiry must be in the future." in page
    assert not APIKey.objects.exists()


# --- one key ------------------------------------------------------------------------------


def test_a_stranger_gets_404_for_anothers_key(mallory_client, make_key, alice):
    created = make_key(alice)
    base = f"{LIST}{created.key.lookup_id}/"
    assert mallory_client.get(base).status_code == 404
    assert mallory_client.post(base + "delete/").status_code == 404
    assert mallory_client.post(base + "regenerate/", {"grace_seconds": "0"}).status_code == 404
    assert mallory_client.post(base + "whitelist/", {"value": "198.51.100.9"}).status_code \
        == 404
    key = APIKey.objects.get(pk=created.key.pk)
    assert key.state == "active" and not key.whitelist.exists()


def test_the_key_page_shows_settings_usage_and_a_30_day_chart(alice_client, make_key):
    created = make_key(description="CRM", scopes=["sms:send"])
    today = timezone.now().date()
    KeyUsageDay.objects.create(key=created.key, date=today, count=40)
    KeyUsageDay.objects.create(key=created.key, date=today - timedelta(days=3), count=10)
    KeyUsageDay.objects.create(key=created.key, date=today - timedelta(days=31), count=99)
    response = alice_client.get(f"{LIST}{created.key.lookup_id}/")
    html = response.content.decode()
    assert html.count('<rect class="bar"') == 30
    assert f'data-day="{today:%Y-%m-%d}" data-count="40"' in html
    assert f'data-day="{today - timedelta(days=3):%Y-%m-%d}" data-count="10"' in html
    assert "data-count=\"99\"" not in html
    page = text(response)
    assert "50 requests, at most 40 in a day" in page
    assert "sms:send" in page and "Times Used 0" in page


def test_a_deleted_key_has_no_page(alice_client, make_key):
    from apikeys import flows

    created = make_key()
    flows.revoke_key(None, created.key)
    assert alice_client.get(f"{LIST}{created.key.lookup_id}/").status_code == 404


def test_deleting_revokes_at_once(alice_client, make_key):
    created = make_key()
    url = f"{LIST}{created.key.lookup_id}/delete/"
    confirm = alice_client.get(url)
    assert confirm.status_code == 200 and "Delete the key" in text(confirm)
    response = alice_client.post(url, {"confirmed": "1"})
    assert response.status_code == 302 and response["Location"] == LIST
    assert APIKey.objects.get(pk=created.key.pk).state == "revoked"
    assert check_key(created.full_key, ip=OFFICE).refusal.code == "KEY_REVOKED"
    assert "was deleted" in text(alice_client.get(LIST))


def test_a_delete_button_without_its_script_lands_on_the_question(alice_client, make_key):
    # The list's and the key page's forms, sent without the script that asks first.
    created = make_key()
    response = alice_client.post(f"{LIST}{created.key.lookup_id}/delete/", {"confirmed": ""})
    assert response.status_code == 200
    assert "Delete the key " + created.key.masked in text(response)
    assert APIKey.objects.get(pk=created.key.pk).state == "active"


def test_deleting_without_fresh_proof_is_403_and_changes_nothing(alice_client, make_key):
    created = make_key()
    stale(alice_client)
    response = alice_client.post(f"{LIST}{created.key.lookup_id}/delete/")
    assert response.status_code == 403
    assert "Confirm your password" in text(response)
    assert APIKey.objects.get(pk=created.key.pk).state == "active"


def test_regenerating_shows_the_new_key_once_and_kills_the_old(alice_client, make_key):
    created = make_key()
    response = alice_client.post(f"{LIST}{created.key.lookup_id}/regenerate/",
                                 {"grace_seconds": "0"})
    assert response.status_code == 200
    full = re.search(r"sk_live_[0-9A-Za-z]{61}", response.content.decode()).group(0)
    assert full != created.full_key
    assert check_key(full, ip=OFFICE).ok
    assert check_key(created.full_key, ip=OFFICE).refusal.code == "KEY_REVOKED"


def test_regenerating_with_a_grace_period_keeps_the_old_key_working(alice_client, make_key):
    created = make_key()
    alice_client.post(f"{LIST}{created.key.lookup_id}/regenerate/", {"grace_seconds": "86400"})
    assert check_key(created.full_key, ip=OFFICE).ok
    assert "replaced, works until" in text(alice_client.get(LIST))


@pytest.mark.parametrize("grace", ["604801", "-1", "soon"])
def test_a_bad_grace_period_is_a_form_error(alice_client, make_key, grace):
    created = make_key()
    response = alice_client.post(f"{LIST}{created.key.lookup_id}/regenerate/",
                                 {"grace_seconds": grace})
    assert response.status_code == 400
    assert APIKey.objects.count() == 1


def test_regenerating_without_fresh_proof_is_403(alice_client, make_key):
    created = make_key()
    stale(alice_client)
    response = alice_client.post(f"{LIST}{created.key.lookup_id}/regenerate/",
                                 {"grace_seconds": "0"})
    assert response.status_code == 403
    assert APIKey.objects.count() == 1


def test_actions_are_post_only(alice_client, make_key):
    created = make_key()
    base = f"{LIST}{created.key.lookup_id}/"
    assert alice_client.get(base + "regenerate/").status_code == 405
    assert alice_client.get(base + "whitelist/").status_code == 405


# --- the key's whitelist ------------------------------------------------------------------


def test_adding_and_removing_a_whitelist_entry(alice_client, make_key):
    created = make_key()
    base = f"{LIST}{created.key.lookup_id}/"
    response = alice_client.post(base + "whitelist/", {"value": "2001:db8::/32",
                                                       "label": "office v6"})
    assert response.status_code == 302
    entry = KeyWhitelistEntry.objects.get()
    page = text(alice_client.get(base))
    assert "2001:db8::/32 office v6" in page
    response = alice_client.post(f"{base}whitelist/{entry.pk}/delete/")
    assert response.status_code == 302
    assert not KeyWhitelistEntry.objects.exists()
    assert SecurityEvent.objects.filter(type=EventType.WHITELIST_CHANGED).count() == 2


def test_a_bad_whitelist_entry_is_shown_in_the_form(alice_client, make_key):
    created = make_key()
    response = alice_client.post(f"{LIST}{created.key.lookup_id}/whitelist/",
                                 {"value": "203.0.113.7/24", "label": "x"})
    assert response.status_code == 400
    assert "has host bits set: did you mean 203.0.113.0/24?" in text(response)
    assert not KeyWhitelistEntry.objects.exists()


def test_whitelist_changes_need_fresh_proof(alice_client, make_key):
    created = make_key()
    entry = KeyWhitelistEntry.objects.create(key=created.key, value="198.51.100.9")
    stale(alice_client)
    base = f"{LIST}{created.key.lookup_id}/"
    assert alice_client.post(base + "whitelist/", {"value": "203.0.113.7"}).status_code == 403
    assert alice_client.post(f"{base}whitelist/{entry.pk}/delete/").status_code == 403
    assert list(KeyWhitelistEntry.objects.values_list("value", flat=True)) == ["198.51.100.9"]


def test_an_entry_of_another_key_cannot_be_removed_through_this_one(alice_client, make_key):
    mine = make_key()
    other = make_key()
    entry = KeyWhitelistEntry.objects.create(key=other.key, value="198.51.100.9")
    response = alice_client.post(f"{LIST}{mine.key.lookup_id}/whitelist/{entry.pk}/delete/")
    assert response.status_code == 404
    assert KeyWhitelistEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize("path", ["abc%00def/", "abc%00def/delete/", "a-b/", "x" * 40 + "/"])
def test_a_key_address_that_no_key_can_have_is_a_404(alice_client, path):
    # Checked by the URL itself: a NUL never reaches PostgreSQL (which refuses it: a 500).
    assert alice_client.get(LIST + path).status_code == 404
    assert alice_client.post(LIST + path).status_code == 404


def test_filtering_by_someone_not_in_the_account_shows_nothing(alice_client, make_key):
    make_key()
    for name in ("mallory", "al\x00ice"):
        response = alice_client.get(LIST, {"user": name})
        assert response.status_code == 200
        assert "Page 0 of 1" in text(response)
    assert "Page 1 of 1" in text(alice_client.get(LIST, {"user": "alice"}))
