"""The key endpoints' request and response schemas (what the OpenAPI document shows)."""

from __future__ import annotations

from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field, WithJsonSchema

from portal.api.schemas import form_input

from ..forms import (
    MAX_EXPIRY_DAYS,
    MAX_WHITELIST_ENTRIES,
    CreateKeyForm,
    RegenerateForm,
    WhitelistEntryForm,
)


class WhitelistEntryOut(Schema):
    id: int
    value: str
    label: str


class KeyOut(Schema):
    id: str
    description: str
    type: Literal["default", "zoho_crm", "cloud"]
    masked: str
    scopes: list[str]
    signing: bool
    state: Literal["active", "disabled", "revoked", "replaced", "expired"]
    mode: Literal["live", "test"]
    created_at: str
    expires_at: str | None
    last_used_at: str | None
    times_used: int
    last_ip: str | None
    locked_ip: str | None
    whitelist: list[WhitelistEntryOut]


class KeyListOut(Schema):
    status: Literal[True]
    keys: list[KeyOut]
    page: int
    pages: int
    total: int


class OneKeyOut(Schema):
    status: Literal[True]
    key: KeyOut


class CreatedKeyOut(Schema):
    status: Literal[True]
    key: KeyOut
    api_key: str
    signing_secret: str | None = Field(None, description="Only when signing is on.")


_SCOPES = [value for value, _ in CreateKeyForm.base_fields["scopes"].choices]
# Scopes when given are at least one, for every type. (The form lets a Zoho CRM key through
# with none, since its page's boxes cannot say "not asked"; here null says it.)
Scopes = Annotated[list[str], Field(min_length=1), WithJsonSchema({
    "type": "array", "items": {"type": "string", "enum": _SCOPES}, "minItems": 1})] | None
# An empty string is "not asked", as null: said apart from the format, which means an expiry.
Expiry = Annotated[str | None, WithJsonSchema({"anyOf": [
    {"type": "string", "format": "key-expiry"}, {"type": "string", "maxLength": 0},
    {"type": "null"}]})]

# Not asked (absent, null or empty, as for expires_at): the mode of the key making the
# request (with a token: live), so no default.
Mode = Annotated[str | None, WithJsonSchema({"anyOf": [
    {"type": "string", "enum": [value for value, _ in
                                CreateKeyForm.base_fields["mode"].choices if value]},
    {"type": "string", "maxLength": 0}, {"type": "null"}]})]

# The inputs are the pages' forms (validate once): the form checks every value, and the
# document says what the form accepts (portal.api.schemas.form_input).
CreateKeyIn = form_input(
    CreateKeyForm, "CreateKeyIn",
    fields={"scopes": (Scopes, None), "expires_at": (Expiry, None), "mode": (Mode, None)},
    descriptions={
        "type": "A Default key creates only Default keys (locked to its own IP, with a copy of "
                "its whitelist), a Zoho CRM key only Zoho CRM keys.",
        "scopes": "Default: the scopes of the key making the request (with a token: all the "
                  "user's permissions allow). A scope that key lacks: 403 INSUFFICIENT_SCOPE. "
                  "Zoho CRM keys get the integration's, whatever is asked.",
        "expires_at": "A date (YYYY-MM-DD: the key works through that day in the account's time "
                      "zone) or an ISO 8601 date and time (UTC when it names no zone), in the "
                      f"future and at most {MAX_EXPIRY_DAYS} days away. Empty or absent: the "
                      "expiry of the key making the request (with a token: never); later than "
                      "it: 403.",
        "signing": "Default: as the key making the request (with a token: off). A signing key "
                   "creates only signing keys.",
        "mode": "A test key starts sk_test_ and passes every check like a live key, but what it "
                "sends never reaches a phone. Empty or absent: as the key making the request "
                "(with a token: live). A key creates keys of its own mode only.",
    },
    # The form's own rule across fields: scopes, when given, are not empty but for Zoho CRM.
)
RegenerateIn = form_input(RegenerateForm, "RegenerateIn", descriptions={
    "grace_seconds": "How long the old key keeps working, in seconds (0: it dies at once)."})
WhitelistIn = form_input(
    WhitelistEntryForm, "WhitelistIn",
    fields={"value": (Annotated[str, WithJsonSchema({
        "type": "string", "format": "ip-network",
        "examples": ["203.0.113.7", "203.0.113.0/24", "2001:db8::/32"]})], ...)},
    descriptions={"value": "An IP address, or a range in CIDR notation with no host bits set "
                           "(not /0); spaces around are ignored. One already on the list, or a "
                           f"list of {MAX_WHITELIST_ENTRIES} entries: 409 CONFLICT."},
)


class EntryOut(Schema):
    status: Literal[True]
    entry: WhitelistEntryOut
