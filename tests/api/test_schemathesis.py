"""Fuzz the API against its own OpenAPI document (schemathesis), in process: no 500s, and
every answer matches what the document says (status, content type, schema; valid requests
accepted, invalid ones refused). CI also runs schemathesis's command line against gunicorn,
with the stateful phase: tests/api/fuzz_server.py."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from apikeys import flows
from portal.api import api
from portal.wsgi import application

from . import fuzz_formats

# The document as the server serves it at /api/v1/openapi.json (built here rather than
# fetched, so that loading it needs no request), called through the WSGI application.
DOCUMENT = json.loads(json.dumps(api().get_openapi_schema(), cls=DjangoJSONEncoder))
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.app = application
assert fuzz_formats.FORMATS  # the document's own formats, registered with schemathesis


@pytest.fixture
def wsgi_calls_keep_the_test_database():
    # As Django's test client does: a request must not close the test database's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def auth_headers(alice, wsgi_calls_keep_the_test_database):
    created = flows.create_key(None, alice, description="fuzz", type="cloud")
    return {"X-API-Key": created.full_key}


def test_the_served_document_is_the_one_fuzzed(client):
    assert client.get("/api/v1/openapi.json").json() == DOCUMENT


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_the_api_keeps_to_its_document(case, auth_headers):
    if case.path != "/api/v1/user/auth":
        case.headers = {**(case.headers or {}), **auth_headers}
    case.call_and_validate()
