"""Helpers for the API-key tests: keys made through the real flow, and calls to the check."""

from __future__ import annotations

import pytest

from apikeys import flows
from apikeys.keycheck import check_key
from apikeys.models import APIKey
from tests.conftest import key_factory

OFFICE = "203.0.113.7"
ELSEWHERE = "198.51.100.9"


@pytest.fixture
def make_key(alice):
    return key_factory(alice, description="My Twitter Application", type=APIKey.Type.DEFAULT)


def check(created: flows.Created, ip: str = OFFICE, **kwargs):
    return check_key(created.full_key, ip=ip, **kwargs)
