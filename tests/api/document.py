"""The OpenAPI document as a validator: its schemas, with its own formats checked by the
server's functions that define them (the document says each in words)."""

from __future__ import annotations

import jsonschema_rs
from django.core.exceptions import ValidationError

from apikeys.forms import ExpiryField
from messaging.sending import is_e164, validate
from portal.ipnets import parse_network


def _passes(check, value) -> bool:
    try:
        check(value)
    except ValidationError:
        return False
    return True


FORMATS = {
    "e164": is_e164,
    "e164-list": lambda value: "to" not in validate(value, "text").errors,
    "ip-network": lambda value: _passes(parse_network, value),
    "key-expiry": lambda value: _passes(ExpiryField(required=False).clean, value),
}


def validator(schema: dict, document: dict | None = None):
    """A validator of `schema` (its $refs resolved within `document`)."""
    if document is not None:
        schema = {**schema, "components": document["components"]}
    return jsonschema_rs.validator_for(schema, formats=FORMATS, validate_formats=True)


def documented(document: dict, name: str, body) -> bool:
    """Does the document call `body` a valid `name` (a component schema)?"""
    return validator(document["components"]["schemas"][name], document).is_valid(body)
