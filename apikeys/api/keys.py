"""The account's keys: list, create, show, revoke, regenerate, disable and enable, and a
key's whitelist.

Inputs are validated by the same forms as the pages (`apikeys.forms`), and every change goes
through `apikeys.flows`, which records the event and e-mails the owner.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router

from portal.api.errors import APIError, not_found, validation_error
from portal.api.responses import no_content, ok, paginate
from portal.api.schemas import AUTH_ERRORS, PageQuery, errors
from portal.api.security import auth

from .. import flows
from ..forms import BEYOND_ISSUER, CONFLICTS, CreateKeyForm, RegenerateForm
from ..issuance import BeyondIssuer
from ..models import APIKey, KeyWhitelistEntry
from .schemas import (
    CreatedKeyOut,
    CreateKeyIn,
    EntryOut,
    KeyListOut,
    OneKeyOut,
    RegenerateIn,
    WhitelistIn,
)

router = Router(tags=["keys"])
MAX_ID = 2**63 - 1


def _key(request, key_id: str) -> APIKey:
    """One of the account's keys by its public id; 404 for anyone else's."""
    if "\x00" in key_id:  # no id has one, and PostgreSQL would refuse the query
        raise not_found(_("You have no API key with this id."))
    key = (APIKey.objects.select_related("user").prefetch_related("whitelist")
           .filter(user=request.auth.user, lookup_id=key_id[:32]).first())
    if key is None:
        raise not_found(_("You have no API key with this id."))
    return key


# Form error codes that are not a bad input: a request beyond the issuing key, or a key or
# account whose state does not allow the change.
REFUSALS = {BEYOND_ISSUER: "INSUFFICIENT_SCOPE", **dict.fromkeys(CONFLICTS, "CONFLICT")}


def _form_errors(errors: dict[str, list[ValidationError]]) -> APIError:
    """A form's errors (`form.errors.as_data()`, or a flow's ValidationError.error_dict) as
    the API's answer: a refusal in REFUSALS by its own code, else 400 with the fields named."""
    for error in chain.from_iterable(errors.values()):
        if error.code in REFUSALS:
            return APIError(REFUSALS[error.code], " ".join(error.messages))
    fields = {name: [m for e in found for m in e.messages] for name, found in errors.items()
              if name != "__all__"}
    general = [m for e in errors.get("__all__", []) for m in e.messages]
    return validation_error(fields, " ".join(general) or None)


def _created(created: flows.Created, status: int):
    data = {"key": created.key.to_api_dict(), "api_key": created.full_key}
    if created.signing_secret is not None:
        data["signing_secret"] = created.signing_secret
    return ok(data, status=status)


@router.get("/keys", auth=auth("keys:read"), response={200: KeyListOut, **errors(*AUTH_ERRORS)},
            summary="The account's keys (masked), 25 a page")
def list_keys(request, query: Query[PageQuery]):
    # In the order of the user's list index (APIKey.Meta.ordering): each page an index walk.
    keys = (APIKey.objects.filter(user_id=request.auth.user_id).listed()
            .select_related("user").prefetch_related("whitelist"))
    items, page = paginate(keys, query.page)
    return ok({"keys": [key.to_api_dict() for key in items], **page})


@router.post("/keys", auth=auth("keys:write"),
             response={201: CreatedKeyOut, **errors(*AUTH_ERRORS, 409)},
             summary="Generate a key (the full key is in this answer only)",
             description="A key never creates a key beyond itself (its scopes, type, signing, "
                         "expiry and mode): asking for more is 403 INSUFFICIENT_SCOPE. An account "
                         "at its limit of keys is 409 CONFLICT.")
def create_key(request, payload: CreateKeyIn):
    issuer = request.auth.issuer
    form = CreateKeyForm(request.auth.user, data=payload.model_dump(), issuer=issuer)
    if not form.is_valid():
        raise _form_errors(form.errors.as_data())
    try:
        created = flows.create_key(request, request.auth.user, issuer=issuer,
                                   **form.cleaned_data)
    except BeyondIssuer as refused:  # the user's permissions changed since the form's check
        raise APIError("INSUFFICIENT_SCOPE", refused.message) from None
    return _created(created, 201)


