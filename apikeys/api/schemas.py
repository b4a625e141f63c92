"""The key endpoints' request and response schemas (what the OpenAPI document shows)."""

from __future__ import annotations

from typing import Literal

from ninja import Schema
from pydantic import Field

from portal.api.schemas import Text

from ..models import MAX_GRACE_SECONDS


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


class CreateKeyIn(Schema):
    description: Text = Field(max_length=200)
    type: Literal["default", "zoho_crm", "cloud"] = Field("default", description=(
        "A Default key creates only Default keys (locked to its own IP, with a copy of its "
        "whitelist), a Zoho CRM key only Zoho CRM keys."))
    scopes: list[str] | None = Field(None, description=(
        "Default: the scopes of the key making the request (with a token: all the user's "
        "permissions allow). A scope that key lacks: 403 INSUFFICIENT_SCOPE."))
    expires_at: Text | None = Field(None, description=(
        "A date (YYYY-MM-DD) or ISO 8601 time. Default: the expiry of the key making the "
        "request (with a token: never); later than it: 403."))
    signing: bool | None = Field(None, description=(
        "Default: as the key making the request (with a token: off). A signing key creates "
        "only signing keys."))
    mode: Literal["live", "test"] | None = Field(None, description=(
        "A test key starts sk_test_ and passes every check like a live key, but what it sends "
        "never reaches a phone. Default: as the key making the request (with a token: live). "
        "A key creates keys of its own mode only."))


class RegenerateIn(Schema):
    grace_seconds: int = Field(0, ge=0, le=MAX_GRACE_SECONDS)


class WhitelistIn(Schema):
    value: Text = Field(max_length=100, examples=["203.0.113.7", "2001:db8::/32"])
    label: Text = Field("", max_length=100)


class EntryOut(Schema):
    status: Literal[True]
    entry: WhitelistEntryOut
