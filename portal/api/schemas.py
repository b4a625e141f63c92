"""The API's shared schemas: the error shape, text that may reach the database, and request
bodies made from the portal's own forms (validate once: the form checks, the document says
what the form accepts)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from django import forms
from ninja import Schema
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, WithJsonSchema, create_model
from pydantic_core import PydanticCustomError

from .responses import MAX_PAGE


def no_nul(value: str) -> str:
    # PostgreSQL refuses NUL in text: one that reached a query or an INSERT was a 500.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters (\\u0000)")
    return value


# Text a client sends that reaches the database: no NUL, and the document says so.
Text = Annotated[str, AfterValidator(no_nul), Field(json_schema_extra={"pattern": "^[^\\x00]*$"})]


def _char_class(chars: str) -> str:
    """`chars` as the inside of a regex character class, in \\uXXXX escapes, which Python,
    ECMA 262 (the document's regex dialect) and Rust (schemathesis's validator) all read."""
    codes, runs = sorted(map(ord, chars)), []
    for code in codes:
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in runs)


# Whitespace as str.strip() sees it (Django's CharField strips before checking "required"
# and lengths); every such character lies below U+3001.
WHITESPACE = _char_class("".join(c for c in map(chr, range(0x3001)) if c.isspace()))


def text_pattern(max_length: int | None = None, *, required: bool = True) -> str:
    """What a stripping text field accepts, as a JSON Schema pattern: no NUL; once trimmed
    of whitespace, at most `max_length` characters, and (`required`) at least one."""
    edge = f"[^{WHITESPACE}\\u0000]"
    if max_length == 1:
        core = edge
    else:
        middle = "*" if max_length is None else f"{{0,{max_length - 2}}}"
        core = f"{edge}(?:[^\\u0000]{middle}{edge})?"
    if not required:
        core = f"(?:{core})?"
    return f"^[{WHITESPACE}]*{core}[{WHITESPACE}]*$"


def _json_integer(value: Any) -> Any:
    # An integer as JSON has it: not a boolean, not a numeric string (pydantic's lax mode
    # takes both, and the document says "integer").
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


JSONInt = Annotated[int, BeforeValidator(_json_integer)]
_JSON_INT_TEXT = re.compile(r"-?(0|[1-9][0-9]*)")


def _query_integer(value: Any) -> Any:
    # A query string's integer as the document writes it: digits (no "+1", " 1", "1_0").
    if isinstance(value, str) and not _JSON_INT_TEXT.fullmatch(value):
        raise PydanticCustomError("int_parsing", "Input should be a valid integer")
    return value


class PageQuery(Schema):
    page: Annotated[int, BeforeValidator(_query_integer)] = Field(1, ge=1, le=MAX_PAGE)


class Input(BaseModel):
    """A request body: a JSON object. (django-ninja's Schema reads attributes off any value,
    so `true` passed for a body whose fields are all optional.)"""


def form_input(form: type[forms.Form], name: str, *, fields: dict[str, tuple] | None = None,
               descriptions: dict[str, str] | None = None) -> type[Input]:
    """The JSON body of `form`'s fields. Here only the JSON types are checked; lengths,
    choices and ranges are written into the document from the form's own fields and
    checked by the form (the view passes `model_dump()` to it), so the two cannot differ.

    `fields` gives (annotation, default) for a field this cannot translate (or where the API
    says more), `descriptions` the API's words where the page's help text does not fit."""
    definitions = {}
    for field_name, field in form.base_fields.items():
        if fields and field_name in fields:
            annotation, default = fields[field_name]
        else:
            annotation, default = _translate(field)
        description = str((descriptions or {}).get(field_name, field.help_text) or "")
        if isinstance(field, forms.CharField) and field.max_length:
            description += (f" At most {field.max_length} characters, not counting spaces "
                            "around" + (" (and not blank)." if field.required else "."))
        definitions[field_name] = (annotation, Field(default,
                                                     description=description.strip() or None))
    return create_model(name, __base__=Input, **definitions)


def _translate(field: forms.Field) -> tuple[Any, Any]:
    """(annotation, default) of one form field: the JSON type checked, the rest documented."""
    if field.required and field.initial is None:
        default = ...
    else:
        default = field.initial
    if isinstance(field, forms.MultipleChoiceField):
        item = {"type": "string", "enum": [value for value, _ in field.choices]}
        items = {"type": "array", "items": item, "minItems": 1 if field.required else 0}
        return Annotated[list[str], WithJsonSchema(items)] | None, ... if field.required else None
    if isinstance(field, forms.ChoiceField):
        choice = {"type": "string", "enum": [value for value, _ in field.choices]}
        return Annotated[str, WithJsonSchema(choice)], default
    if isinstance(field, forms.NullBooleanField):
        return Annotated[bool, Field(strict=True)] | None, None
    if isinstance(field, forms.IntegerField):
        bounds = {"minimum": field.min_value, "maximum": field.max_value}
        number = {"type": "integer", **{k: v for k, v in bounds.items() if v is not None}}
        return Annotated[JSONInt, WithJsonSchema(number)], default
    if isinstance(field, forms.CharField) and field.strip and not field.min_length:
        pattern = text_pattern(field.max_length, required=field.required)
        text = {"type": "string", "pattern": pattern}
        return Annotated[str, WithJsonSchema(text)], "" if default is None else default
    raise TypeError(f"{type(field).__name__} has no JSON form here: give it in `fields`")


class ErrorDetail(Schema):
    code: str = Field(examples=["VALIDATION_ERROR"])
    message: str
    fields: dict[str, list[str]] | None = None


class ErrorOut(Schema):
    status: Literal[False]
    error: ErrorDetail


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    return {status: ErrorOut for status in statuses}


# Every endpoint may answer 503 SERVICE_UNAVAILABLE (the database or Redis away).
OUTAGE = 503
# Answered before the API sees the request, by gunicorn (its limit_request_line): listed on
# every operation by the API's assembly, since no endpoint can say otherwise.
SERVER_ANSWERS = {414: {
    "description": "URI Too Long: the request line (method, path and query string) is over "
                   "4,094 bytes. The HTTP server answers it, with an HTML page, not in the "
                   "API's error shape.",
    "content": {"text/html": {"schema": {"type": "string"}}},
}}
# Every authenticated endpoint may answer these besides its own.
AUTH_ERRORS = (400, 401, 403, 413, 415, 429, OUTAGE)


class OkOut(Schema):
    status: Literal[True]
