"""The portal's settings for django-otp-webauthn's ceremonies (OTP_WEBAUTHN_HELPER_CLASS)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django_otp_webauthn.helpers import WebAuthnHelper
from webauthn.helpers.structs import ResidentKeyRequirement


def site_origin() -> str:
    """SITE_URL's origin (scheme, host and port): the only one a passkey may be used from."""
    site = urlsplit(settings.SITE_URL)
    return f"{site.scheme}://{site.netloc}"


class PasskeyHelper(WebAuthnHelper):
    # The name the user gave the passkey being registered (set by the registration view).
    passkey_name = ""

    def get_relying_party_domain(self) -> str:
        # Read at each ceremony, not from the setting made at start-up: one source, SITE_URL.
        return urlsplit(settings.SITE_URL).hostname or ""

    def get_relying_party_name(self) -> str:
        return settings.SITE_NAME

    def get_allowed_origins(self) -> list[str]:
        return [site_origin()]

    def get_discoverable_credentials_preference(self) -> ResidentKeyRequirement:
        # Every passkey can also sign in alone, which needs the authenticator to find it
        # without being told the account: one that cannot is refused at registration rather
        # than failing later on the sign-in page.
        return ResidentKeyRequirement.REQUIRED

    def create_credential(self, user, response, parsed_credential, original_data):
        device = super().create_credential(user, response, parsed_credential, original_data)
        device.name = self.passkey_name
        return device