@router.get("/keys/{key_id}", auth=auth("keys:read"),
            response={200: OneKeyOut, **errors(*AUTH_ERRORS, 404)}, summary="One key")
def get_key(request, key_id: str):
    return ok({"key": _key(request, key_id).to_api_dict()})


@router.delete("/keys/{key_id}", auth=auth("keys:write"),
               response={204: None, **errors(*AUTH_ERRORS, 404)}, summary="Revoke a key at once")
def delete_key(request, key_id: str):
    flows.revoke_key(request, _key(request, key_id))
    return no_content()


@router.post("/keys/{key_id}/regenerate", auth=auth("keys:write"),
             response={200: CreatedKeyOut, **errors(*AUTH_ERRORS, 404, 409)},
             summary="New secret, same settings; the old key dies now or after a grace period",
             description="A disabled, revoked, replaced or expired key is 409 CONFLICT. A key "
                         "regenerates itself or keys within it (as it could create them), else "
                         "403 INSUFFICIENT_SCOPE.")
def regenerate_key(request, key_id: str, payload: RegenerateIn | None = None):
    key = _key(request, key_id)
    form = RegenerateForm(data={"grace_seconds": payload.grace_seconds if payload else 0})
    if not form.is_valid():
        raise _form_errors(form.errors.as_data())
    try:
        created = flows.regenerate_key(request, key, form.cleaned_data["grace_seconds"],
                                       issuer=request.auth.issuer)
    except flows.KeyNotActive as exc:
        raise APIError("CONFLICT", exc.message) from None
    except BeyondIssuer as refused:
        raise APIError("INSUFFICIENT_SCOPE", refused.message) from None
    return _created(created, 200)


def _switched(request, key_id: str, switch: Callable[..., bool]):
    key = _key(request, key_id)
    try:
        switch(request, key)
    except flows.KeyNotActive as exc:
        raise APIError("CONFLICT", exc.message) from None
    return ok({"key": key.to_api_dict()})


@router.post("/keys/{key_id}/disable", auth=auth("keys:write"),
             response={200: OneKeyOut, **errors(*AUTH_ERRORS, 404, 409)},
             summary="Turn a key off (401 KEY_DISABLED until it is enabled)",
             description="The key, its counters and whitelist do not change. Also 200 when it "
                         "already was off. A revoked, replaced or expired key is 409 CONFLICT.")
def disable_key(request, key_id: str):
    return _switched(request, key_id, flows.disable_key)


@router.post("/keys/{key_id}/enable", auth=auth("keys:write"),
             response={200: OneKeyOut, **errors(*AUTH_ERRORS, 404, 409)},
             summary="Turn a disabled key on again",
             description="Also 200 when it already was on. A revoked, replaced or expired key "
                         "is 409 CONFLICT.")
def enable_key(request, key_id: str):
    return _switched(request, key_id, flows.enable_key)


@router.post("/keys/{key_id}/whitelist", auth=auth("keys:write"),
             response={201: EntryOut, **errors(*AUTH_ERRORS, 404, 409)},
             summary="Add an address or range to a Default key's whitelist",
             description="A Cloud or Zoho CRM key, or one that no longer works, is 409 "
                         "CONFLICT.")
def add_entry(request, key_id: str, payload: WhitelistIn):
    key = _key(request, key_id)
    try:
        entry = flows.add_whitelist_entry(request, key, payload.value, payload.label)
    except ValidationError as exc:
        raise _form_errors(exc.error_dict) from None
    return ok({"entry": {"id": entry.pk, "value": entry.value, "label": entry.label}}, 201)


@router.delete("/keys/{key_id}/whitelist/{entry_id}", auth=auth("keys:write"),
               response={204: None, **errors(*AUTH_ERRORS, 404)},
               summary="Remove a whitelist entry")
def remove_entry(request, key_id: str, entry_id: int):
    key = _key(request, key_id)
    entry = None
    if 0 < entry_id <= MAX_ID:
        entry = KeyWhitelistEntry.objects.select_related("key__user").filter(
            pk=entry_id, key=key).first()
    if entry is None:
        raise not_found(_("This key has no whitelist entry with this id."))
    flows.remove_whitelist_entry(request, entry)
    return no_content()
