"""The API Keys pages in a real Chromium: generate, see once, copy, list, page, whitelist,
regenerate and delete (through the JavaScript confirmation)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from apikeys import keyformat
from apikeys.keycheck import check_key
from apikeys.models import APIKey, KeyWhitelistEntry
from tests.browser.helpers import sign_in

KEY_RE = re.compile(r"^sk_live_[0-9A-Za-z]{61}$")
EMPTY = "Page 0 of 1, showing 0 records out of 0 total, starting on record 0, ending on 0"




def generate(page: Page, description: str, type_label: str, signing: bool = False) -> str:
    page.goto("/account/api-keys/")
    page.get_by_role("link", name="Generate a new API Key").click()
    page.get_by_label("Description").fill(description)
    page.get_by_label(type_label).check()
    if signing:
        page.get_by_label("Require HMAC signing of every request").check()
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("alert")).to_contain_text("it will not be shown again")
    full = page.locator("#new-key").inner_text().strip()
    assert KEY_RE.match(full)
    return full


def row(page: Page, key: APIKey):
    return page.locator(f"tr[data-key='{key.lookup_id}']")


@pytest.mark.django_db(transaction=True)
def test_a_new_user_generates_copies_finds_and_deletes_a_default_key(page: Page, alice):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API Keys").click()
    expect(page.locator("[data-pager]").first).to_contain_text(EMPTY)

    full = generate(page, "My Twitter Application", "Default Key")
    page.get_by_role("button", name="Copy the key").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == full

    page.get_by_role("link", name="Back to API Keys").click()
    key = APIKey.objects.get()
    cells = row(page, key).locator("td")
    expect(cells).to_have_count(7)
    headers = page.locator("table.keys thead th")
    expect(headers).to_have_text(["Username", "Description", "Key", "Last Used", "Times Used",
                                  "Locked On IP", "Actions"])
    expect(cells.nth(0)).to_have_text("alice")
    expect(cells.nth(1)).to_contain_text("My Twitter Application")
    expect(cells.nth(2)).to_have_text(key.masked)
    expect(cells.nth(3)).to_have_text("Never")
    expect(cells.nth(4)).to_have_text("0")
    expect(cells.nth(5)).to_have_text("")
    assert full not in page.content()
    expect(page.locator("[data-pager]").first).to_contain_text(
        "Page 1 of 1, showing 1 records out of 1 total, starting on record 1, ending on 1")

    page.once("dialog", lambda dialog: dialog.accept())
    row(page, key).get_by_role("button", name="Delete").click()
    expect(page.locator(".messages")).to_contain_text("was deleted")
    expect(row(page, key)).to_have_count(0)
    expect(page.locator("[data-pager]").first).to_contain_text(EMPTY)
    assert check_key(full, ip="203.0.113.7").refusal.code == "KEY_REVOKED"


@pytest.mark.django_db(transaction=True)
def test_dismissing_the_confirmation_deletes_nothing(page: Page, alice):
    sign_in(page)
    generate(page, "Keep me", "Cloud Key")
    page.goto("/account/api-keys/")
    key = APIKey.objects.get()
    page.once("dialog", lambda dialog: dialog.dismiss())
    row(page, key).get_by_role("button", name="Delete").click()
    expect(row(page, key)).to_have_count(1)
    assert APIKey.objects.get().state == "active"


@pytest.mark.django_db(transaction=True)
def test_each_type_is_generated_and_listed(page: Page, alice, settings):
    sign_in(page)
    made = {}
    for label in ("Default Key", "Zoho CRM", "Cloud Key"):
        made[label] = generate(page, f"{label} integration", label, signing=label == "Cloud Key")
        if label == "Cloud Key":
            expect(page.locator("#signing-secret")).to_have_text(re.compile(r"^\S{43}$"))
        else:
            expect(page.locator("#signing-secret")).to_have_count(0)
    page.goto("/account/api-keys/")
    for label, full in made.items():
        key = APIKey.objects.get(lookup_id=keyformat.parse(full).lookup_id)
        assert key.get_type_display() == label
        expect(row(page, key).locator("td").nth(1)).to_contain_text(label)
        expect(row(page, key).locator("td").nth(2)).to_have_text(key.masked)
    assert APIKey.objects.get(type="zoho_crm").scopes == settings.ZOHO_CRM_SCOPES


@pytest.mark.django_db(transaction=True)
def test_the_list_pages_past_25_keys(page: Page, alice):
    now = timezone.now()
    APIKey.objects.bulk_create(
        APIKey(user=alice, description=f"key {i:02d}", prefix="sk_live_",
               lookup_id=keyformat.new_lookup_id(), secret_hash=f"{i:064x}", last4="abcd",
               created_at=now - timedelta(minutes=i))
        for i in range(27)
    )
    sign_in(page)
    page.goto("/account/api-keys/")
    pager = page.locator("[data-pager]").first
    expect(pager).to_contain_text("Page 1 of 2, showing 25 records out of 27 total, "
                                  "starting on record 1, ending on 25")
    expect(pager).to_contain_text("<< previous | next >>")
    expect(page.locator("table.keys tbody tr")).to_have_count(25)
    pager.get_by_role("link", name="next >>").click()
    expect(pager).to_contain_text("Page 2 of 2, showing 2 records out of 27 total, "
                                  "starting on record 26, ending on 27")
    expect(page.locator("table.keys tbody tr")).to_have_count(2)
    expect(page.locator("table.keys")).to_contain_text("key 26")
    pager.get_by_role("link", name="<< previous").click()
    expect(pager).to_contain_text("Page 1 of 2")


@pytest.mark.django_db(transaction=True)
def test_a_whitelist_entry_is_added_refused_when_bad_and_removed(page: Page, alice):
    sign_in(page)
    generate(page, "Office server", "Default Key")
    page.get_by_role("link", name="Key settings").click()
    whitelist = page.locator("#whitelist")
    whitelist.get_by_label("IP address or range").fill("203.0.113.7/24")
    whitelist.get_by_role("button", name="Add to whitelist").click()
    expect(page.locator("#whitelist .errorlist")).to_contain_text(
        "has host bits set: did you mean 203.0.113.0/24?")
    assert not KeyWhitelistEntry.objects.exists()

    page.locator("#whitelist").get_by_label("IP address or range").fill("2001:db8::/32")
    page.locator("#whitelist").get_by_label("Label").fill("office v6")
    page.locator("#whitelist").get_by_role("button", name="Add to whitelist").click()
    entry = page.locator("#whitelist tr[data-entry='2001:db8::/32']")
    expect(entry).to_contain_text("office v6")
    entry.get_by_role("button", name="Remove").click()
    expect(page.locator(".messages")).to_contain_text("was removed from the key's whitelist")
    expect(page.locator("#whitelist tr[data-entry]")).to_have_count(0)
    assert not KeyWhitelistEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_regenerating_with_a_grace_period_shows_the_new_key_once(page: Page, alice):
    sign_in(page)
    old_full = generate(page, "Billing", "Default Key")
    page.get_by_role("link", name="Key settings").click()
    page.locator("#regenerate").get_by_label("The old key stops working").select_option(
        label="In 1 day")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#regenerate").get_by_role("button", name="Regenerate").click()
    expect(page.get_by_role("heading", name="Your regenerated API key")).to_be_visible()
    new_full = page.locator("#new-key").inner_text().strip()
    assert KEY_RE.match(new_full) and new_full != old_full
    assert check_key(new_full, ip="203.0.113.7").ok
    assert check_key(old_full, ip="203.0.113.7").ok  # still in its grace period

    page.get_by_role("link", name="Back to API Keys").click()
    old = APIKey.objects.get(state="replaced")
    expect(row(page, old)).to_contain_text("replaced, works until")
    expect(page.locator("table.keys tbody tr")).to_have_count(2)


@pytest.mark.django_db(transaction=True)
def test_without_javascript_delete_lands_on_the_confirmation_page(browser, live_server, alice):
    from apikeys import flows

    created = flows.create_key(None, alice, description="No script", type="cloud")
    context = browser.new_context(base_url=live_server.url, locale="en-US",
                                  java_script_enabled=False)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        sign_in(page)
        for start in ("/account/api-keys/", f"/account/api-keys/{created.key.lookup_id}/"):
            page.goto(start)
            page.get_by_role("button", name=re.compile(r"^Delete")).first.click()
            expect(page.get_by_role("heading", name="Delete API key")).to_be_visible()
            expect(page.locator("main, body").first).to_contain_text(
                f"Delete the key {created.key.masked} (“No script”)?")
            assert APIKey.objects.get().state == "active"
        page.get_by_role("button", name="Delete").click()
        expect(page.locator(".messages")).to_contain_text("was deleted")
        assert APIKey.objects.get().state == "revoked"
    finally:
        context.close()


@pytest.mark.django_db(transaction=True)
def test_a_zoho_key_says_where_it_works_and_takes_whitelist_entries(page: Page, alice):
    sign_in(page)
    page.goto("/account/api-keys/new/")
    zoho = page.locator("label.choice", has_text="Zoho CRM")
    expect(zoho.locator("[data-accepts]")).to_have_text(
        "Accepted from the first IP address that uses it, and from the addresses on its "
        "whitelist: no Zoho CRM address ranges are set on this portal yet.")
    expect(page.locator("label.choice", has_text="Cloud Key").locator("[data-accepts]")
           ).to_have_text("Accepted from any IP address.")
    generate(page, "CRM", "Zoho CRM")
    page.get_by_role("link", name="Key settings").click()
    expect(page.locator("#settings [data-accepts]")).to_contain_text(
        "Accepted from the first IP address that uses it")
    page.locator("#whitelist").get_by_label("IP address or range").fill("198.51.100.0/24")
    page.locator("#whitelist").get_by_role("button", name="Add to whitelist").click()
    expect(page.locator("#whitelist tr[data-entry='198.51.100.0/24']")).to_be_visible()
    assert KeyWhitelistEntry.objects.get().key.type == APIKey.Type.ZOHO_CRM
