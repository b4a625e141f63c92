"""The SMS Authenticator's rules (messaging.verification) beside the API: the SMS text, the
settings, the page's lists and chart figures, the admin."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from django.utils import translation
from freezegun import freeze_time

from messaging import verification
from messaging.models import Message, Verification, VerifySettings, mask_number
from portal import sms
from security.models import SecurityEvent

from .verify_helpers import NUMBER, code_in

pytestmark = pytest.mark.django_db


# --- the SMS: one segment --------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "ro"])
@pytest.mark.parametrize("minutes", [1, 5, 10])
def test_the_longest_default_texts_are_one_gsm7_segment(locale, minutes):
    text = verification.sms_text("9" * 10, "A" * 30, minutes, locale)
    assert verification.is_one_segment(text), text
    assert all(c in verification.GSM7 for c in text)  # so 160, not 70, to a segment
    assert "9" * 10 in text and "A" * 30 in text


def test_the_texts_say_the_code_the_app_and_the_minutes():
    assert verification.sms_text("123456", "Shop", 5, "en") == (
        "123456 is your Shop code. It expires in 5 minutes.")
    assert verification.sms_text("123456", "Shop", 1, "en") == (
        "123456 is your Shop code. It expires in 1 minute.")
    assert verification.sms_text("123456", "Shop", 5, "ro") == (
        "123456 este codul tau pentru Shop. Expira in 5 minute.")
    assert verification.sms_text("123456", "Shop", 1, "ro") == (
        "123456 este codul tau pentru Shop. Expira in 1 minut.")


@pytest.mark.parametrize("app_name", ["Aplicația mea de plăți rapide", "Магазин онлайн 2024",
                                      "购物应用程序购物应用程序购物应用程序购物应用程序购物应用程",
                                      "🙂" * 30])
@pytest.mark.parametrize("locale", ["en", "ro"])
def test_an_app_name_outside_gsm7_still_makes_one_segment(app_name, locale):
    text = verification.sms_text("1234567890", app_name, 10, locale)
    assert verification.is_one_segment(text), text
    assert "1234567890" in text


def test_a_short_name_outside_gsm7_is_kept_as_it_is():
    assert "Plăți" in verification.sms_text("123456", "Plăți", 5, "en")


def test_segment_counting():
    assert verification.is_one_segment("x" * 160) and not verification.is_one_segment("x" * 161)
    assert not verification.is_one_segment("€" * 81)  # two septets each
    assert verification.is_one_segment("ț" * 70) and not verification.is_one_segment("ț" * 71)


# --- codes, numbers, settings ----------------------------------------------------------------


def test_numbers_are_masked_to_country_and_last_digits():
    assert mask_number("+40712345678") == "+4071****678"
    assert mask_number("+14155551234") == "+1415****234"


def test_codes_are_digits_of_the_length_asked_and_vary(alice_with_sms):
    codes = set()
    for length in (6, 10):
        verification.start(alice_with_sms, NUMBER, code_length=length)
        code = code_in(sms.outbox[-1].body)
        assert len(code) == length
        codes.add(code)
    assert len(codes) == 2


def test_the_digest_is_keyed_and_bound_to_the_verification(alice_with_sms, settings):
    found = verification.start(alice_with_sms, NUMBER).verification
    code = code_in(sms.outbox[-1].body)
    assert found.code_digest != hashlib.sha256(code.encode()).hexdigest()
    assert found.code_digest == verification._digest(found.public_id, code)
    assert found.code_digest != verification._digest("vf_other", code)
    settings.SECRET_KEY = "another-secret-key-" * 4
    assert found.code_digest != verification._digest(found.public_id, code)


def test_new_settings_allow_the_country_of_the_verified_phone(alice_with_sms, mallory):
    assert verification.settings_for(alice_with_sms).allowed_countries == ["RO"]
    assert verification.settings_for(mallory).allowed_countries == []
    current = verification.settings_for(alice_with_sms)
    assert (current.app_name, current.code_length, current.ttl) == ("", 6, 300)


def test_sub_users_share_their_accounts_settings(alice_with_sms, make_user):
    sam = make_user("sam", owner=alice_with_sms, permissions=["use_verify"])
    assert verification.settings_for(sam) == verification.settings_for(alice_with_sms)
    assert VerifySettings.objects.count() == 1


def test_a_change_of_countries_is_a_security_event(alice_with_sms):
    verification.save_settings(alice_with_sms, app_name="Shop", code_length=8, ttl=120,
                               allowed_countries=["ro", "DE"], actor=alice_with_sms)
    current = verification.settings_for(alice_with_sms)
    assert (current.app_name, current.code_length, current.ttl, current.allowed_countries) == (
        "Shop", 8, 120, ["DE", "RO"])
    event = SecurityEvent.objects.get(type="verify.settings")
    assert (event.user, event.detail["added"], event.detail["removed"]) == (
        alice_with_sms, "DE", "-")
    verification.save_settings(alice_with_sms, app_name="Other", code_length=8, ttl=120,
                               allowed_countries=["DE", "RO"], actor=alice_with_sms)
    assert SecurityEvent.objects.filter(type="verify.settings").count() == 1  # no change


@pytest.mark.parametrize("change", [{"code_length": 5}, {"ttl": 601}, {"app_name": "x" * 31},
                                    {"allowed_countries": ["XX"]}])
def test_settings_out_of_range_change_nothing(alice_with_sms, change):
    values = {"app_name": "", "code_length": 6, "ttl": 300, "allowed_countries": ["RO"],
              **change}
    with pytest.raises(verification.VerifyRefused) as refused:
        verification.save_settings(alice_with_sms, actor=alice_with_sms, **values)
    assert refused.value.code == "VALIDATION_ERROR" and refused.value.fields
    assert verification.settings_for(alice_with_sms).allowed_countries == ["RO"]


def test_country_choices_are_named_in_the_language_in_use():
    with translation.override("ro"):
        assert ("RO", "România (RO)") in verification.country_choices()
    with translation.override("en"):
        choices = dict(verification.country_choices())
    assert choices["RO"] == "Romania (RO)" and choices["DE"] == "Germany (DE)"
    assert "001" not in choices


# --- the page's figures ----------------------------------------------------------------------


def test_recent_lists_the_accounts_verifications_newest_first(alice_with_sms, make_user):
    sam = make_user("sam", owner=alice_with_sms, permissions=["use_verify"])
    first = verification.start(alice_with_sms, NUMBER).verification
    second = verification.start(sam, "+40712345670").verification
    assert verification.recent(alice_with_sms) == [second, first]
    assert verification.recent(sam, limit=1) == [second]


def test_daily_counts_started_and_approved_in_the_owners_time_zone(alice_with_sms,
                                                                   django_assert_num_queries):
    alice_with_sms.time_zone = "Europe/Bucharest"
    alice_with_sms.save(update_fields=["time_zone"])
    with freeze_time("2026-05-03 22:30:00"):  # 01:30 on the 4th in Bucharest
        found = verification.start(alice_with_sms, NUMBER).verification
        verification.check(alice_with_sms, found.public_id, code_in(sms.outbox[-1].body))
        verification.start(alice_with_sms, "+40712345670")
        with django_assert_num_queries(1):
            _first, started, approved = verification.daily(alice_with_sms)
    assert started == {date(2026, 5, 4): 2} and approved == {date(2026, 5, 4): 1}


# --- what is stored ----------------------------------------------------------------------------


def test_an_expired_pending_one_is_closed_as_expired_by_the_next_start(alice_with_sms):
    with freeze_time("2026-05-04 10:00:00") as clock:
        first = verification.start(alice_with_sms, NUMBER, ttl=60).verification
        clock.tick(timedelta(seconds=61))
        verification.start(alice_with_sms, NUMBER)
    assert Verification.objects.get(pk=first.pk).status == "expired"


def test_the_stored_message_never_holds_the_code(alice_with_sms):
    for length in (6, 10):
        verification.start(alice_with_sms, NUMBER, code_length=length)
        code = code_in(sms.outbox[-1].body)
        assert code not in Message.objects.order_by("-id").first().body



def test_countries_are_named_in_the_readers_language_and_sorted_by_letter():
    from django.utils import translation

    from messaging.verification import country_choices
    english = country_choices()
    assert dict(english)["DE"] == "Germany (DE)"
    assert dict(english)["AC"] == "Ascension Island (AC)"  # every code has a name
    names = [name for _code, name in english]
    assert names.index("Åland Islands (AX)") < names.index("Albania (AL)")  # Å with the As
    with translation.override("ro"):
        romanian = dict(country_choices())
    assert romanian["DE"] == "Germania (DE)" and romanian["ZA"] == "Africa de Sud (ZA)"
