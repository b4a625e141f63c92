"""API test helpers: keys made through the real flow, and JSON calls with the test client.

The test client's REMOTE_ADDR is 127.0.0.1, so a Default key used here locks to it.
"""

from __future__ import annotations

import json

import pytest

from apikeys import flows
from apikeys.models import APIKey
from tests.conftest import key_factory

CLIENT_IP = "127.0.0.1"


@pytest.fixture
def make_key(alice):
    return key_factory(alice, description="Integration", type=APIKey.Type.CLOUD)


@pytest.fixture
def key(make_key) -> flows.Created:
    """alice's Cloud key with every scope."""
    return make_key()


def call(client, method: str, path: str, body=None, *, key: str | None = None,
         headers: dict | None = None, content_type: str = "application/json", **extra):
    """Make one API call; `body` (a dict or list) is sent as JSON, bytes or str as is."""
    headers = dict(headers or {})
    if key is not None:
        headers["X-API-Key"] = key
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    kwargs = {"headers": headers, **extra}
    if body is not None:
        kwargs.update(data=body, content_type=content_type)
    return getattr(client, method.lower())(path, **kwargs)


def error_code(response) -> str:
    data = response.json()
    assert data["status"] is False, data
    assert set(data["error"]) <= {"code", "message", "fields"}
    assert data["error"]["message"]
    return data["error"]["code"]


def times_used(created: flows.Created) -> int:
    return APIKey.objects.values_list("times_used", flat=True).get(pk=created.key.pk)
