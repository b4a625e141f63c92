"""Pages of long ordered lists that cost the same at either end.

A page far down a list is an OFFSET the database walks row by row; counted from the other
end, in the reverse order, the walk is short. `rows` reads a slice from whichever end is
nearer; `Paginator` is Django's, with its pages read that way. Either needs the list's
length first (the paginator counts anyway) and an order that names a unique column last,
so that both directions agree row for row.
"""

from __future__ import annotations

from django.core import paginator
from django.db.models import QuerySet


def rows(queryset: QuerySet, start: int, stop: int, total: int) -> list:
    """`queryset[start:stop]` of an ordered queryset with `total` rows, as a list."""
    stop = min(stop, total)
    if start >= stop:
        return []
    if start > total - stop and queryset.ordered:
        found = list(queryset.reverse()[total - stop : total - start])
        found.reverse()
        return found
    return list(queryset[start:stop])


class Paginator(paginator.Paginator):
    """django.core.paginator.Paginator whose pages past the middle are read backwards."""

    def page(self, number) -> paginator.Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if not isinstance(self.object_list, QuerySet):
            return paginator.Page(self.object_list[bottom:top], number, self)
        return paginator.Page(rows(self.object_list, bottom, top, self.count), number, self)
