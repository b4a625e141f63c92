"""portal.api.schemas: a form's fields as the API's JSON body, and the document's patterns.

The patterns are checked with jsonschema_rs, the validator schemathesis uses (ECMA 262-like
regexes, where Python's own `re` would hide a dialect difference), against the form field
itself: what one accepts, the other must.
"""

from __future__ import annotations

import jsonschema_rs
import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError as PydanticError

from portal.api.schemas import form_input, text_pattern

SPACES = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
# Text that is mostly edge cases: every kind of whitespace, NUL, other characters.
TEXT = st.text(st.sampled_from([*SPACES, "\x00", "a", "é", "\ufeff", "\u200b", ",", "\n"]),
               max_size=8) | st.text(st.characters(exclude_categories=["Cs"]), max_size=8)


class Sample(forms.Form):
    name = forms.CharField(max_length=5)
    note = forms.CharField(max_length=3, required=False)
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], initial="a")
    count = forms.IntegerField(min_value=0, max_value=9, required=False, initial=0)
    flag = forms.NullBooleanField(required=False)


SampleIn = form_input(Sample, "SampleIn", descriptions={"kind": "Which one."})


def accepts(schema: dict, value) -> bool:
    return jsonschema_rs.validator_for(schema).is_valid(value)


def test_the_whitespace_the_patterns_know_is_what_str_strip_removes():
    pattern = {"type": "string", "pattern": text_pattern(None, required=True)}
    validator = jsonschema_rs.validator_for(pattern)
    for code in [*range(0xD800), *range(0xE000, 0x110000)]:  # no lone surrogates in JSON text
        char = chr(code)
        assert validator.is_valid(char) == (bool(char.strip()) and char != "\x00"), hex(code)


@pytest.mark.parametrize("max_length, required", [(5, True), (3, False), (1, True), (2, True),
                                                  (None, True), (None, False)])
@given(value=TEXT)
@example(value=" abcde ")
@example(value="abcdef")
@example(value="\u3000\x1c")
def test_a_text_pattern_accepts_what_the_form_field_accepts(max_length, required, value):
    field = forms.CharField(max_length=max_length, required=required)
    try:
        field.clean(value)
        valid = True
    except ValidationError:
        valid = False
    assert accepts({"type": "string", "pattern": text_pattern(max_length, required=required)},
                   value) == valid


def test_the_document_takes_the_limits_from_the_form():
    schema = SampleIn.model_json_schema()
    name, note = schema["properties"]["name"], schema["properties"]["note"]
    assert name["pattern"] == text_pattern(5, required=True)
    assert note["pattern"] == text_pattern(3, required=False) and note["default"] == ""
    assert "At most 5 characters" in name["description"]
    assert schema["properties"]["kind"].items() >= {
        "enum": ["a", "b"], "default": "a", "description": "Which one."}.items()
    assert schema["properties"]["count"].items() >= {
        "type": "integer", "minimum": 0, "maximum": 9, "default": 0}.items()
    assert schema["properties"]["flag"]["anyOf"] == [{"type": "boolean"}, {"type": "null"}]
    assert schema["required"] == ["name"]


@pytest.mark.parametrize("body", [
    {"name": 5}, {"name": "x", "count": True}, {"name": "x", "count": "5"},
    {"name": "x", "count": 1.5}, {"name": "x", "flag": 1}, {"name": "x", "flag": "true"},
    {"name": "x", "kind": None}, True, [], "name",
])
def test_json_types_are_checked_here_as_the_document_says(body):
    with pytest.raises(PydanticError):
        SampleIn.model_validate(body)


def test_values_reach_the_form_as_sent_and_the_form_checks_them():
    valid = SampleIn.model_validate({"name": " ab ", "count": 3.0, "flag": None})
    form = Sample(data=valid.model_dump())
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"name": "ab", "note": "", "kind": "a", "count": 3,
                                 "flag": None}
    refused = Sample(data=SampleIn.model_validate({"name": "abcdef", "count": 10,
                                                   "kind": "c"}).model_dump())
    assert set(refused.errors) == {"name", "count", "kind"}


def test_a_field_it_cannot_translate_must_be_given():
    class Odd(forms.Form):
        when = forms.DateField()

    with pytest.raises(TypeError, match="DateField"):
        form_input(Odd, "OddIn")
    assert form_input(Odd, "OddIn", fields={"when": (str, ...)}).model_validate(
        {"when": "2030-01-01"}).when == "2030-01-01"
