"""Passkeys in Chromium, with its virtual authenticator (the DevTools protocol's WebAuthn
domain, through Playwright's CDP session): a platform authenticator that keeps discoverable
credentials and verifies its user without a prompt.

The live server answers at http://localhost:<port>, which is SITE_URL here: the relying
party is "localhost" and that origin the only one accepted.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.passkeys import Passkey
from security.models import EventType, SecurityEvent
from tests.browser.helpers import sign_in, submit_password
from tests.conftest import PASSWORD
from tests.passkeys import Authenticator, add_passkey


@pytest.fixture(autouse=True)
def site(settings, live_server) -> str:
    settings.SITE_URL = live_server.url
    return live_server.url


def authenticator(page: Page) -> dict:
    """Chromium's virtual authenticator on `page`: returns the CDP session and its id."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    made = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})
    return {"cdp": cdp, "id": made["authenticatorId"]}


def stored(device: dict) -> list[dict]:
    return device["cdp"].send("WebAuthn.getCredentials",
                              {"authenticatorId": device["id"]})["credentials"]


def complaints(page: Page) -> list[str]:
    """Collects the page's script errors and console errors (a script the
    Content-Security-Policy refused, a missing gettext catalogue...)."""
    found: list[str] = []
    page.on("console", lambda message: found.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


def add_a_passkey(page: Page, name: str) -> None:
    page.goto("/account/security/")
    page.get_by_role("link", name="Add a passkey").click()
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Create the passkey").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".messages")).to_contain_text("You have signed out.")


def test_register_sign_in_both_ways_and_remove(page: Page, alice):
    refused = complaints(page)
    device = authenticator(page)
    sign_in(page)

    # Register: a name, then the browser's part; the first factor comes with backup codes.
    add_a_passkey(page, "Work laptop")
    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    expect(page.locator("#backup-codes li")).to_have_count(10)
    page.get_by_role("link", name="I have saved them").click()
    row = page.locator("#passkeys tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("textbox")).to_have_value("Work laptop")
    expect(row).to_contain_text("Never")
    expect(page.locator("#passkeys")).to_contain_text("A passkey is stronger than an SMS code")
    [credential] = stored(device)
    assert credential["rpId"] == "localhost" and credential["isResidentCredential"]

    # Password, then the passkey in place of a code.
    sign_out(page)
    submit_password(page)
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    page.get_by_role("button", name="Use a passkey").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", name="Welcome, alice")).to_be_visible()

    # The passkey alone, from the sign-in page.
    sign_out(page)
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    page.goto("/account/security/")
    expect(page.locator("#passkeys tbody tr")).not_to_contain_text("Never")

    # Rename it; add a second one on another device; then the first can be removed (the
    # last one only goes with "Turn the second factor off", which takes a code).
    row.get_by_role("textbox").fill("Old laptop")
    row.get_by_role("button", name="Rename").click()
    expect(page.locator(".messages")).to_contain_text("The passkey was renamed.")
    device["cdp"].send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": device["id"]})
    authenticator(page)
    add_a_passkey(page, "Phone")
    expect(page.locator(".messages")).to_contain_text("Your passkey is ready")
    expect(page.locator("#passkeys tbody tr")).to_have_count(2)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#passkeys tbody tr").filter(
        has=page.locator('input[value="Old laptop"]')).get_by_role("button",
                                                                    name="Remove").click()
    expect(page.locator(".messages")).to_contain_text("The passkey “Old laptop” was removed.")
    expect(page.locator("#passkeys tbody tr")).to_have_count(1)
    assert list(Passkey.objects.values_list("name", flat=True)) == ["Phone"]
    assert refused == []


def test_another_accounts_passkey_is_refused(new_page, make_user, alice):
    bob = make_user("bob")
    add_passkey(bob, Authenticator())  # bob's own passkey, on a device of his
    page = new_page()
    authenticator(page)
    sign_in(page)
    add_a_passkey(page, "Alice's laptop")
    page.get_by_role("link", name="I have saved them").click()
    sign_out(page)

    submit_password(page, "bob")
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.locator("#passkey-verification-status-message")).to_contain_text(
        "Verification canceled or not allowed.")
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    assert not SecurityEvent.objects.filter(type=EventType.SIGNIN_SUCCESS, user=bob).exists()


def test_another_origin_is_refused(page: Page, alice, live_server):
    authenticator(page)
    sign_in(page)
    add_a_passkey(page, "Laptop")
    page.get_by_role("link", name="I have saved them").click()
    sign_out(page)
    # The same server under another name: an IP address cannot be the relying party.
    other = live_server.url.replace("localhost", "127.0.0.1")
    page.goto(other + "/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.locator("#passkey-verification-status-message")).to_contain_text(
        "Verification failed")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    assert SecurityEvent.objects.filter(type=EventType.SIGNIN_SUCCESS).count() == 1  # the first


def test_the_admin_requires_a_second_factor_and_accepts_a_passkey(page: Page, make_user, alice):
    make_user("root", is_staff=True, is_superuser=True)
    victim = add_passkey(alice, Authenticator(), name="Alice's phone")
    authenticator(page)
    sign_in(page, "root")
    page.goto("/admin/")  # the password alone does not open it
    expect(page.get_by_role("heading", name="Operators need a second factor")).to_be_visible()
    add_a_passkey(page, "Operator key")
    page.get_by_role("link", name="I have saved them").click()
    sign_out(page)

    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    # The user's passkeys, on the operators' user page; removed with "Delete" and Save.
    page.goto(f"/admin/accounts/user/{alice.pk}/change/")
    inline = page.locator(".inline-group", has_text="Passkeys")
    expect(inline).to_contain_text("Alice's phone")
    inline.locator("input[name$=\"-DELETE\"]").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert not Passkey.objects.filter(pk=victim.pk).exists()
    event = SecurityEvent.objects.get(type=EventType.MFA_DISABLED, user=alice)
    assert event.detail["operator"] == "root" and event.detail["label"] == "Alice's phone"


def test_signing_in_with_the_password_still_works_without_a_passkey(page: Page, alice):
    # A browser without a passkey for the site: the password is the way, as before.
    authenticator(page)
    page.goto("/accounts/login/")
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_visible()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
