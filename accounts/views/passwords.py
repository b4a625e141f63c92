"""Change a password (with the current one) and reset a forgotten one by e-mail."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from portal import ratelimit
from portal.clientip import client_ip
from security.access import mark_fresh_proof
from security.events import record
from security.models import EventType

from .. import flows, lockout, proof
from ..forms import PasswordChangeForm


class PasswordChangeView(auth_views.PasswordChangeView):
    """The current password is asked for on the form itself: that is the fresh proof."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("dashboard")
    form_class = PasswordChangeForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["nav"] = "security"
        context["required"] = self.request.user.password_change_required()
        return context

    def form_valid(self, form):
        form.save()
        update_session_auth_hash(self.request, form.user)
        mark_fresh_proof(self.request)
        flows.password_changed(self.request, form.user)
        messages.success(self.request, _("Your password was changed. Other browsers signed in "
                                         "to your account were signed out."))
        return super(auth_views.PasswordChangeView, self).form_valid(form)

    def form_invalid(self, form):
        if form.has_error("old_password", "password_incorrect"):
            proof.password_failed(self.request, "password_change")
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def post(self, request, *args, **kwargs):
        if (refused := proof.attempt(request)) is not None:
            return refused
        return super().post(request, *args, **kwargs)


class PasswordResetView(auth_views.PasswordResetView):
    """The same answer whether the address belongs to an account or not."""

    template_name = "accounts/password_reset.html"
    email_template_name = "emails/password-reset-body.txt"
    html_email_template_name = "emails/password-reset-body.html"
    subject_template_name = "emails/password-reset-subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    @property
    def extra_email_context(self):
        return {"site_name": settings.SITE_NAME}

    def post(self, request, *args, **kwargs):
        email = request.POST.get("email", "").strip().lower()[:254]
        for key, limit in ((f"reset:ip:{client_ip(request)}", 10), (f"reset:email:{email}", 3)):
            hit = ratelimit.hit(key, limit, 60 * 60)
            if not hit.allowed:
                return proof.too_many(request, hit.retry_after)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        record(self.request, EventType.PASSWORD_RESET_REQUESTED)
        return super().form_valid(form)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form):
        response = super().form_valid(form)
        # The lock-out page sends people here: a new password lifts the lock on the account.
        lockout.unlock(form.user.get_username())
        flows.password_changed(self.request, form.user, reset=True)
        messages.success(self.request, _("Your password was set. You can sign in now."))
        return response

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)
