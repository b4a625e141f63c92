from __future__ import annotations

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time

from apikeys import flows
from apikeys.forms import CreateKeyForm, RegenerateForm, WhitelistEntryForm
from apikeys.models import SCOPES, APIKey

pytestmark = pytest.mark.django_db


def create_form(user, **data):
    base = {"description": "My Twitter Application", "type": "default", "scopes": list(SCOPES)}
    base.update(data)
    return CreateKeyForm(user, data=base)


# --- whitelist entries --------------------------------------------------------------------


@pytest.mark.parametrize("value, stored", [
    ("203.0.113.7", "203.0.113.7"),
    ("203.0.113.0/24", "203.0.113.0/24"),
    ("2001:db8::/32", "2001:db8::/32"),
    ("2001:0DB8:0000::0001", "2001:db8::1"),
    ("203.0.113.7/32", "203.0.113.7"),
])
def test_the_whitelist_accepts_addresses_and_ranges_in_canonical_form(make_key, value, stored):
    form = WhitelistEntryForm(make_key().key, data={"value": value, "label": ""})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["value"] == stored


@pytest.mark.parametrize("value, message", [
    ("", "This field is required."),
    ("203.0.113.300", "is not an IP address or range"),
    ("203.0.113.7/24", "has host bits set: did you mean 203.0.113.0/24?"),
    ("0.0.0.0/0", "covers every address"),
    ("::/0", "covers every address"),
    ("example.com", "is not an IP address or range"),
    ("1" * 80, "too long"),
    ("203.0.113.7\x00", "Null characters are not allowed."),
])
def test_the_whitelist_refuses_bad_input_with_a_clear_message(make_key, value, message):
    form = WhitelistEntryForm(make_key().key, data={"value": value, "label": ""})
    assert not form.is_valid()
    assert message in " ".join(form.errors["value"])


def test_only_default_keys_have_a_whitelist(make_key):
    form = WhitelistEntryForm(make_key(type=APIKey.Type.CLOUD).key,
                              data={"value": "203.0.113.7"})
    assert not form.is_valid()
    assert "Only Default keys" in str(form.non_field_errors())


def test_a_zoho_key_has_a_whitelist_only_while_no_zoho_ranges_are_set(make_key, settings):
    key = make_key(type=APIKey.Type.ZOHO_CRM).key
    settings.ZOHO_CRM_ALLOWED_RANGES = []
    assert WhitelistEntryForm(key, data={"value": "203.0.113.7"}).is_valid()
    settings.ZOHO_CRM_ALLOWED_RANGES = ["198.51.100.0/24"]
    form = WhitelistEntryForm(key, data={"value": "203.0.113.7"})
    assert not form.is_valid()
    assert "Zoho CRM keys while no Zoho ranges are set" in str(form.non_field_errors())


# --- the create form ----------------------------------------------------------------------


def test_a_complete_create_form_gives_the_flows_arguments(alice):
    form = create_form(alice, signing="on", mode="test")
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"description": "My Twitter Application", "type": "default",
                                 "scopes": SCOPES, "expires_at": None, "signing": True,
                                 "mode": "test"}


@freeze_time("2026-06-01")
def test_the_api_can_pass_its_json_to_the_same_form(alice):
    form = CreateKeyForm(alice, data={"description": "CRM", "type": "cloud",
                                      "scopes": ["sms:send"], "signing": False,
                                      "expires_at": "2030-01-02T03:04:05Z"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["expires_at"] == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize("data, field, message", [
    ({"description": ""}, "description", "required"),
    ({"description": "x" * 201}, "description", "at most 200"),
    ({"type": "gold"}, "type", "Select a valid choice"),
    ({"scopes": []}, "scopes", "Choose at least one scope"),
    ({"scopes": ["sms:send", "admin"]}, "scopes", "Select a valid choice"),
    ({"scopes": "sms:send"}, "scopes", "Enter a list of values"),
    ({"expires_at": "2001-01-01"}, "expires_at", "must be in the future"),
    ({"expires_at": "tomorrow"}, "expires_at", "Enter a date"),
    ({"expires_at": "2030-02-30"}, "expires_at", "Enter a date"),
    ({"expires_at": "9999-12-31"}, "expires_at", "at most 10 years"),
    ({"expires_at": 12}, "expires_at", "Enter a date"),
])
def test_the_create_form_refuses_bad_input_clearly(alice, data, field, message):
    form = create_form(alice, **data)
    assert not form.is_valid()
    assert message in " ".join(form.errors[field]), form.errors


@freeze_time("2026-05-30 12:00")
def test_an_expiry_date_means_through_that_day_in_the_users_time_zone(alice):
    alice.time_zone = "Europe/Bucharest"
    form = create_form(alice, expires_at="2026-05-31")
    assert form.is_valid(), form.errors
    # Midnight at the end of 31 May in Bucharest (UTC+3 in summer) is 21:00 UTC.
    assert form.cleaned_data["expires_at"] == datetime(2026, 5, 31, 21, 0, tzinfo=UTC)


def test_a_zoho_key_gets_the_settings_scopes(alice, settings):
    settings.ZOHO_CRM_SCOPES = ["sms:send"]
    form = create_form(alice, type="zoho_crm", scopes=[])
    assert form.is_valid(), form.errors
    assert flows.create_key(None, alice, **form.cleaned_data).key.scopes == ["sms:send"]


def test_an_account_cannot_pile_up_keys_beyond_the_limit(alice, make_key, settings):
    settings.API_KEYS_MAX_PER_ACCOUNT = 2
    make_key()
    make_key()
    form = create_form(alice)
    assert not form.is_valid()
    assert "limit of 2 API keys" in str(form.non_field_errors())


@pytest.mark.parametrize("value, ok", [("0", True), ("604800", True), ("3600", True),
                                       ("604801", False), ("-1", False), ("soon", False)])
def test_the_grace_period_is_between_zero_and_seven_days(value, ok):
    assert RegenerateForm(data={"grace_seconds": value}).is_valid() is ok


def test_an_empty_grace_means_now():
    form = RegenerateForm(data={})
    assert form.is_valid() and form.cleaned_data["grace_seconds"] == 0
