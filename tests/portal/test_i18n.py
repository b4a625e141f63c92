"""The portal speaks Romanian: pages follow the language cookie or Accept-Language, and the
catalogue is complete (no empty or fuzzy entry, every placeholder kept, the .mo compiled)."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tests.conftest import signed_in_client

LOCALE = Path(settings.BASE_DIR) / "locale" / "ro" / "LC_MESSAGES"
PLURAL_FORMS = "nplurals=3; plural=(n==1 ? 0 : (n==0 || (n%100 > 0 && n%100 < 20)) ? 1 : 2);"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


def _po_entries(path: Path) -> list[dict]:
    """Just enough of a .po parser: msgctxt, msgid(_plural), msgstr[n], flags; no obsolete."""
    entries: list[dict] = []
    entry: dict | None = None
    field = None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip() or line.startswith("#~"):
            if entry is not None and "msgid" in entry:
                entries.append(entry)
            entry, field = (None, None) if not line.strip() else (entry, field)
            continue
        entry = entry if entry is not None else {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d)\])?) (".*")$', line)
        if match:
            field = match.group(1)
            value = ast.literal_eval(match.group(3))
            if field.startswith("msgstr"):
                field = ("msgstr", int(match.group(2) or 0))
                entry["msgstr"][field[1]] = value
            else:
                entry[field] = value
        else:
            value = ast.literal_eval(line)
            if isinstance(field, tuple):
                entry["msgstr"][field[1]] += value
            else:
                entry[field] += value
    return entries


ENTRIES = _po_entries(LOCALE / "django.po")
HEADER, MESSAGES = ENTRIES[0], ENTRIES[1:]


def _ro(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ro"
    return client


def test_the_catalogue_has_the_romanian_plural_rule_and_is_not_fuzzy():
    assert f"Plural-Forms: {PLURAL_FORMS}\n" in HEADER["msgstr"][0]
    assert "Language: ro\n" in HEADER["msgstr"][0]
    assert "fuzzy" not in HEADER["flags"]
    assert len(MESSAGES) > 600


def _problems(entry: dict) -> list[str]:
    problems = []
    if "fuzzy" in entry["flags"]:
        problems.append("fuzzy")
    forms = 3 if "msgid_plural" in entry else 1
    if sorted(entry["msgstr"]) != list(range(forms)):
        problems.append(f"needs {forms} msgstr forms")
    wanted = set(PLACEHOLDER.findall(entry["msgid"] + entry.get("msgid_plural", "")))
    for text in entry["msgstr"].values():
        if not text.strip():
            problems.append("empty msgstr")
        elif "python-format" in entry["flags"] and set(PLACEHOLDER.findall(text)) != wanted:
            problems.append(f"placeholders {sorted(wanted)} not kept in {text!r}")
        # Romanian uses comma-below ș/ț, never the cedilla look-alikes ş/ţ.
        if set(text) & set("şţŞŢ"):
            problems.append(f"cedilla letter in {text!r}")
    return problems


def test_every_entry_is_translated_not_fuzzy_and_keeps_its_placeholders():
    problems = {e["msgid"]: p for e in MESSAGES if (p := _problems(e))}
    assert problems == {}


def test_the_check_catches_an_empty_fuzzy_or_placeholder_losing_entry():
    entry = {"msgid": "Hi %(name)s", "flags": {"python-format"}, "msgstr": {0: "Salut %(nume)s"}}
    assert _problems(entry) == ["placeholders ['name'] not kept in 'Salut %(nume)s'"]
    assert "empty msgstr" in _problems({**entry, "msgstr": {0: ""}})
    assert "fuzzy" in _problems({**entry, "flags": {"fuzzy"}})


def test_the_compiled_catalogue_matches_the_po():
    # CI machines may lack gettext, and Django reads only the .mo: it must be compiled.
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in MESSAGES:
        if "msgctxt" in entry or "msgid_plural" in entry:
            continue
        assert compiled.gettext(entry["msgid"]) == entry["msgstr"][0], entry["msgid"]


def test_romanian_plurals_take_de_from_twenty():
    with translation.override("ro"):
        def left(n: int) -> str:
            return translation.ngettext("%(n)s code left", "%(n)s codes left", n) % {"n": n}

        assert left(1) == "1 cod rămas"
        assert left(5) == "5 coduri rămase"
        assert left(0) == "0 coduri rămase"
        assert left(20) == "20 de coduri rămase"
        assert left(101) == "101 coduri rămase"


@pytest.mark.django_db
def test_the_sign_in_page_speaks_romanian_with_the_language_cookie(client):
    page = _ro(client).get(reverse("accounts:login")).content.decode()
    assert '<html lang="ro">' in page
    assert "Ați uitat parola?" in page
    assert "Creați un cont" in page
    assert "Nume de utilizator" in page
    assert "Forgot your password?" not in page


@pytest.mark.django_db
def test_the_sign_in_page_speaks_romanian_to_a_romanian_browser(client):
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="ro-RO,ro;q=0.9").content
    assert "Ați uitat parola?" in page.decode()


@pytest.mark.django_db
def test_the_sign_in_page_stays_english_by_default(client):
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert '<html lang="en">' in page
    assert "Forgot your password?" in page
    assert "Ați uitat parola?" not in page


@pytest.mark.django_db
def test_the_footer_picker_switches_to_romanian(client):
    response = client.post("/i18n/setlang/", {"language": "ro", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert "Ați uitat parola?" in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_the_dashboard_speaks_romanian(client, alice):
    page = _ro(signed_in_client(client, alice)).get(reverse("dashboard")).content.decode()
    assert "Bine ați venit, alice" in page
    assert "Panou de control" in page
    assert "Contul dumneavoastră este protejat doar de parolă." in page
    assert "Deconectare" in page
    assert "Welcome" not in page


@pytest.mark.django_db
def test_the_security_page_speaks_romanian(client, alice_with_sms):
    client = _ro(signed_in_client(client, alice_with_sms))
    page = client.get(reverse("accounts:security")).content.decode()
    assert "Al doilea factor este activat" in page
    assert "Coduri de rezervă" in page
    assert "Activat, trimise la" in page
    assert "Aplicație de autentificare" in page
    assert "Second factor" not in page


@pytest.mark.django_db
def test_the_english_pages_stay_english(client, alice):
    client = signed_in_client(client, alice)
    dashboard = client.get(reverse("dashboard")).content.decode()
    security = client.get(reverse("accounts:security")).content.decode()
    assert "Welcome, alice" in dashboard and "Bine ați venit" not in dashboard
    assert "Second factor" in security and "Al doilea factor" not in security


@pytest.mark.django_db
def test_the_new_key_form_names_the_scopes_in_romanian(client, alice):
    page = _ro(signed_in_client(client, alice)).get(reverse("apikeys:new")).content.decode()
    assert "sms:send: Trimitere SMS" in page
    assert "Cheie standard" in page
    assert "Send SMS" not in page


@pytest.mark.django_db
def test_the_footer_picker_also_sets_the_accounts_language(alice_client, alice):
    response = alice_client.post("/i18n/setlang/", {"language": "ro", "next": "/dashboard/"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.language == "ro"
    alice_client.post("/i18n/setlang/", {"language": "xx", "next": "/dashboard/"})
    alice.refresh_from_db()
    assert alice.language == "ro"
