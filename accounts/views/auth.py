"""Sign in (password, then code), sign out, confirm password."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal import ratelimit
from security import hooks as security_hooks
from security.access import mark_fresh_proof, safe_next
from security.events import record
from security.models import EventType

from .. import flows, lockout, otp, policy, proof
from ..addresses import send_confirmation
from ..forms import CodeForm, LoginForm, ReauthForm
from ..passkeys import has_passkey
from ..proof import too_many

# --- signing in ----------------------------------------------------------------------------


@sensitive_post_parameters("password")
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    default_next = reverse(settings.LOGIN_REDIRECT_URL)
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"),
                         default_next)
    if request.user.is_authenticated:
        return redirect(next_url)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            passed = policy.password_step(request, policy.Door.PORTAL,
                                          form.cleaned_data["username"],
                                          form.cleaned_data["password"])
        except policy.SignInRefused as refusal:
            if refusal.locked:
                return lockout.lockout_response(request)
            if refusal.code == "RATE_LIMITED":
                return too_many(request, refusal.retry_after or 60)
            form.add_error(None, refusal_message(request, refusal))
        else:
            user = passed.user
            # A remembered browser skips the code, never the password.
            if not passed.needs_code or security_hooks.browser_remembered(request, user):
                flows.complete_login(request, user, method=None if not passed.needs_code
                                     else "remembered_browser")
                # Must change the password, or set up the second factor the owner requires:
                # signed in, and accounts.middleware leads to that form first.
                return redirect(next_url)
            sent = flows.start_pending_login(request, user, next_url)
            if sent is not None and not sent.sent:
                messages.warning(request, sent.message)
            return redirect("accounts:login_code")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/login.html", {"form": form, "next": next_url},
                  status=status)


def refusal_message(request: HttpRequest, refusal: policy.SignInRefused) -> str:
    """What the sign-in page says of a refusal (a password or a passkey)."""
    if refusal.code == "EMAIL_UNCONFIRMED":
        user = refusal.user
        if user is not None and ratelimit.hit(f"confirm-resend:{user.pk}", 3, 60 * 60).allowed:
            send_confirmation(request, user)
        return _("Your e-mail address is not confirmed yet. We have sent the confirmation link "
                 "to it again.")
    return refusal.message


@never_cache
def login_code(request: HttpRequest) -> HttpResponse:
    pending = flows.pending_login(request)
    if pending is None:
        messages.error(request, _("Your sign-in has expired. Please sign in again."))
        return redirect("accounts:login")
    user, data = pending
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            result = otp.verify_code(request, user, form.cleaned_data["code"], data["nonce"])
            if result.result is otp.CodeResult.OK:
                flows.complete_login(request, user, result.device, backend=data["backend"])
                # Security centre hook: "Remember this browser for 30 days" was ticked.
                if request.POST.get("remember") == "1":
                    security_hooks.remember_browser(request, user)
                return redirect(safe_next(request, data.get("next"), reverse("dashboard")))
            if result.result is otp.CodeResult.LOCKED:
                flows.end_pending_login(request)
                messages.error(request, _("Too many wrong codes. For your safety the sign-in "
                                          "was stopped: sign in again to get a new code."))
                return redirect("accounts:login")
            if result.result is otp.CodeResult.WAIT:
                form.add_error("code", _("Wait %(n)d seconds after a wrong code, then enter "
                                         "the code the app shows.") % {"n": result.retry_after})
            else:
                form.add_error("code", _("That code is not right. %(n)d attempts left.")
                               % {"n": result.remaining})
    sms = otp.sms_device(user)
    context = {
        "form": form,
        "has_sms": sms is not None,
        "phone": otp.masked_phone(str(sms.phone)) if sms is not None else "",
        "has_totp": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        "has_passkey": has_passkey(user),
    }
    return render(request, "accounts/login_code.html", context, status=status)


@require_POST
def login_code_resend(request: HttpRequest) -> HttpResponse:
    pending = flows.pending_login(request)
    if pending is None:
        return redirect("accounts:login")
    user, data = pending
    device = otp.sms_device(user)
    if device is None:
        return redirect("accounts:login_code")
    result = otp.send_code(request, device, data["nonce"])
    if result.sent:
        messages.success(request, _("A new code is on its way."))
        return redirect("accounts:login_code")
    message = result.message
    if result.retry_after and result.retry_after < 120:
        message = _("%(message)s Try again in %(n)d seconds.") % {
            "message": message, "n": result.retry_after}
    messages.error(request, message)
    response = redirect("accounts:login_code")
    if result.retry_after:
        response["Retry-After"] = str(result.retry_after)
    return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        record(request, EventType.SIGNOUT)
    auth_logout(request)
    messages.success(request, _("You have signed out."))
    return redirect("accounts:login")


@login_required
@sensitive_post_parameters("password")
@never_cache
def reauth(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, request.GET.get("next") or request.POST.get("next"),
                         reverse("dashboard"))
    form = ReauthForm(request.user, request.POST or None)
    if request.method == "POST":
        if (refused := proof.attempt(request)) is not None:
            return refused
        if form.is_valid():
            mark_fresh_proof(request)
            record(request, EventType.REAUTH)
            return redirect(next_url)
        record(request, EventType.REAUTH_FAILED)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/reauth.html",
                  {"form": form, "action": request.get_full_path()}, status=status)
