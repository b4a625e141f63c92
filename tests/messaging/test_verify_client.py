"""examples/verify_client.py, written from API.md alone, verifies a number against a live
server (the code read from the SMS backend's outbox, as a user reads the console's)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from apikeys import flows
from messaging.models import Verification
from portal import sms

from .verify_helpers import NUMBER, code_in, wrong

pytestmark = pytest.mark.django_db(transaction=True)
CLIENT = Path(__file__).resolve().parents[2] / "examples" / "verify_client.py"


@pytest.fixture
def client_module():
    spec = importlib.util.spec_from_file_location("verify_client", CLIENT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_client_verifies_a_number(live_server, client_module, alice_with_sms):
    key = flows.create_key(None, alice_with_sms, description="example", type="cloud").full_key
    started = client_module.start(live_server.url, key, NUMBER)
    assert started["status"] is True and started["verification"]["status"] == "pending"
    code = code_in(sms.outbox[-1].body)
    verification_id = started["verification"]["id"]
    answer = client_module.check(live_server.url, key, verification_id, wrong(code))
    assert answer["verification"]["status"] == "pending"
    answer = client_module.check(live_server.url, key, verification_id, code)
    assert answer["verification"]["status"] == "approved"
    assert Verification.objects.get().status == "approved"
    refused = client_module.check(live_server.url, key, verification_id, code)
    assert refused["status"] is False and refused["error"]["code"] == "CONFLICT"
