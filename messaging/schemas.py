"""The SMS endpoints' request and response schemas (what the OpenAPI document shows)."""

from __future__ import annotations

from typing import Annotated, Literal

from django.conf import settings
from ninja import Schema
from pydantic import AfterValidator, Field, WithJsonSchema

from portal.api.schemas import Input, PageQuery, no_nul, text_pattern

from .sending import SENDER_NAME

# What `sending.validate` accepts, said in the document; `validate` is what checks it.
# Format "e164": a number valid in its country's numbering plan, "+" and 2 to 15 digits
# (no pattern beside it: fuzzers would draw from the pattern numbers that do not exist).
NUMBER = {"type": "string", "format": "e164"}
PERIOD = r"^([1-9]|[1-8][0-9]|90)d$"
TO = {"anyOf": [
    {"type": "array", "items": NUMBER, "minItems": 1, "maxItems": settings.SMS_MAX_RECIPIENTS},
    # "e164-list": such numbers separated by commas (blanks around and empty items ignored).
    {"type": "string", "format": "e164-list"},
]}
MESSAGE = {"type": "string", "maxLength": settings.SMS_MAX_LENGTH, "pattern": text_pattern()}
SENDER = {"anyOf": [{"type": "string", "pattern": SENDER_NAME}, NUMBER,
                    {"type": "string", "maxLength": 0}, {"type": "null"}]}


class SendIn(Input):
    to: Annotated[list[str] | str, WithJsonSchema(TO)] = Field(
        description=f"E.164 numbers, 1 to {settings.SMS_MAX_RECIPIENTS}: a list, or one string "
                    "of them separated by commas (in a form body: `to` repeated, or once with "
                    "commas).",
        examples=[["+14155551234"]],
    )
    message: Annotated[str, AfterValidator(no_nul), WithJsonSchema(MESSAGE)] = Field(
        description=f"The text: not blank, at most {settings.SMS_MAX_LENGTH} characters.")
    sender_id: Annotated[str | None, WithJsonSchema(SENDER)] = Field(
        None, description="1 to 11 letters, digits, spaces or . _ - (one a letter at least), or "
                          "an E.164 number.")


MODE_DOC = ("live or test. A key sees the messages of its own mode only (another: 403); a "
            "token sees live ones unless it asks for test ones.")


class MessagesQuery(PageQuery):
    mode: Literal["live", "test"] | None = Field(None, description=MODE_DOC)


class StatsQuery(Schema):
    period: Annotated[str, WithJsonSchema({"type": "string", "pattern": PERIOD})] = Field(
        "7d", description="1d to 90d")
    mode: Literal["live", "test"] | None = Field(None, description=MODE_DOC)


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
    test: bool = Field(description="Sent with a test key: it reached no phone.")
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


class SenderOut(Schema):
    name: str
    status: Literal["approved", "pending", "refused"]


class SendersOut(Schema):
    status: Literal[True]
    senders: list[SenderOut]
