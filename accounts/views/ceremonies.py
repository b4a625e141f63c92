"""The JSON endpoints django-otp-webauthn's browser script calls: begin and complete of each
passkey ceremony (registering one, using one at the code step, signing in with one alone).

Each is the library's view with the portal's checks around it: fresh proof to register, the
pending sign-in at the code step, the sign-in policy (accounts.policy, Door.PASSKEY) for a
passkey alone. The library's own endpoints are not routed. A refusal answers as the
library's do, {"detail": <shown to the user>, "code": <for the script>}.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp_webauthn import exceptions
from django_otp_webauthn.utils import rewrite_exceptions
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from security.access import has_fresh_proof, safe_next
from security.events import record
from security.models import EventType

from .. import flows, policy
from ..passkeys import Passkey
from ..passkeys import flows as passkey_flows
from .auth import refusal_message

log = logging.getLogger("accounts.passkeys")

NAME_KEY = "_passkey_name"  # the name given on the page before the ceremony
ADDED_KEY = "_passkey_added"  # the passkey just added, for the page after it


class Refused(exceptions.OTPWebAuthnApiError):
    def __init__(self, detail: str, code: str, status: int = 403):
        super().__init__(detail=detail, code=code)
        self.status_code = status


def _checked(call):
    """Run a step of the library's ceremony. Any failure of the passkey's proof (unknown,
    another account's, disabled, another origin, a wrong signature or challenge) raises the
    library's OTPWebAuthnApiError, logged here for operators (no secret in it); the client
    gets the portal's own message."""
    try:
        with rewrite_exceptions(logger=None):
            return call()
    except exceptions.OTPWebAuthnApiError as exc:
        # %r: the reason may quote what the client sent (its origin), line breaks and all.
        log.warning("passkey refused: %s %r", exc.code, str(exc.__cause__ or exc)[:300])
        raise


# --- registering a passkey (Security page) --------------------------------------------------


class _Registration:
    def check_can_register(self):
        if not has_fresh_proof(self.request):
            raise Refused(_("For your safety, confirm your password again: reload this page."),
                          "fresh_proof_required")
        if not self.request.session.get(NAME_KEY):
            raise Refused(_("This page has expired: add the passkey again from the Security "
                            "page."), "invalid_state", status=400)

    def user_is_mfa_enrolled(self, user) -> bool:
        # The portal's gate for a new factor is fresh proof (above), as for an authenticator
        # app; a session that skipped the code on a remembered browser has no verified
        # device to show, and may still add one.
        return False


class RegisterBegin(_Registration, BeginCredentialRegistrationView):
    pass


class RegisterComplete(_Registration, CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        request = self.request
        state = self.get_state()
        helper = self.get_helper()
        helper.passkey_name = request.session[NAME_KEY]
        try:
            passkey = _checked(lambda: helper.register_complete(user=request.user, state=state,
                                                                data=request.data))
        except exceptions.OTPWebAuthnApiError:
            raise Refused(_("Your browser's answer could not be checked: the passkey was not "
                            "added. Try again."), "registration_refused", status=422) from None
        first = passkey_flows.added(request, passkey)
        request.session.pop(NAME_KEY, None)
        request.session[ADDED_KEY] = {"id": passkey.pk, "first": first}
        return JsonResponse({"id": passkey.pk})


# --- the code step: a passkey as the second factor ------------------------------------------


class _SecondStep:
    def pending(self):
        if not hasattr(self, "_pending"):
            self._pending = flows.pending_login(self.request)
        return self._pending

    def get_user(self):
        pending = self.pending()
        return pending[0] if pending is not None else None

    def check_can_authenticate(self):
        if self.pending() is None:
            raise Refused(_("Your sign-in has expired. Please sign in again."),
                          "sign_in_expired", status=400)


class CodeBegin(_SecondStep, BeginCredentialAuthenticationView):
    pass


class CodeComplete(_SecondStep, CompleteCredentialAuthenticationView):
    def post(self, *args, **kwargs):
        request = self.request
        user, data = self.pending()
        state = self.get_state()
        try:
            passkey = _checked(lambda: self.get_helper().authenticate_complete(
                user=user, state=state, data=request.data))
            self.check_device_usable(passkey)
        except exceptions.OTPWebAuthnApiError:
            record(request, EventType.SIGNIN_FAILURE, user=user, factor="passkey")
            raise Refused(_("That passkey is not one of this account's, or it could not be "
                            "checked. Try again, or enter a code."), "passkey_refused") from None
        flows.complete_login(request, user, passkey, backend=data["backend"])
        return JsonResponse({"id": passkey.pk, "redirect_url": safe_next(
            request, data.get("next"), reverse(settings.LOGIN_REDIRECT_URL))})


# --- the sign-in page: a passkey alone (Door.PASSKEY) ---------------------------------------


class _PasskeyAlone:
    """The portal's own door, whatever OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN says (that
    setting keeps the library's door shut)."""

    def get_user(self):
        return None  # whoever the passkey names: the authenticator offers its own

    def check_can_authenticate(self):
        pass


class SignInBegin(_PasskeyAlone, BeginCredentialAuthenticationView):
    def check_can_authenticate(self):
        # A ceremony keeps a session row: starting one counts as a sign-in attempt from the
        # address (so a passkey sign-in takes two of the minute's attempts).
        try:
            policy.count_attempt(self.request)
        except policy.SignInRefused as refusal:
            raise Refused(refusal.message, refusal.code, status=429) from None


class SignInComplete(_PasskeyAlone, CompleteCredentialAuthenticationView):
    def post(self, *args, **kwargs):
        request = self.request
        used: list[Passkey] = []

        def verify():
            try:
                state = self.get_state()
                passkey = _checked(lambda: self.get_helper().authenticate_complete(
                    user=None, state=state, data=request.data))
                self.check_device_usable(passkey)
            except exceptions.OTPWebAuthnApiError:
                return None
            used.append(passkey)
            return passkey.user

        try:
            passed = policy.passkey_step(request, verify)
        except policy.SignInRefused as refusal:
            return _refusal_response(request, refusal)
        # No code follows: the passkey is the second factor too.
        flows.complete_login(request, passed.user, used[0],
                             backend=settings.AUTHENTICATION_BACKENDS[-1])
        return JsonResponse({"id": used[0].pk, "redirect_url": self.get_success_url()})


_STATUS = {"RATE_LIMITED": 429, "EMAIL_UNCONFIRMED": 403}


def _refusal_response(request: HttpRequest, refusal: policy.SignInRefused) -> JsonResponse:
    response = JsonResponse({"detail": refusal_message(request, refusal), "code": refusal.code},
                            status=_STATUS.get(refusal.code, 401))
    if refusal.retry_after:
        response["Retry-After"] = str(refusal.retry_after)
    return response
