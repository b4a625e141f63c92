"""The SMS endpoints' request and response schemas (what the OpenAPI document shows)."""

from __future__ import annotations

from typing import Annotated, Literal

from django.conf import settings
from ninja import Schema
from pydantic import AfterValidator, Field, WithJsonSchema

from portal.api.schemas import Input, PageQuery, form_input, no_nul, text_pattern

from .forms import (
    CODE_LENGTHS,
    CODE_PATTERN,
    TTL_SECONDS,
    VERIFY_LOCALES,
    VerifyCheckForm,
    VerifyStartForm,
)
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


# --- the SMS Authenticator (messaging.verify_api) -------------------------------------------

# The start's input is the page's form (validate once): the form checks, the document says
# what the form accepts (portal.api.schemas.form_input).
_LOCALE = Annotated[str | None, WithJsonSchema({"anyOf": [
    {"type": "string", "enum": [code for code, _name in VERIFY_LOCALES]},
    {"type": "string", "maxLength": 0}, {"type": "null"}]})]

VerifyStartIn = form_input(
    VerifyStartForm, "VerifyStartIn",
    fields={"to": (Annotated[str, WithJsonSchema(NUMBER)], ...), "locale": (_LOCALE, None)},
    descriptions={
        "to": "The number to verify, in E.164 form (e.g. +40712345678), in one of the account's "
              "allowed countries (else 403 DESTINATION_NOT_ALLOWED).",
        "code_length": f"Digits in the code, {CODE_LENGTHS[0]} to {CODE_LENGTHS[1]}. Default: "
                       "the account's setting (6).",
        "ttl": f"Seconds the code is good for, {TTL_SECONDS[0]} to {TTL_SECONDS[1]}. Default: "
               "the account's setting (300).",
        "locale": "Language of the SMS: en or ro. Empty or absent: the user's language.",
        "app_name": "The name the SMS gives (\"<code> is your <app name> code\"). Empty or absent: "
                    "the account's setting, else the service's name.",
    },
)
VerifyCheckIn = form_input(
    VerifyCheckForm, "VerifyCheckIn",
    fields={"code": (Annotated[str, WithJsonSchema({"type": "string",
                                                    "pattern": CODE_PATTERN})], ...)},
    descriptions={"code": "The code the user typed: 6 to 10 digits. A wrong one takes one of "
                          "the 5 attempts."},
)


class VerificationOut(Schema):
    id: str = Field(examples=["vf_9cjSvTCl8h5im69_rXw7"])
    to: str = Field(description="The number, masked.", examples=["+4071****678"])
    status: Literal["pending", "approved", "denied", "expired", "canceled"] = Field(
        description="denied: out of attempts.")
    delivery: Literal["queued", "sent", "delivered", "failed"] = Field(
        description="What became of the SMS, as the provider reports it.")
    expires_at: str
    attempts_left: int


class OneVerificationOut(Schema):
    status: Literal[True]
    verification: VerificationOut


class StartedOut(Schema):
    status: Literal[True]
    verification: VerificationOut
    test_code: str | None = Field(None, description="With a test key only (nothing was sent): "
                                                    "the code.")
