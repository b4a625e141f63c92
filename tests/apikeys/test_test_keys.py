"""Test keys, on the key's side: the sk_test_ prefix, every check like a live key, its own
mode only for the keys it issues, the generate page's choice, and the scanners' pattern."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from apikeys import flows, issuance, keyformat
from apikeys.forms import CreateKeyForm
from apikeys.models import APIKey
from tests.portal.test_deploy import _manage

from .conftest import ELSEWHERE, OFFICE, check
from .test_pages import LIST, NEW, text

pytestmark = pytest.mark.django_db
TEST_KEY = re.compile(r"^sk_test_[0-9A-Za-z]{61}$")


def test_a_test_key_starts_sk_test_and_says_so_everywhere(make_key):
    created = make_key(mode="test")
    assert TEST_KEY.match(created.full_key)
    key = created.key
    assert key.mode == "test" and key.prefix == "sk_test_"
    assert key.masked.startswith("sk_test_") and key.to_api_dict()["mode"] == "test"
    assert keyformat.parse(created.full_key).mode == "test"
    assert keyformat.parse(make_key().full_key).mode == "live"


def test_a_test_key_passes_every_check_like_a_live_key(make_key):
    created = make_key(mode="test", scopes=["sms:read"])
    APIKey.objects.filter(pk=created.key.pk).update(rate_limit_per_minute=2)
    assert check(created, scope="sms:read").ok
    assert check(created, ip=ELSEWHERE).refusal.code == "IP_NOT_ALLOWED"  # locked to OFFICE
    assert check(created, scope="sms:send").refusal.code == "INSUFFICIENT_SCOPE"
    assert check(created).ok
    assert check(created).refusal.code == "RATE_LIMITED"
    assert APIKey.objects.get(pk=created.key.pk).times_used == 2


@pytest.mark.parametrize("mode, other", [("live", "test"), ("test", "live")])
def test_a_keys_id_and_secret_under_the_other_prefix_is_no_key(make_key, mode, other):
    created = make_key(mode=mode)
    parsed = keyformat.parse(created.full_key)
    head = keyformat.prefix(other) + parsed.lookup_id + parsed.secret
    forged = head + keyformat.checksum(head)  # the checksum is public: anyone can redo it
    assert keyformat.parse(forged) is not None
    refusal = check_key_text(forged)
    assert refusal.code == "INVALID_API_KEY" and "no such key" in refusal.message
    assert check(created).ok


def check_key_text(raw: str):
    from apikeys.keycheck import check_key

    return check_key(raw, ip=OFFICE).refusal


def test_the_per_account_cap_counts_test_keys_too(alice, make_key, settings):
    settings.API_KEYS_MAX_PER_ACCOUNT = 2
    make_key()
    make_key(mode="test")
    for mode in ("live", "test"):
        form = CreateKeyForm(alice, data={"description": "third", "type": "default",
                                          "scopes": ["sms:send"], "mode": mode})
        assert not form.is_valid()
        assert "limit of 2 API keys" in str(form.non_field_errors())


@pytest.mark.parametrize("issuer_mode", ["live", "test"])
def test_a_key_creates_keys_of_its_own_mode_only(alice, make_key, issuer_mode):
    issuer = make_key(type=APIKey.Type.CLOUD, mode=issuer_mode).key
    made = flows.create_key(None, alice, description="child", type=APIKey.Type.CLOUD,
                            issuer=issuer)
    assert made.key.mode == issuer_mode
    assert made.full_key.startswith(f"sk_{issuer_mode}_")
    other = "live" if issuer_mode == "test" else "test"
    before = APIKey.objects.count()
    with pytest.raises(issuance.BeyondIssuer) as refused:
        flows.create_key(None, alice, description="x", type=APIKey.Type.CLOUD, mode=other,
                         issuer=issuer)
    assert refused.value.field == "mode" and f"{issuer_mode} key creates only" in \
        refused.value.message.lower()
    assert APIKey.objects.count() == before


def test_a_person_makes_either_mode_and_a_live_key_regenerates_no_test_key(alice, make_key):
    assert flows.create_key(None, alice, description="t", mode="test").key.mode == "test"
    live = make_key(type=APIKey.Type.CLOUD).key
    test = make_key(type=APIKey.Type.CLOUD, mode="test")
    with pytest.raises(issuance.BeyondIssuer):
        flows.regenerate_key(None, test.key, issuer=live)
    again = flows.regenerate_key(None, test.key)
    assert again.key.mode == "test" and TEST_KEY.match(again.full_key)


def test_the_generate_page_offers_test_mode_and_the_key_shows_it(alice_client):
    form = text(alice_client.get(NEW))
    assert "Mode Live sk_live_… Sends real SMS. Test sk_test_…" in form
    response = alice_client.post(NEW, {"description": "Staging", "type": "cloud",
                                       "scopes": ["sms:send"], "mode": "test"})
    assert response.status_code == 200
    full = re.search(r"sk_test_[0-9A-Za-z]{61}", response.content.decode()).group(0)
    assert check_key_text(full) is None
    key = APIKey.objects.get()
    assert 'data-mode="test"' in alice_client.get(LIST).content.decode()
    assert "Test: nothing this key sends reaches a phone" in text(
        alice_client.get(f"{LIST}{key.lookup_id}/"))


def test_the_scanners_pattern_finds_keys_of_both_modes(make_key):
    live, test = make_key().full_key, make_key(mode="test").full_key
    found = re.findall(keyformat.scanner_pattern(), f"config: {live}\nstaging={test};")
    assert found == [live, test]
    readme = (Path(django_settings.BASE_DIR) / "README.md").read_text()
    assert f"`{keyformat.scanner_pattern()}`" in readme


def test_prefixes_that_overlap_stop_the_start():
    result = _manage("check", DEBUG="1", API_KEY_PREFIX="sk_", API_KEY_TEST_PREFIX="sk_test_")
    assert result.returncode != 0
    assert "neither may begin the other" in result.stderr


def test_operators_find_a_test_key_by_its_start_and_filter_by_mode(operator_client, make_key):
    test, live = make_key(mode="test"), make_key()
    html = operator_client.get("/admin/apikeys/apikey/",
                               {"q": f"sk_test_{test.key.lookup_id[:5]}"}).content.decode()
    assert test.key.masked in html and live.key.masked not in html
    html = operator_client.get("/admin/apikeys/apikey/", {"mode__exact": "live"}).content.decode()
    assert live.key.masked in html and test.key.masked not in html
