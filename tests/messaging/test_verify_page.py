"""The "SMS Authenticator" page: who reaches it, its settings (owner only, with fresh
proof, bad input changes nothing), "try it" to the user's own phone read back from the SMS,
the latest verifications with masked numbers, and the 30-day chart with its approval rate."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from messaging import verification
from messaging.models import Verification
from portal import sms
from tests.apikeys.test_pages import stale, text
from tests.conftest import signed_in_client

pytestmark = pytest.mark.django_db
PAGE = "/account/verify/"
SETTINGS = "/account/verify/settings/"
TRY = "/account/verify/try/"
CHECK = "/account/verify/try/check/"
PHONE = "+40712345678"


def sms_code() -> str:
    """The code in the newest SMS (the SMS Authenticator's text starts with it)."""
    assert sms.outbox, "no SMS was sent"
    match = re.match(r"(\d{6,10}) ", sms.outbox[-1].body)
    assert match, sms.outbox[-1].body
    return match.group(1)


@pytest.fixture
def owner_client(client, alice_with_sms):
    return signed_in_client(client, alice_with_sms)


@pytest.fixture
def sam(make_user, alice_with_sms):
    """A sub-user who may use the SMS Authenticator, with a phone of its own."""
    return make_user("sam", owner=alice_with_sms, permissions=["use_verify"],
                     phone="+40722000111")


@pytest.fixture
def sam_client(sam):
    return signed_in_client(Client(), sam)


@pytest.fixture
def dave_client(make_user, alice_with_sms):
    """A sub-user without the permission."""
    return signed_in_client(Client(), make_user("dave", owner=alice_with_sms,
                                                permissions=["send_sms"]))


def settings_of(owner) -> tuple:
    current = verification.settings_for(owner)
    return current.app_name, current.code_length, current.ttl, list(current.allowed_countries)


GOOD = {"app_name": "Acme Shop", "code_length": "8", "ttl": "120",
        "allowed_countries": ["RO", "DE"]}


# --- who reaches it ---------------------------------------------------------------------------


def test_owners_and_permitted_sub_users_see_the_page_in_the_navigation(owner_client, sam_client):
    for client in (owner_client, sam_client):
        response = client.get("/dashboard/")
        assert f'href="{PAGE}"' in response.content.decode()
        page = client.get(PAGE)
        assert page.status_code == 200
        assert "SMS Authenticator" in text(page)


def test_a_sub_user_without_the_permission_is_refused_and_not_shown_the_link(dave_client):
    assert f'href="{PAGE}"' not in dave_client.get("/dashboard/").content.decode()
    sms.outbox.clear()
    for response in (dave_client.get(PAGE), dave_client.post(TRY), dave_client.post(CHECK)):
        assert response.status_code == 403
        assert "It needs the permission “Use the SMS Authenticator”" in text(response)
    response = dave_client.post(SETTINGS, GOOD)
    assert response.status_code == 403
    assert "Only the account owner can change this." in text(response)
    assert sms.outbox == []


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- settings ---------------------------------------------------------------------------------


def test_the_owner_saves_the_settings_and_the_page_shows_them(owner_client, alice_with_sms):
    response = owner_client.post(SETTINGS, GOOD)
    assert response.status_code == 302
    assert settings_of(alice_with_sms) == ("Acme Shop", 8, 120, ["DE", "RO"])
    page = owner_client.get(PAGE)
    assert "The SMS Authenticator settings were saved." in text(page)
    html = page.content.decode()
    ticked = re.findall(
        r'<input type="checkbox" name="allowed_countries" value="(\w+)"[^>]*checked', html)
    assert ticked == ["DE", "RO"]  # listed first
    assert 'value="Acme Shop"' in html


def test_changing_the_settings_needs_fresh_proof(owner_client, alice_with_sms):
    before = settings_of(alice_with_sms)
    stale(owner_client)
    response = owner_client.post(SETTINGS, GOOD, HTTP_REFERER="http://testserver" + PAGE)
    assert response.status_code == 403
    assert "Password" in text(response)
    assert settings_of(alice_with_sms) == before
    # The page itself opens without it.
    assert owner_client.get(PAGE).status_code == 200


@pytest.mark.parametrize("field, value, error", [
    ("code_length", "5", "greater than or equal to 6"),
    ("code_length", "11", "less than or equal to 10"),
    ("code_length", "six", "Enter a whole number"),
    ("ttl", "59", "greater than or equal to 60"),
    ("ttl", "601", "less than or equal to 600"),
    ("app_name", "x" * 31, "at most 30 characters"),
    ("allowed_countries", ["RO", "XX"], "Select a valid choice"),
])
def test_bad_settings_are_refused_with_a_clear_error_and_change_nothing(
        owner_client, alice_with_sms, field, value, error):
    before = settings_of(alice_with_sms)
    response = owner_client.post(SETTINGS, {**GOOD, field: value})
    assert response.status_code == 400
    assert error in text(response)
    assert settings_of(alice_with_sms) == before


field_text = st.one_of(st.text(max_size=40), st.integers(-10**6, 10**6).map(str),
                       st.sampled_from(["", "6", "10", "60", "600", "RO", "\x00", "1e3"]))


@examples(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_settings_input_gives_a_500_and_only_a_valid_one_changes_anything(
        owner_client, alice_with_sms, data):
    before = settings_of(alice_with_sms)
    form = data.draw(st.dictionaries(
        st.sampled_from(["app_name", "code_length", "ttl", "allowed_countries", "other"]),
        st.one_of(field_text, st.lists(field_text, max_size=3)), max_size=5))
    response = owner_client.post(SETTINGS, form)
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert settings_of(alice_with_sms) == before
    else:
        verification.save_settings(alice_with_sms, app_name=before[0], code_length=before[1],
                                   ttl=before[2], allowed_countries=before[3],
                                   actor=alice_with_sms)


@examples(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=st.one_of(field_text, st.lists(field_text, max_size=3)))
def test_no_typed_code_gives_a_500(owner_client, settings, code):
    settings.VERIFY_STARTS_PER_NUMBER_PER_HOUR = 1000  # a fresh try for every example
    owner_client.post(TRY)
    assert Verification.objects.filter(status="pending").count() == 1
    response = owner_client.post(CHECK, {"code": code})
    assert response.status_code in (302, 400)


def test_a_sub_user_sees_the_settings_but_cannot_change_them(sam_client, alice_with_sms):
    before = settings_of(alice_with_sms)
    page = sam_client.get(PAGE)
    assert 'action="/account/verify/settings/"' not in page.content.decode()
    assert "Only the account owner can change these." in text(page)
    assert "Romania" in text(page)
    assert sam_client.post(SETTINGS, GOOD).status_code == 403
    assert settings_of(alice_with_sms) == before


def test_the_forms_post_with_a_csrf_token(alice_with_sms):
    client = signed_in_client(Client(enforce_csrf_checks=False), alice_with_sms)
    html = client.get(PAGE).content.decode()
    for action in (SETTINGS, TRY):
        form = re.search(rf'<form method="post" action="{action}"[^>]*>(.*?)</form>', html, re.S)
        assert form and 'name="csrfmiddlewaretoken"' in form.group(1), action
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    assert strict.post(TRY).status_code == 403
    assert strict.post(SETTINGS, GOOD).status_code == 403


# --- try it -----------------------------------------------------------------------------------


def test_try_it_sends_a_code_to_the_users_phone_and_approves_it(owner_client):
    sms.outbox.clear()
    response = owner_client.post(TRY, follow=True)
    assert [m.to for m in sms.outbox] == [PHONE]
    assert "A code is on its way to +4071****678. It expires in 5 minutes." in text(response)
    code = sms_code()
    wrong = "000000" if code != "000000" else "111111"
    response = owner_client.post(CHECK, {"code": wrong}, follow=True)
    assert "Wrong code: 4 attempts left." in text(response)
    response = owner_client.post(CHECK, {"code": code}, follow=True)
    assert "Approved: the code was right." in text(response)
    assert code not in response.content.decode()
    # The code field is gone until a new code is sent.
    assert 'name="code"' not in response.content.decode()
    row = re.search(r'<tr data-verification="vf_[^"]+">(.*?)</tr>', response.content.decode(), re.S)
    assert row and "+4071****678" in row.group(1) and 'data-status="approved"' in row.group(1)


def test_five_wrong_codes_deny_the_try(owner_client):
    owner_client.post(TRY)
    code = sms_code()
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        assert f"Wrong code: {left} attempt" in text(owner_client.post(CHECK, {"code": wrong},
                                                                       follow=True))
    response = owner_client.post(CHECK, {"code": wrong}, follow=True)
    assert "Denied: that was the last attempt." in text(response)
    # The right code no longer helps: there is no try to check.
    response = owner_client.post(CHECK, {"code": code}, follow=True)
    assert "Approved: the code was right." not in text(response)
    assert "Send yourself a code first." in text(response)


def test_a_code_typed_too_late_is_expired(owner_client):
    owner_client.post(TRY)
    code = sms_code()
    with freeze_time(timezone.now() + timedelta(seconds=301)):
        response = owner_client.post(CHECK, {"code": code}, follow=True)
    assert "The code has expired. Send a new one." in text(response)
    assert "Approved: the code was right." not in text(response)
    assert Verification.objects.get().attempts_left == 5


def test_an_empty_or_silly_code_is_a_form_error(owner_client):
    owner_client.post(TRY)
    for silly in ("", "x" * 50):
        response = owner_client.post(CHECK, {"code": silly})
        assert response.status_code == 400
    v = Verification.objects.get()
    assert v.attempts_left == 5 and v.status == "pending"


def test_a_number_outside_the_allowed_countries_is_refused_and_nothing_is_sent(
        owner_client, alice_with_sms):
    verification.save_settings(alice_with_sms, app_name="", code_length=6, ttl=300,
                               allowed_countries=["DE"], actor=alice_with_sms)
    sms.outbox.clear()
    response = owner_client.post(TRY, follow=True)
    assert sms.outbox == []
    assert Verification.objects.count() == 0
    messages = re.findall(r'<li class="message error"[^>]*>(.*?)</li>', response.content.decode())
    assert messages, text(response)


def test_without_a_phone_the_page_says_where_to_add_one(alice_client, alice):
    page = alice_client.get(PAGE)
    assert 'data-state="no-phone"' in page.content.decode()
    assert 'href="/account/security/sms/"' in page.content.decode()
    response = alice_client.post(TRY, follow=True)
    assert sms.outbox == []
    assert "Add a phone number of your own first." in text(response)


def test_a_sub_user_tries_it_on_its_own_phone(sam_client, sam):
    sms.outbox.clear()
    sam_client.post(TRY)
    assert [m.to for m in sms.outbox] == ["+40722000111"]
    response = sam_client.post(CHECK, {"code": sms_code()}, follow=True)
    assert "Approved: the code was right." in text(response)


# --- the list and the chart -------------------------------------------------------------------


def start_many(owner, n: int) -> None:
    for i in range(n):
        verification.start(owner, f"+4072{i:07d}")


def test_the_list_masks_numbers_and_shows_times_in_the_users_time_zone(owner_client,
                                                                       alice_with_sms):
    alice_with_sms.time_zone = "Asia/Tokyo"
    alice_with_sms.save(update_fields=["time_zone"])
    with freeze_time("2026-03-01 23:30:00"):
        verification.start(alice_with_sms, "+40721234567")
    html = owner_client.get(PAGE).content.decode()
    row = re.search(r'<tr data-verification="vf_[^"]+">(.*?)</tr>', html, re.S).group(1)
    assert "+4072****567" in row and "+40721234567" not in html
    assert "2026-03-02 08:30" in row  # Tokyo is UTC+9
    assert 'data-status="expired"' in row


def test_an_account_with_no_verification_shows_the_empty_state(owner_client):
    response = owner_client.get(PAGE)
    page = text(response)
    assert "No verification yet." in page
    assert "No verification was started in the last 30 days." in page
    # No empty chart: the sentence says it.
    assert 'data-chart="verify-chart"' not in response.content.decode()


def test_the_list_shows_the_last_50_and_another_accounts_none(owner_client, alice_with_sms,
                                                             mallory):
    start_many(alice_with_sms, 52)
    html = owner_client.get(PAGE).content.decode()
    assert html.count("<tr data-verification=") == 50
    mallory_client = signed_in_client(Client(), mallory)
    assert "<tr data-verification=" not in mallory_client.get(PAGE).content.decode()


def _page_queries(client) -> int:
    client.get(PAGE)  # warm-up: session bookkeeping done once a minute
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200
    return len(queries)


def test_the_page_makes_as_many_queries_for_50_verifications_as_for_5(owner_client,
                                                                      alice_with_sms):
    start_many(alice_with_sms, 5)
    with_five = _page_queries(owner_client)
    start_many(alice_with_sms, 45)  # numbers repeat: 5 of them again, the old ones canceled
    with_fifty = _page_queries(owner_client)
    assert with_five == with_fifty
    print(f"\nSMS Authenticator page: {with_five} queries with 5 and with 50 verifications")


def test_the_chart_counts_started_and_approved_with_the_approval_rate(owner_client,
                                                                     alice_with_sms):
    owner_client.post(TRY)
    owner_client.post(CHECK, {"code": sms_code()})
    verification.start(alice_with_sms, "+40721234567")
    html = owner_client.get(PAGE).content.decode()
    assert "Approval rate: 50% (1 of 2 verifications approved)." in text(owner_client.get(PAGE))
    assert html.count('class="bar started"') == 30 and html.count('class="bar approved"') == 30
    table = re.search(r"<table data-chart-table>(.*?)</table>", html, re.S).group(1)
    today = timezone.localdate().isoformat()
    assert re.search(rf"<td>{today}</td><td>2</td><td>1</td>", table)
