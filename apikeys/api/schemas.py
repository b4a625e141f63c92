"""The API's request and response schemas (what the OpenAPI document shows)."""

from __future__ import annotations

from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, Field, field_validator

from ..models import MAX_GRACE_SECONDS


def _no_nul(value: str) -> str:
    # PostgreSQL refuses NUL in text: one that reached a query or an INSERT was a 500.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters (\\u0000)")
    return value


# Text a client sends that reaches the database: no NUL, and the document says so.
Text = Annotated[str, AfterValidator(_no_nul), Field(json_schema_extra={"pattern": "^[^\\x00]*$"})]


class ErrorDetail(Schema):
    code: str = Field(examples=["VALIDATION_ERROR"])
    message: str
    fields: dict[str, list[str]] | None = None


class ErrorOut(Schema):
    status: Literal[False]
    error: ErrorDetail


class ChallengeErrorOut(ErrorOut):
    challenge: str | None = Field(
        None, description="With OTP_REQUIRED when an SMS code was sent: send it back with the "
                          "code (valid 5 minutes).")


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    return {status: ErrorOut for status in statuses}


# Every authenticated endpoint may answer these besides its own.
AUTH_ERRORS = (400, 401, 403, 413, 415, 429)


class OkOut(Schema):
    status: Literal[True]


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
    state: Literal["active", "revoked", "replaced", "expired"]
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


class RegenerateIn(Schema):
    grace_seconds: int = Field(0, ge=0, le=MAX_GRACE_SECONDS)


class WhitelistIn(Schema):
    value: Text = Field(max_length=100, examples=["203.0.113.7", "2001:db8::/32"])
    label: Text = Field("", max_length=100)


class EntryOut(Schema):
    status: Literal[True]
    entry: WhitelistEntryOut


class MeUser(Schema):
    username: str
    email: str
    two_factor: bool


class MeKey(Schema):
    id: str
    scopes: list[str]


class MeOut(Schema):
    status: Literal[True]
    user: MeUser
    key: MeKey | None


class LoginIn(Schema):
    login: Text = Field(min_length=1, max_length=254)
    password: Text = Field(min_length=1, max_length=4096)
    otp: Text | None = Field(None, max_length=64)
    challenge: Text | None = Field(None, max_length=64,
                                   description="From the OTP_REQUIRED answer, with an SMS code.")


class TokenOut(Schema):
    status: Literal[True]
    token: str
    expires_in: int


class SendIn(Schema):
    to: list[str] | str = Field(
        description="E.164 numbers: a list, or (in a form body) repeated or comma-separated.",
        examples=[["+14155551234"]],
    )
    message: Text
    sender_id: Text | None = None

    @field_validator("to", mode="before")
    @classmethod
    def _split(cls, value):
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            parts = []
            for item in value:
                if isinstance(item, str) and "," in item:
                    parts += [p.strip() for p in item.split(",") if p.strip()]
                else:
                    parts.append(item)
            return parts
        return value


class SentMessageOut(Schema):
    id: int
    to: str
    status: str


class SendOut(Schema):
    status: Literal[True]
    messages: list[SentMessageOut]


class MessageOut(Schema):
    id: int
    to: str
    message: str
    sender_id: str | None
    status: str
    created_at: str
    updated_at: str


class MessageListOut(Schema):
    status: Literal[True]
    messages: list[MessageOut]
    page: int
    pages: int
    total: int


class DayOut(Schema):
    date: str
    sent: int
    failed: int


class StatsOut(Schema):
    status: Literal[True]
    period: str
    sent: int
    failed: int
    by_day: list[DayOut]
