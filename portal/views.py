from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import i18n
from django.views.decorators.http import require_POST


def help_page(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/help.html", {"nav": "help"})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The footer's language picker: Django's view (cookie), and for a signed-in user also
    the account's language, which its e-mails and SMS follow."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if user.is_authenticated and language in dict(settings.LANGUAGES) and \
            user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "portal/csrf_failure.html", status=403)
