"""Password policy, hashing, change and reset (SEC-01..06, SEC-09 reset part)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import password_validation
from django.core import mail
from django.core.exceptions import ValidationError

from accounts.models import User
from security.models import EventType, SecurityEvent
from tests.conftest import PASSWORD, outbox_link


def _errors(password: str, user=None) -> list[str]:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        return list(exc.messages)
    return []


@pytest.mark.django_db
class TestPolicy:
    def test_it_refuses_seven_characters_and_accepts_8_64_and_128(self):
        assert any("too short" in m for m in _errors("Abcdef1"))
        for length in (8, 64, 128):
            candidate = ("Zq7" + "xkcdwvmp" * 20)[:length]
            assert _errors(candidate) == [], (length, _errors(candidate))

    def test_it_refuses_a_common_password_that_meets_capital_and_digit(self):
        assert any("too common" in m for m in _errors("Password1"))

    def test_it_names_the_missing_capital_and_digit(self):
        messages = _errors("correct horse battery staple")
        assert any("capital letter" in m for m in messages)
        assert any("digit" in m for m in messages)

    def test_the_capital_and_digit_rule_is_a_setting(self, settings):
        settings.PASSWORD_REQUIRE_CAPITAL_AND_DIGIT = False
        assert _errors("correct horse battery staple") == []
        # The blocklist applies whatever the setting says.
        assert any("too common" in m for m in _errors("password"))

    def test_it_hashes_with_argon2id_at_production_cost(self, settings):
        from django.contrib.auth.hashers import get_hasher, make_password

        from portal import settings as production

        settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
        encoded = make_password("Any-Passw0rd")
        assert encoded.startswith("argon2$argon2id$")
        hasher = get_hasher("argon2")
        params = hasher.decode(encoded)
        assert params["memory_cost"] >= 19 * 1024 and params["time_cost"] >= 2


@pytest.mark.django_db
class TestSignInUsesThePasswordExactly:
    def test_a_long_password_works_and_is_never_truncated(self, client, make_user):
        long_password = "Zq7" + "correct-horse-" * 9  # 129 characters
        make_user("bob", password=long_password)
        ok = client.post("/accounts/login/", {"username": "bob", "password": long_password})
        assert ok.status_code == 302
        client.post("/accounts/logout/")
        cut = client.post("/accounts/login/", {"username": "bob", "password": long_password[:-1]})
        assert cut.status_code == 400

    def test_it_refuses_the_password_with_an_extra_character_or_swapped_case(self, client, alice):
        for wrong in (PASSWORD + "x", PASSWORD.swapcase()):
            response = client.post("/accounts/login/", {"username": "alice", "password": wrong})
            assert response.status_code == 400
            assert "username or password is not right" in response.content.decode()


@pytest.mark.django_db
class TestChange:
    def test_it_requires_the_current_password(self, alice_client, alice):
        before = User.objects.get(pk=alice.pk).password
        for old in ("", "Wrong-Password-9"):
            response = alice_client.post("/accounts/password/change/", {
                "old_password": old, "new_password1": "N3w-Sunrise-Path", "new_password2":
                "N3w-Sunrise-Path"})
            assert response.status_code == 400
        assert User.objects.get(pk=alice.pk).password == before

    def test_it_changes_the_password_records_and_tells_the_owner(self, alice_client, alice):
        response = alice_client.post("/accounts/password/change/", {
            "old_password": PASSWORD, "new_password1": "N3w-Sunrise-Path",
            "new_password2": "N3w-Sunrise-Path"})
        assert response.status_code == 302
        alice.refresh_from_db()
        assert alice.check_password("N3w-Sunrise-Path")
        assert alice.token_epoch == 1
        assert SecurityEvent.objects.filter(user=alice, type=EventType.PASSWORD_CHANGED).exists()
        assert mail.outbox[-1].to == ["alice@example.com"]
        assert "password was changed" in mail.outbox[-1].body
        assert "N3w-Sunrise-Path" not in mail.outbox[-1].body
        # The session that made the change stays signed in.
        assert alice_client.get("/dashboard/").status_code == 200

    def test_a_change_signs_out_the_other_sessions(self, client, alice, django_user_model):
        from django.test import Client

        other = Client()
        other.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
        assert other.get("/dashboard/").status_code == 200
        client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
        client.post("/accounts/password/change/", {
            "old_password": PASSWORD, "new_password1": "N3w-Sunrise-Path",
            "new_password2": "N3w-Sunrise-Path"})
        assert other.get("/dashboard/").status_code == 302


def _page(client, url: str) -> str:
    """The page as a user reads it: the per-request CSRF token is not part of it."""
    html = client.get(url).content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.mark.django_db
class TestReset:
    def test_the_answer_is_the_same_for_known_and_unknown_addresses(self, client, alice):
        known = client.post("/accounts/password/reset/", {"email": "alice@example.com"})
        unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
        assert known.status_code == unknown.status_code == 302
        assert known["Location"] == unknown["Location"]
        assert _page(client, known["Location"]) == _page(client, unknown["Location"])
        assert len(mail.outbox) == 1

    def test_the_link_from_the_email_sets_a_new_password_once(self, client, alice):
        client.post("/accounts/password/reset/", {"email": "alice@example.com"})
        link = outbox_link()
        assert re.match(r"^/accounts/password/reset/[^/]+/[^/]+/$", link)
        form_page = client.get(link, follow=True)
        assert form_page.status_code == 200
        set_url = form_page.redirect_chain[-1][0]
        response = client.post(set_url, {"new_password1": "N3w-Sunrise-Path",
                                         "new_password2": "N3w-Sunrise-Path"})
        assert response.status_code == 302
        alice.refresh_from_db()
        assert alice.check_password("N3w-Sunrise-Path")
        again = client.get(link, follow=True)
        assert "not valid" in again.content.decode()

    def test_it_limits_reset_requests_per_address(self, client, alice):
        codes = [client.post("/accounts/password/reset/", {"email": "x@example.com"}).status_code
                 for _ in range(4)]
        assert codes == [302, 302, 302, 429]


@pytest.mark.django_db
class TestExpiry:
    def test_a_default_account_is_never_forced_to_change(self, client, alice):
        from datetime import timedelta

        from django.utils import timezone
        from freezegun import freeze_time

        with freeze_time(timezone.now() + timedelta(days=400)):
            client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
            response = client.get("/dashboard/")
        assert response.status_code == 200
        assert "will expire" not in response.content.decode()

    def test_an_opted_in_account_sees_whole_days_then_the_change_form(self, client, alice):
        from datetime import timedelta

        from django.utils import timezone
        from freezegun import freeze_time

        alice.password_expiry_enabled = True
        alice.save()
        start = alice.password_changed_at
        with freeze_time(start + timedelta(days=20, hours=7)):
            client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
            page = client.get("/dashboard/").content.decode()
            assert "Your password will expire in 10 days." in page
            client.post("/accounts/logout/")
        with freeze_time(start + timedelta(days=31)):
            signin = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
            response = client.get(signin["Location"])
            assert response.status_code == 302
            assert response["Location"] == "/accounts/password/change/"
            assert client.get("/account/api-keys/")["Location"] == "/accounts/password/change/"
            response = client.post("/accounts/password/change/", {
                "old_password": PASSWORD, "new_password1": "N3w-Sunrise-Path",
                "new_password2": "N3w-Sunrise-Path"})
            assert response.status_code == 302
            assert client.get("/dashboard/").status_code == 200
        assert timezone.now() < start + timedelta(days=31)

    def test_days_left_is_never_negative(self, alice):
        from datetime import timedelta

        alice.password_expiry_enabled = True
        changed = alice.password_changed_at
        assert alice.password_days_left(changed) == 30
        assert alice.password_days_left(changed + timedelta(days=29, hours=23)) == 1
        assert alice.password_days_left(changed + timedelta(days=30)) == 0
        assert alice.password_days_left(changed + timedelta(days=45)) == 0

    def test_an_operator_flag_forces_a_change(self, alice_client, alice):
        User.objects.filter(pk=alice.pk).update(must_change_password=True)
        assert alice_client.get("/dashboard/")["Location"] == "/accounts/password/change/"
