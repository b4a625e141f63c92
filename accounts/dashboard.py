"""What the dashboard shows, gathered from the apps: checklist items and sections.

accounts may not import apikeys or messaging (imports run one way), so those apps add their
part from their AppConfig.ready(), as they add their API routers to portal.api:

- `add_checks(name, build, order)`: `build(request, user) -> list[Check]`, items of the
  security checklist (none: nothing for this user);
- `add_section(name, template, build, order)`: `build(request, user) -> dict | None`, what
  `template` (included in the dashboard, as `section`) shows; None: nothing for this user.

Each build decides what the user's permissions allow, and costs a fixed number of queries
however much the account holds: the dashboard's query count must not grow with its keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.functional import Promise

OK = "ok"  # nothing to do
FIX = "fix"  # should be put right
ADVICE = "advice"  # would make the account safer


@dataclass(frozen=True)
class Check:
    """One line of the checklist: what it is about, its state, and where to act on it."""

    name: str  # stable, for the page's data-check attribute
    state: str  # OK, FIX or ADVICE
    title: str | Promise
    summary: str | Promise
    url: str
    action: str | Promise


@dataclass(frozen=True)
class Section:
    name: str
    template: str
    build: Callable[[HttpRequest, object], dict | None]
    order: int


_checks: dict[str, tuple[int, Callable[[HttpRequest, object], list[Check]]]] = {}
_sections: dict[str, Section] = {}


def add_checks(name: str, build: Callable[[HttpRequest, object], list[Check]],
               order: int = 100) -> None:
    """Add (or replace) the checklist items an app contributes; lower `order` first."""
    _checks[name] = (order, build)


def add_section(name: str, template: str, build: Callable[[HttpRequest, object], dict | None],
                order: int = 100) -> None:
    """Add (or replace) a section of the dashboard; lower `order` first."""
    _sections[name] = Section(name, template, build, order)


_URGENCY = {FIX: 0, ADVICE: 1, OK: 2}


def checklist(request: HttpRequest, user) -> list[Check]:
    """Every item for this user: what to fix first, then advice, then what is in order
    (each group in the apps' order)."""
    found = [check for _order, build in sorted(_checks.values(), key=lambda entry: entry[0])
             for check in build(request, user)]
    return sorted(found, key=lambda check: _URGENCY[check.state])


def sections(request: HttpRequest, user) -> list[tuple[Section, dict]]:
    shown = []
    for section in sorted(_sections.values(), key=lambda s: s.order):
        context = section.build(request, user)
        if context is not None:
            shown.append((section, context))
    return shown
