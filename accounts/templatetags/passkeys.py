"""`{% passkey_scripts "signin" %}`: django-otp-webauthn's script for one ceremony, pointed at
the portal's endpoints. The CSP allows no inline script: the settings travel in a JSON data
block (never executed), the scripts are static files of this site."""

from __future__ import annotations

from django import template
from django.middleware.csrf import get_token
from django.urls import reverse

register = template.Library()

# ceremony -> the script, and the endpoints it calls (accounts.views.ceremonies)
_CEREMONIES = {
    "register": ("otp_webauthn_register.js", "Registration", "passkey_register"),
    "code": ("otp_webauthn_auth.js", "Authentication", "passkey_code"),
    "signin": ("otp_webauthn_auth.js", "Authentication", "passkey_signin"),
}


@register.inclusion_tag("accounts/_passkey_scripts.html", takes_context=True)
def passkey_scripts(context, ceremony: str) -> dict:
    script, kind, url_name = _CEREMONIES[ceremony]
    config = {
        "csrfToken": get_token(context["request"]),
        f"begin{kind}Url": reverse(f"accounts:{url_name}_begin"),
        f"complete{kind}Url": reverse(f"accounts:{url_name}_complete"),
        # Where to go after signing in: the page's hidden "next" field.
        "nextFieldSelector": "input[name='next']",
        # No passkey offered in the username field's autofill: the button is the one way.
        "autocompleteLoginFieldSelector": None,
    }
    return {"config": config, "script": f"django_otp_webauthn/{script}"}
