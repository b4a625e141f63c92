"""How long a signed-in session may last: the idle timeouts a user may choose (accounts'
profile page) and the absolute lifetime that caps them (SESSION_ABSOLUTE_SECONDS); the
security centre enforces them (security.sessions) and prunes what ran out."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# The idle timeouts a user may have (seconds); the absolute lifetime caps them all, so the
# profile offers only those within it (session_idle_choices).
SESSION_IDLE_CHOICES = [
    (15 * 60, _("15 minutes")),
    (30 * 60, _("30 minutes")),
    (60 * 60, _("1 hour")),
    (4 * 60 * 60, _("4 hours")),
    (8 * 60 * 60, _("8 hours")),
    (24 * 60 * 60, _("24 hours")),
]


def session_idle_choices() -> list[tuple[int, str]]:
    """The idle timeouts worth offering: those a session can reach before it ends anyway,
    SESSION_ABSOLUTE_SECONDS after sign-in (always the shortest, whatever that is)."""
    cap = settings.SESSION_ABSOLUTE_SECONDS
    return [c for c in SESSION_IDLE_CHOICES if c[0] <= cap] or SESSION_IDLE_CHOICES[:1]
