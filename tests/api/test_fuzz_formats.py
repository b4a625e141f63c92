"""The fuzzers' values for the document's own formats (tests/api/fuzz_formats.py) are values
the server takes: a format's strategy that drew refused values would hide real mismatches
behind false ones, and one narrower than the server would test less than it says."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from messaging.sending import is_e164

from .document import FORMATS
from .fuzz_formats import FORMATS as STRATEGIES
from .fuzz_formats import VALID_NUMBERS


@pytest.mark.django_db
def test_every_format_of_the_document_has_a_strategy(client):
    document = client.get("/api/v1/openapi.json").content.decode()
    used = {name for name in FORMATS if f'"format": "{name}"' in document}
    assert used == set(FORMATS) == set(STRATEGIES)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_a_formats_values_are_taken_by_the_server(name, data):
    value = data.draw(STRATEGIES[name])
    assert FORMATS[name](value), value


def test_the_numbers_cover_the_world():
    assert len({number[:4] for number in VALID_NUMBERS}) > 150
    assert all(is_e164(number) for number in VALID_NUMBERS)
