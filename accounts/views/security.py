"""The Security page: second factor (SMS, authenticator app, passkeys, backup codes),
password. Adding and removing passkeys: accounts.views.passkeys."""

from __future__ import annotations

import base64
import secrets
import time

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from security.access import fresh_proof_required, mark_fresh_proof

from .. import flows, otp, passkeys, proof
from ..forms import DisableSecondFactorForm, EnableSMSForm, SetupCodeForm


@login_required
def security(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/security.html", _context(request, DisableSecondFactorForm()))


def _context(request: HttpRequest, disable_form: DisableSecondFactorForm) -> dict:
    user = request.user
    return {
        "nav": "security",
        "sms": otp.sms_device(user),
        "totp": TOTPDevice.objects.filter(user=user, confirmed=True).first(),
        "passkeys": list(passkeys.of(user)),
        "backup_left": otp.backup_codes_left(user),
        "has_second_factor": otp.has_second_factor(user),
        "disable_form": disable_form,
    }


@sensitive_post_parameters("password")
@fresh_proof_required
@never_cache
def sms_enable(request: HttpRequest) -> HttpResponse:
    form = EnableSMSForm(request.user, request.POST or None)
    if request.method == "POST":
        if (refused := proof.attempt(request)) is not None:
            return refused
        if form.is_valid():
            mark_fresh_proof(request)
            result = flows.start_sms_enrolment(request, str(form.cleaned_data["phone"]))
            if result.sent:
                return redirect("accounts:sms_confirm")
            form.add_error(None, result.message)
            response = render(request, "accounts/sms_enable.html",
                              {"form": form, "nav": "security"}, status=429)
            if result.retry_after:
                response["Retry-After"] = str(result.retry_after)
            return response
        if form.has_error("password", "wrong_password"):
            proof.password_failed(request, "sms_enable")
        return render(request, "accounts/sms_enable.html", {"form": form, "nav": "security"},
                      status=400)
    return render(request, "accounts/sms_enable.html", {"form": form, "nav": "security"})


@fresh_proof_required
@never_cache
def sms_confirm(request: HttpRequest) -> HttpResponse:
    pending = flows.pending_sms_enrolment(request)
    if pending is None:
        messages.error(request, _("That code request has expired. Enter your number again."))
        return redirect("accounts:sms_enable")
    device, nonce = pending
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            if (refused := proof.attempt(request)) is not None:
                return refused
            if device.check_code(form.cleaned_data["code"], nonce):
                first = flows.confirm_sms_enrolment(request, device)
                messages.success(request, _("Sign-in codes by SMS are on."))
                return _after_enabling(request, first)
            form.add_error("code", _("That code is not right. Check the SMS and try again."))
        return render(request, "accounts/sms_confirm.html",
                      {"form": form, "phone": device.phone, "nav": "security"}, status=400)
    return render(request, "accounts/sms_confirm.html",
                  {"form": form, "phone": device.phone, "nav": "security"})


def _after_enabling(request: HttpRequest, first: bool) -> HttpResponse:
    if first:
        # The first factor comes with backup codes, for the day the phone is lost.
        codes = flows.regenerate_backup_codes(request)
        return show_codes(request, codes)
    return redirect("accounts:security")


def show_codes(request: HttpRequest, codes: list[str]) -> HttpResponse:
    """The backup codes, shown once (never cached)."""
    response = render(request, "accounts/backup_codes.html",
                      {"codes": codes, "nav": "security"})
    response["Cache-Control"] = "no-store"
    return response


@fresh_proof_required
@never_cache
def totp_enable(request: HttpRequest) -> HttpResponse:
    # A reload (or a phone browser reloading the tab after a trip to the app) keeps the key
    # the user may already have scanned; a new one is made after 15 minutes.
    device_id = request.session.get("_totp_device")
    started = request.session.get("_totp_device_at", 0)
    device = TOTPDevice.objects.filter(pk=device_id, user=request.user, confirmed=False).first()
    if device is None or time.time() - started > 15 * 60:
        device = flows.start_totp_enrolment(request.user)
        request.session["_totp_device"] = device.pk
        request.session["_totp_device_at"] = int(time.time())
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if (refused := proof.attempt(request)) is not None:
            return refused
        allowed, _info = device.verify_is_allowed()
        if not allowed:
            form.add_error("code", _("Please wait a few seconds after a wrong code, then "
                                     "enter the code the app shows now."))
        elif otp.use_app_code(device, form.cleaned_data["code"]):
            request.session.pop("_totp_device", None)
            first = flows.confirm_totp_enrolment(request, device)
            messages.success(request, _("Your authenticator app is set up."))
            return _after_enabling(request, first)
        else:
            form.add_error("code", _("That code is not right. Check the time on your phone "
                                     "and enter the code the app shows now."))
    secret = base64.b32encode(device.bin_key).decode()
    secret = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage,
                        box_size=8)
    context = {"form": form, "qr_svg": image.to_string(encoding="unicode"),
               "secret": secret, "nav": "security"}
    response = render(request, "accounts/totp_enable.html", context,
                      status=400 if request.method == "POST" else 200)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@fresh_proof_required
def backup_codes(request: HttpRequest) -> HttpResponse:
    if not otp.has_second_factor(request.user):
        messages.error(request, _("Turn on a second factor first."))
        return redirect("accounts:security")
    return show_codes(request, flows.regenerate_backup_codes(request))


@require_POST
@sensitive_post_parameters("password", "code")
@login_required
def disable(request: HttpRequest) -> HttpResponse:
    """Turning the second factor off takes the password and a code, fresh proof or not."""
    form = DisableSecondFactorForm(request.POST)
    if form.is_valid():
        if (refused := proof.attempt(request)) is not None:
            return refused
        if _password_and_code_right(request, form.cleaned_data):
            flows.disable_second_factor(request)
            messages.success(request, _("The second factor is off."))
            return redirect("accounts:security")
        form.add_error(None, proof.WRONG_PASSWORD_OR_CODE)
    return render(request, "accounts/security.html", _context(request, form), status=400)


def _password_and_code_right(request: HttpRequest, data: dict) -> bool:
    # The code is checked only after the password: a code used up by someone who does not
    # know the password (a backup code) would be lost to its owner.
    if not request.user.check_password(data["password"]):
        proof.password_failed(request, "disable")
        return False
    nonce = request.session.get("_disable_nonce", "")
    result = otp.verify_code(request, request.user, data["code"], nonce)
    return result.result is otp.CodeResult.OK


@require_POST
@login_required
def disable_send_code(request: HttpRequest) -> HttpResponse:
    """Send an SMS code for turning the factor off (bound to this session)."""
    device = otp.sms_device(request.user)
    if device is not None:
        nonce = secrets.token_urlsafe(16)
        request.session["_disable_nonce"] = nonce
        result = otp.send_code(request, device, nonce)
        if result.sent:
            messages.success(request, _("A code is on its way to your phone."))
        else:
            messages.error(request, result.message)
    return redirect("accounts:security")
