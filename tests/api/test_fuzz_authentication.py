"""Property-based: arbitrary headers, bodies and keys thrown at authentication.

Whatever is sent, the answer is never a 500, always the JSON error shape when refused, and
never a success without a valid key.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apikeys import keyformat

pytestmark = pytest.mark.django_db

HEADER_NAMES = ["X-API-Key", "apiKey", "Authorization", "X-Timestamp", "X-Signature",
                "Content-Type", "X-Forwarded-For"]
# Header values must be latin-1 text without line breaks to be sent at all.
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=120)


@st.composite
def key_like(draw, good_key: str):
    """Near misses of a real key, other keys' shapes, and junk."""
    choice = draw(st.integers(0, 5))
    if choice == 0:  # one character changed
        index = draw(st.integers(0, len(good_key) - 1))
        char = draw(st.sampled_from(keyformat.ALPHABET + "_-!é "))
        return good_key[:index] + char + good_key[index + 1:]
    if choice == 1:
        return good_key[: draw(st.integers(0, len(good_key) - 1))]
    if choice == 2:
        return keyformat.generate().full  # well formed, unknown
    if choice == 3:
        return good_key + draw(header_text)
    if choice == 4:
        return "Bearer " + draw(header_text)
    return draw(header_text)


@pytest.fixture
def good(key):
    return key.full_key


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_request_without_a_valid_key_is_accepted_or_crashes(good, data):
    client = Client()
    headers = {}
    for name in data.draw(st.lists(st.sampled_from(HEADER_NAMES), max_size=4, unique=True)):
        headers[name] = data.draw(key_like(good)) if name in ("X-API-Key", "apiKey") \
            else data.draw(header_text)
    body_kind = data.draw(st.sampled_from(["none", "json", "form", "bytes"]))
    content_type = headers.pop("Content-Type", "application/json")
    method = data.draw(st.sampled_from(["GET", "POST"]))
    path = data.draw(st.sampled_from(["/api/v1/me", "/api/v1/sms/send", "/api/v1/keys",
                                      "/api/v1/regenerateAPIKey"]))
    if body_kind == "json":
        fields = data.draw(st.dictionaries(
            st.sampled_from(["smsUser", "smsKey", "to", "message", "userId", "password"]),
            st.one_of(st.text(max_size=40), st.integers(), st.none(), key_like(good)),
            max_size=4))
        body = json.dumps(fields).encode()
    elif body_kind == "form":
        body = data.draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
        content_type = "application/x-www-form-urlencoded"
    elif body_kind == "bytes":
        body = data.draw(st.binary(max_size=300))
    else:
        body = b""
    query = data.draw(st.sampled_from(["", "?page=2", f"?smsKey={good}", "?format=json",
                                       "?smsUser=alice"]))
    kwargs = {"headers": headers}
    if method == "POST":
        kwargs.update(data=body, content_type=content_type)
    response = getattr(client, method.lower())(path + query, **kwargs)

    assert response.status_code < 500, response.content[:300]
    valid_key_sent = good in (headers.get("X-API-Key"), headers.get("apiKey")) or (
        body_kind == "json" and json.loads(body).get("smsKey") == good)
    if response.status_code < 300:
        assert valid_key_sent, (headers, body[:200])
    elif path != "/api/v1/regenerateAPIKey":
        data_out = response.json()
        assert data_out["status"] is False and data_out["error"]["code"].isupper()
