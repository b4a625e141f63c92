"""The API's shared schemas: the error shape, and text that may reach the database."""

from __future__ import annotations

from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, Field


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


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    return {status: ErrorOut for status in statuses}


# Every authenticated endpoint may answer these besides its own.
AUTH_ERRORS = (400, 401, 403, 413, 415, 429)


class OkOut(Schema):
    status: Literal[True]
