"""The SMS Authenticator's endpoints: start, read, check and cancel a verification.

Every rule is in `messaging.verification`; these only read the request and answer. A test
key's start sends nothing and answers the code (`test_code`)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Router

from portal.api.errors import APIError, validation_error
from portal.api.responses import ok
from portal.api.schemas import AUTH_ERRORS, errors
from portal.api.security import auth

from . import verification
from .forms import VerifyCheckForm
from .schemas import OneVerificationOut, StartedOut, VerifyCheckIn, VerifyStartIn

router = Router(tags=["verify"])

SCOPE = "verify"
CURL_START = """
```
curl -X POST https://portal.example.com/api/v1/verify \\
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" \\
  -d '{"to": "+40712345678", "app_name": "Shop"}'
```
answers 201 `{"status": true, "verification": {"id": "vf_...", "to": "+4071****678",
"status": "pending", "delivery": "queued", "expires_at": "...", "attempts_left": 5}}`."""
CURL_CHECK = """
```
curl -X POST https://portal.example.com/api/v1/verify/vf_.../check \\
  -H "X-API-Key: $API_KEY" -H "Content-Type: application/json" -d '{"code": "123456"}'
```
answers 200 with the verification: `"status": "approved"`, or `"pending"` with one attempt
fewer."""


def _refused(refused: verification.VerifyRefused) -> APIError:
    if refused.code == "VALIDATION_ERROR":
        return validation_error(refused.fields or {}, refused.message)
    return APIError(refused.code, refused.message, retry_after=refused.retry_after)


def _answer(found, status: int = 200, **more):
    return ok({"verification": found.as_api(), **more}, status=status)


@router.post("/verify", url_name="verify_start", auth=auth(SCOPE),
             response={201: StartedOut, **errors(*AUTH_ERRORS, 409)},
             summary="Start a verification: send a code by SMS",
             description="Sends \"<code> is your <app name> code. It expires in <N> minutes.\" "
                         "(English or Romanian, one SMS segment). A second start for the same "
                         "number while one is pending cancels the first. Only numbers in the "
                         "account's allowed countries (403 DESTINATION_NOT_ALLOWED); at most 5 "
                         "starts an hour per number and 1,000 per account (429 RATE_LIMITED, "
                         "settings VERIFY_STARTS_PER_NUMBER_PER_HOUR and "
                         "VERIFY_STARTS_PER_ACCOUNT_PER_HOUR); the SMS counts as a message "
                         "(a sub-user's sending hours and monthly limit: 403 "
                         "OUTSIDE_SENDING_HOURS, LIMIT_REACHED). With a test key nothing is "
                         "sent and the answer carries test_code. Example:\n" + CURL_START)
def verify_start(request, payload: VerifyStartIn):
    principal = request.auth
    key = principal.key
    data = payload.model_dump()
    try:
        started = verification.start(
            principal.user, data["to"], code_length=data["code_length"], ttl=data["ttl"],
            locale=data["locale"] or None, app_name=data["app_name"] or None,
            key_id=key.lookup_id if key is not None else "",
            test=key is not None and key.mode == "test")
    except verification.VerifyRefused as refused:
        raise _refused(refused) from None
    more = {"test_code": started.test_code} if started.test_code is not None else {}
    return _answer(started.verification, 201, **more)


@router.get("/verify/{verification_id}", url_name="verify_get", auth=auth(SCOPE),
            response={200: OneVerificationOut, **errors(*AUTH_ERRORS, 404)},
            summary="One verification: its status and its SMS's delivery",
            description="status: pending, approved, denied (out of attempts), expired or "
                        "canceled. Another account's verification: 404.")
def verify_get(request, verification_id: str):
    try:
        return _answer(verification.get(request.auth.user, verification_id))
    except verification.VerifyRefused as refused:
        raise _refused(refused) from None


@router.post("/verify/{verification_id}/check", url_name="verify_check", auth=auth(SCOPE),
             response={200: OneVerificationOut, **errors(*AUTH_ERRORS, 404, 409)},
             summary="Check the code the user typed",
             description="Answers the verification: approved, or pending with one attempt "
                         "fewer on a wrong code, or denied after the last wrong one (5 in "
                         "all). A verification no longer pending: 409 CONFLICT, its status in "
                         "the message; of two checks of the right code at the same moment, "
                         "one is approved and the other is 409. Example:\n" + CURL_CHECK)
def verify_check(request, verification_id: str, payload: VerifyCheckIn):
    form = VerifyCheckForm(data=payload.model_dump())
    if not form.is_valid():
        raise validation_error({name: [str(m) for m in messages]
                                for name, messages in form.errors.items()},
                               _("The code was not checked: it is 6 to 10 digits."))
    try:
        return _answer(verification.check(request.auth.user, verification_id,
                                          form.cleaned_data["code"]))
    except verification.VerifyRefused as refused:
        raise _refused(refused) from None


@router.post("/verify/{verification_id}/cancel", url_name="verify_cancel", auth=auth(SCOPE),
             response={200: OneVerificationOut, **errors(*AUTH_ERRORS, 404, 409)},
             summary="Cancel a pending verification",
             description="Answers the verification, canceled. One no longer pending: 409 "
                         "CONFLICT.")
def verify_cancel(request, verification_id: str):
    try:
        return _answer(verification.cancel(request.auth.user, verification_id))
    except verification.VerifyRefused as refused:
        raise _refused(refused) from None
