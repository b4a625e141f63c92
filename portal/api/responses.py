"""Small helpers the endpoints answer with."""

from __future__ import annotations

import math

from django.http import HttpResponse
from django.utils.translation import gettext as _

from ..paging import rows
from .errors import APIError, json_response

PER_PAGE = 25
MAX_PAGE = 1_000_000


def ok(data: dict, status: int = 200) -> HttpResponse:
    """A success: `{"status": true, ...data}`, exactly as given (no field dropped or added)."""
    return json_response({"status": True, **data}, status=status)


def no_content() -> HttpResponse:
    return HttpResponse(status=204)


def paginate(queryset, page: int) -> tuple[list, dict]:
    """One page of 25 of an ordered queryset (its order ending on a unique column) and the
    list's `page`, `pages` and `total` (a page past the end is empty)."""
    if not 1 <= page <= MAX_PAGE:
        raise APIError("VALIDATION_ERROR", _("page must be a whole number from 1."),
                       fields={"page": [_("Must be between 1 and %(n)d.") % {"n": MAX_PAGE}]})
    total = queryset.count()
    pages = max(1, math.ceil(total / PER_PAGE))
    start = (page - 1) * PER_PAGE
    items = rows(queryset, start, start + PER_PAGE, total)  # the last page read backwards
    return items, {"page": page, "pages": pages, "total": total}
