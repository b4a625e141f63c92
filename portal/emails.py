"""E-mail sending: one template set per message, found by naming convention.

A message named `NAME` is `templates/emails/NAME-subject.txt`, `NAME-body.txt` and
`NAME-body.html`. The apps keep one small function per message and call `send` here.
No secret may ever be put in a message's context.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

log = logging.getLogger(__name__)


def send(name: str, to: str, context: dict, language: str | None = None) -> None:
    """Render and send the message `name` to one address; failures are logged, not raised."""
    if not to:
        return
    ctx = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    with translation.override(language or translation.get_language() or "en"):
        subject = render_to_string(f"emails/{name}-subject.txt", ctx).strip()
        subject = " ".join(subject.splitlines())
        text = render_to_string(f"emails/{name}-body.txt", ctx)
        html = render_to_string(f"emails/{name}-body.html", ctx)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception:  # a mail server outage must not break the action that was taken
        log.exception("could not send the %s e-mail", name)
