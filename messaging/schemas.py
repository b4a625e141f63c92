"""The SMS endpoints' request and response schemas (what the OpenAPI document shows)."""

from __future__ import annotations

from typing import Literal

from ninja import Schema
from pydantic import Field, field_validator

from portal.api.schemas import Text


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
