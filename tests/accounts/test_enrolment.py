"""Registration, e-mail confirmation, the second factor's enrolment, fresh proof, admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time

from accounts.models import SMSDevice, User
from portal import sms
from security.models import EventType, SecurityEvent
from tests.conftest import PASSWORD, last_sms_code, outbox_link, signed_in_client


@pytest.mark.django_db
class TestRegistration:
    def test_register_confirm_then_sign_in(self, client):
        response = client.post("/accounts/register/", {
            "username": "carol", "email": "Carol@Example.com",
            "password1": PASSWORD, "password2": PASSWORD})
        assert response.status_code == 200
        assert "Check your inbox" in response.content.decode()
        user = User.objects.get(username="carol")
        assert user.email == "carol@example.com" and not user.email_confirmed
        # Not before the address is confirmed.
        refused = client.post("/accounts/login/", {"username": "carol", "password": PASSWORD})
        assert "not confirmed yet" in refused.content.decode()
        link = outbox_link(0)
        done = client.get(link, follow=True)
        assert "Your e-mail address is confirmed" in done.content.decode()
        # The token left the address bar before the page was shown.
        assert all(link not in url for url, _status in done.redirect_chain)
        user.refresh_from_db()
        assert user.email_confirmed
        assert client.post("/accounts/login/", {"username": "carol",
                                                "password": PASSWORD}).status_code == 302

    def test_a_bad_confirmation_link_is_refused(self, client):
        response = client.get("/accounts/confirm/not-a-token/", follow=True)
        assert response.status_code == 400
        assert "not valid" in response.content.decode()

    def test_each_broken_rule_is_a_clear_error(self, client):
        response = client.post("/accounts/register/", {
            "username": "dave", "email": "dave@example.com",
            "password1": "Password1", "password2": "Password1"})
        assert response.status_code == 400
        assert "too common" in response.content.decode()
        response = client.post("/accounts/register/", {
            "username": "dave", "email": "dave@example.com",
            "password1": "lowercase-horse-9", "password2": "lowercase-horse-9"})
        assert "capital letter" in response.content.decode()
        assert not User.objects.filter(username="dave").exists()


@pytest.mark.django_db
class TestSMSEnrolment:
    def test_the_factor_is_on_only_after_the_code(self, alice_client, alice):
        response = alice_client.post("/account/security/sms/", {
            "phone": "+40 712 345 678", "password": PASSWORD})
        assert response["Location"] == "/account/security/sms/confirm/"
        assert sms.outbox[-1].to == "+40712345678"
        assert not SMSDevice.objects.filter(user=alice, confirmed=True).exists()
        wrong = alice_client.post("/account/security/sms/confirm/", {"code": "12345x"})
        assert wrong.status_code == 400
        response = alice_client.post("/account/security/sms/confirm/", {"code": last_sms_code()})
        assert response.status_code == 200
        assert "Your backup codes" in response.content.decode()
        assert "no-store" in response["Cache-Control"]
        device = SMSDevice.objects.get(user=alice, confirmed=True)
        assert str(device.phone) == "+40712345678"
        assert SecurityEvent.objects.filter(user=alice, type=EventType.MFA_ENABLED).exists()
        assert any("SMS were turned on" in m.body for m in mail.outbox)

    def test_a_bad_phone_number_is_a_form_error(self, alice_client, alice):
        response = alice_client.post("/account/security/sms/", {
            "phone": "12345", "password": PASSWORD})
        assert response.status_code == 400
        assert "valid phone number" in response.content.decode()
        assert not sms.outbox

    def test_the_password_is_required(self, alice_client, alice):
        response = alice_client.post("/account/security/sms/", {
            "phone": "+40712345678", "password": "Wrong-Password-1"})
        assert response.status_code == 400
        assert not sms.outbox

    def test_changing_the_phone_without_fresh_proof_is_403(self, alice_client, alice):
        with freeze_time(timezone.now() + timedelta(minutes=11)):
            response = alice_client.post("/account/security/sms/", {
                "phone": "+40712345679", "password": PASSWORD})
            assert response.status_code == 403
            assert "Confirm your password" in response.content.decode()
            get = alice_client.get("/account/security/sms/")
            assert get["Location"].startswith("/accounts/reauth/?next=")
            back = alice_client.post(get["Location"], {"password": PASSWORD})
            assert back["Location"] == "/account/security/sms/"
            assert alice_client.get("/account/security/sms/").status_code == 200
        assert not sms.outbox

    def test_a_phone_change_sends_a_notice(self, alice_with_sms, client):
        signed_in_client(client, alice_with_sms)
        mail.outbox.clear()
        with freeze_time(timezone.now() + timedelta(seconds=61)):
            client.post("/account/security/sms/", {"phone": "+40712345679",
                                                  "password": PASSWORD})
            client.post("/account/security/sms/confirm/", {"code": last_sms_code()})
        assert SMSDevice.objects.get(user=alice_with_sms).phone == "+40712345679"
        assert any("phone number" in m.body for m in mail.outbox)
        assert SecurityEvent.objects.filter(type=EventType.PHONE_CHANGED).exists()


@pytest.mark.django_db
class TestTOTPAndDisable:
    def test_an_authenticator_app_can_be_enrolled_and_used(self, alice_client, alice, client):
        page = alice_client.get("/account/security/totp/")
        assert page.status_code == 200
        assert "<svg" in page.content.decode()
        device = TOTPDevice.objects.get(user=alice, confirmed=False)
        code = f"{totp(device.bin_key):06d}"
        response = alice_client.post("/account/security/totp/", {"code": code})
        assert response.status_code == 200  # backup codes shown
        device.refresh_from_db()
        assert device.confirmed
        alice_client.post("/accounts/logout/")
        response = alice_client.post("/accounts/login/", {"username": "alice",
                                                          "password": PASSWORD})
        assert response["Location"] == "/accounts/login/code/"
        assert not sms.outbox  # no SMS to pay for when an app is set up
        with freeze_time(timezone.now() + timedelta(seconds=30)):
            code = f"{totp(device.bin_key):06d}"
            assert alice_client.post("/accounts/login/code/", {"code": code}).status_code == 302

    def test_disabling_takes_the_password_and_a_code(self, alice_with_sms, client):
        signed_in_client(client, alice_with_sms)
        from accounts.otp import generate_backup_codes

        codes = generate_backup_codes(alice_with_sms)
        refused = client.post("/account/security/disable/", {"password": PASSWORD,
                                                             "code": "zzzzz-zzzzz"})
        assert refused.status_code == 400
        assert SMSDevice.objects.filter(user=alice_with_sms).exists()
        ok = client.post("/account/security/disable/", {"password": PASSWORD, "code": codes[0]})
        assert ok.status_code == 302
        assert not SMSDevice.objects.filter(user=alice_with_sms).exists()
        assert SecurityEvent.objects.filter(type=EventType.MFA_DISABLED).exists()
        assert any("turned off" in m.body for m in mail.outbox)


@pytest.mark.django_db
class TestDashboardAndProfile:
    def test_the_banner_asks_for_a_second_factor(self, alice_client):
        assert "protected by a password only" in alice_client.get("/dashboard/").content.decode()

    def test_no_banner_once_a_second_factor_is_on(self, alice_with_sms, client):
        signed_in_client(client, alice_with_sms)
        assert "protected by a password only" not in client.get("/dashboard/").content.decode()

    def test_an_email_change_needs_fresh_proof_and_waits_for_its_link(self, alice_client,
                                                                     alice):
        data = {"email": "alice.new@example.com", "time_zone": "Europe/Bucharest",
                "language": "en", "session_idle_seconds": 3600}
        with freeze_time(timezone.now() + timedelta(minutes=11)):
            assert alice_client.post("/account/profile/", data).status_code == 403
            alice.refresh_from_db()
            assert alice.email == "alice@example.com" and alice.pending_email == ""
        mail.outbox.clear()
        assert alice_client.post("/account/profile/", data).status_code == 302
        alice.refresh_from_db()
        assert alice.email == "alice@example.com" and alice.time_zone == "Europe/Bucharest"
        assert alice.pending_email == "alice.new@example.com"
        assert {m.to[0] for m in mail.outbox} == {"alice@example.com", "alice.new@example.com"}


@pytest.mark.django_db
class TestAdmin:
    def test_an_operator_without_a_second_factor_is_kept_out(self, client, make_user):
        make_user("root", is_staff=True, is_superuser=True)
        signed_in_client(client, User.objects.get(username="root"))
        response = client.get("/admin/", follow=True)
        assert response.status_code == 403
        assert "Operators need a second factor" in response.content.decode()

    def test_an_operator_with_a_code_gets_in(self, client, make_user):
        root = make_user("root", is_staff=True, is_superuser=True)
        SMSDevice.objects.create(user=root, name="SMS", phone="+40712345670", confirmed=True)
        signed_in_client(client, root)
        assert client.get("/admin/").status_code == 200
        assert client.get("/admin/accounts/user/").status_code == 200
        assert client.get("/admin/security/securityevent/").status_code == 200
