"""POST /api/v1/regenerateAPIKey: the one-call regenerate in plain, json and xml."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from apikeys import keyformat
from apikeys.models import APIKey
from security.models import EventType, SecurityEvent
from tests.conftest import PASSWORD

from .conftest import call

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"
PATH = "/api/v1/regenerateAPIKey"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def regenerate(client, fields: dict, *, json_body=False, **extra):
    if json_body:
        return call(client, "POST", PATH, fields, **extra)
    return call(client, "POST", PATH, urlencode(fields), content_type=FORM, **extra)


def parse(response, fmt: str) -> dict:
    text = response.content.decode()
    if fmt == "json":
        return json.loads(text)
    if fmt == "xml":
        assert text.startswith(XML_DECLARATION)
        # Our own answer, in a test: not untrusted XML.
        root = ElementTree.fromstring(text[len(XML_DECLARATION):].strip())  # noqa: S314
        return {"_root": root.tag, **{child.tag: child.text for child in root}}
    assert "\n" not in text.strip()
    return dict(part.split("=", 1) for part in text.strip().split(" | "))


def test_plain_is_the_default_and_exactly_one_line(client, key):
    response = regenerate(client, {}, headers={"apiKey": key.full_key})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    match = re.fullmatch(r"status=success \| apiKey=(\S+) \| statusCode=900 \| reason=success",
                         text)
    assert match, text
    new_key = match.group(1)
    assert keyformat.parse(new_key) is not None


def test_json_answers_exactly_as_documented(client, key):
    response = regenerate(client, {"format": "json"}, headers={"apiKey": key.full_key})
    data = response.json()
    assert list(data) == ["status", "apiKey", "statusCode", "reason"]
    assert (data["status"], data["statusCode"], data["reason"]) == ("success", "900", "success")


def test_xml_answers_exactly_as_documented(client, key):
    response = regenerate(client, {"format": "xml"}, json_body=True,
                          headers={"apiKey": key.full_key})
    text = response.content.decode()
    new_key = parse(response, "xml")["apiKey"]
    assert text == (XML_DECLARATION + "\n<generateApiKeySuccessResponse><apiKey>" + new_key
                    + "</apiKey><reason>success</reason><status>success</status><statusCode>"
                      "900</statusCode></generateApiKeySuccessResponse>")


@pytest.mark.parametrize("fmt", ["plain", "json", "xml"])
def test_the_old_key_dies_at_once_and_the_new_one_works(client, key, fmt):
    response = regenerate(client, {"format": fmt}, headers={"apiKey": key.full_key})
    new_key = parse(response, fmt)["apiKey"]
    assert call(client, "GET", "/api/v1/me", key=key.full_key).status_code == 401
    assert call(client, "GET", "/api/v1/me", key=new_key).status_code == 200
    assert SecurityEvent.objects.filter(type=EventType.KEY_REGENERATED).count() == 1


@pytest.mark.parametrize("fmt", ["plain", "json", "xml"])
def test_errors_come_in_the_same_format(client, db, fmt):
    response = regenerate(client, {"format": fmt},
                          headers={"apiKey": keyformat.generate().full})
    assert response.status_code == 401
    data = parse(response, fmt)
    assert data["status"] == "error" and data["statusCode"] == "902" and data["reason"]
    if fmt == "xml":
        assert data["_root"] == "generateApiKeyErrorResponse"


def test_userid_and_password_regenerate_the_only_key(client, key):
    response = regenerate(client, {"userId": "alice", "password": PASSWORD, "format": "json"})
    assert response.json()["status"] == "success"
    assert APIKey.objects.get(pk=key.key.pk).state == "replaced"


def test_with_several_keys_keyid_is_needed(client, key, make_key):
    other = make_key()
    response = regenerate(client, {"userId": "alice", "password": PASSWORD, "format": "json"})
    assert (response.status_code, response.json()["statusCode"]) == (400, "901")
    assert "keyId" in response.json()["reason"]
    response = regenerate(client, {"userId": "alice", "password": PASSWORD, "format": "json",
                                   "keyId": other.key.lookup_id})
    assert response.json()["status"] == "success"
    assert APIKey.objects.get(pk=other.key.pk).state == "replaced"
    assert APIKey.objects.get(pk=key.key.pk).state == "active"


@pytest.mark.parametrize(("state", "expires_in_days", "words"), [
    ("disabled", None, "disabled"), ("active", -1, "expired")])
def test_the_only_key_dead_is_903_not_905(client, key, state, expires_in_days, words):
    changes = {"state": state}
    if expires_in_days is not None:
        changes["expires_at"] = timezone.now() + timedelta(days=expires_in_days)
    APIKey.objects.filter(pk=key.key.pk).update(**changes)
    response = regenerate(client, {"userId": "alice", "password": PASSWORD, "format": "json"})
    assert (response.status_code, response.json()["statusCode"]) == (401, "903")
    assert words in response.json()["reason"]
    assert APIKey.objects.get(pk=key.key.pk).state == state  # nothing changed


def test_no_key_at_all_is_905(client, alice):
    response = regenerate(client, {"userId": "alice", "password": PASSWORD, "format": "json"})
    assert (response.status_code, response.json()["statusCode"]) == (404, "905")


def test_keyid_of_someone_else_is_not_found(client, key, make_key, mallory):
    theirs = make_key(mallory)
    response = regenerate(client, {"userId": "alice", "password": PASSWORD, "format": "json",
                                   "keyId": theirs.key.lookup_id})
    assert (response.status_code, response.json()["statusCode"]) == (404, "905")


def test_a_wrong_password_is_refused(client, key):
    response = regenerate(client, {"userId": "alice", "password": "Wrong-Password-1"})
    assert response.status_code == 401
    assert parse(response, "plain")["statusCode"] == "902"
    assert APIKey.objects.get(pk=key.key.pk).state == "active"


def test_accounts_with_a_second_factor_cannot_use_the_password(client, alice_with_sms, key):
    response = regenerate(client, {"userId": "alice", "password": PASSWORD, "format": "json"})
    assert (response.status_code, response.json()["statusCode"]) == (403, "904")
    assert APIKey.objects.get(pk=key.key.pk).state == "active"


def test_the_key_path_passes_the_ip_rules(client, make_key):
    locked = make_key(type=APIKey.Type.DEFAULT)
    APIKey.objects.filter(pk=locked.key.pk).update(locked_ip="198.51.100.9")
    response = regenerate(client, {"format": "json"}, headers={"apiKey": locked.full_key})
    assert (response.status_code, response.json()["statusCode"]) == (403, "904")
    assert APIKey.objects.get(pk=locked.key.pk).state == "active"


def test_the_key_needs_the_keys_write_scope(client, make_key):
    sender = make_key(scopes=["sms:send"])
    response = regenerate(client, {"format": "json"}, headers={"apiKey": sender.full_key})
    assert (response.status_code, response.json()["statusCode"]) == (403, "904")


@pytest.mark.parametrize("fmt", ["plain", "json", "xml"])
def test_a_get_is_refused_and_changes_nothing(client, key, fmt):
    response = client.get(PATH, {"format": fmt}, headers={"apiKey": key.full_key})
    assert response.status_code == 405
    assert parse(response, fmt)["statusCode"] == "907"
    assert APIKey.objects.get(pk=key.key.pk).state == "active"


@pytest.mark.parametrize("query", ["apiKey={key}", "userId=alice&password=" + PASSWORD,
                                   "smsKey={key}"])
def test_credentials_in_the_query_string_are_refused(client, key, query):
    path = PATH + "?format=json&" + query.format(key=key.full_key)
    response = call(client, "POST", path, b"", headers={"apiKey": key.full_key},
                    content_type=FORM)
    assert (response.status_code, response.json()["statusCode"]) == (400, "907")
    assert key.full_key not in response.content.decode()
    assert APIKey.objects.get(pk=key.key.pk).state == "active"


def test_an_unknown_format_is_refused_in_plain(client, key):
    response = regenerate(client, {"format": "yaml"}, headers={"apiKey": key.full_key})
    assert response.status_code == 400
    assert parse(response, "plain")["statusCode"] == "901"


def test_no_credentials_at_all(client, db):
    response = regenerate(client, {"format": "json"})
    assert (response.status_code, response.json()["statusCode"]) == (401, "902")


def test_a_reason_with_a_bar_stays_on_one_plain_line(client, db):
    response = regenerate(client, {}, headers={"apiKey": "x|y"})
    assert response.content.decode().count(" | ") == 2


@pytest.mark.parametrize("fmt", ["plain", "json", "xml"])
def test_plain_http_is_904_in_the_format_asked_for(client, key, settings, fmt):
    settings.SECURE_SSL_REDIRECT = True
    response = regenerate(client, {"format": fmt}, headers={"apiKey": key.full_key})
    assert response.status_code == 403
    data = parse(response, fmt)
    assert (data["status"], data["statusCode"]) == ("error", "904")
    assert "HTTPS" in data["reason"]
    assert key.full_key not in response.content.decode()
    assert APIKey.objects.get(pk=key.key.pk).state == "active"  # nothing changed


@pytest.mark.parametrize("fmt", ["plain", "json", "xml"])
def test_a_bug_is_999_with_no_details_in_the_format_asked_for(client, key, monkeypatch, caplog,
                                                                fmt):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("apikeys.flows.regenerate_key", broken)
    with caplog.at_level(logging.ERROR, logger="portal.api"):
        response = regenerate(client, {"format": fmt}, headers={"apiKey": key.full_key})
    assert response.status_code == 500
    data = parse(response, fmt)
    assert (data["status"], data["statusCode"]) == ("error", "999")
    assert "secret internals" not in response.content.decode()
    assert any(record.exc_info and "secret internals" in str(record.exc_info[1])
               for record in caplog.records)  # logged for us, with its traceback
    assert call(client, "GET", "/api/v1/me", key=key.full_key).status_code == 200


def test_a_body_too_large_is_908_and_changes_nothing(client, key, settings):
    settings.API_MAX_BODY_BYTES = 100
    response = regenerate(client, {"format": "json", "padding": "x" * 200},
                          headers={"apiKey": key.full_key})
    assert response.status_code == 413
    assert parse(response, "plain")["statusCode"] == "908"  # the body was not read: plain
    assert APIKey.objects.get(pk=key.key.pk).state == "active"


def test_a_body_of_another_type_is_908_and_changes_nothing(client, key):
    response = call(client, "POST", PATH, b"format=json", content_type="text/plain",
                    headers={"apiKey": key.full_key})
    assert response.status_code == 415
    assert parse(response, "plain")["statusCode"] == "908"
    assert APIKey.objects.get(pk=key.key.pk).state == "active"


def test_a_replaced_key_is_903(client, key):
    first = regenerate(client, {"format": "json"}, headers={"apiKey": key.full_key})
    assert first.status_code == 200
    assert APIKey.objects.get(pk=key.key.pk).state == "replaced"
    again = regenerate(client, {"format": "json"}, headers={"apiKey": key.full_key})
    assert (again.status_code, again.json()["statusCode"]) == (401, "903")
    assert "replaced" in again.json()["reason"]
