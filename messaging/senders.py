"""Sender names: THE sender rule (`refusal`), and the flows that ask for a name, decide on
it and hand names to sub-users.

Every door that sends an account's SMS asks `refusal` before anything is stored or sent
(today: `POST /api/v1/sms/send`, JSON or form body, with a key of either mode or a token).
An account with no approved name sends as it always did; once it has one, only approved
names go out, and a sub-user only those its owner gave it (all of them until the owner
chooses).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from security.events import record
from security.models import EventType

from . import emails
from .models import SenderName, SubUserSenders

MAX_NAMES = 50  # names an account may have asked for (refused ones included)


def allowed_names(user) -> list[str] | None:
    """The names `user` may send as, or None when it may use any (its account has no
    approved name)."""
    approved = list(SenderName.objects.filter(account_id=user.account_id,
                                              status=SenderName.Status.APPROVED)
                    .values_list("name", flat=True))
    if not approved:
        return None
    if user.is_sub_user:
        choice = SubUserSenders.objects.filter(user=user).first()
        if choice is not None:
            given = set(choice.names.values_list("name", flat=True))
            return [name for name in approved if name in given]
    return approved


def refusal(user, sender_id: str) -> str | None:
    """THE sender rule: None when `user` may send as `sender_id` ("" for none), else why not
    (the message of a 403 SENDER_NOT_ALLOWED)."""
    allowed = allowed_names(user)
    if allowed is None or sender_id in allowed:
        return None
    if not allowed:
        return _("You may not send under any sender name yet: ask the account owner to give "
                 "you one of the account's approved names.")
    names = ", ".join(allowed)
    if not sender_id:
        return _("This account sends only under its approved sender names: give sender_id, "
                 "one of %(names)s.") % {"names": names}
    return _("“%(sender)s” is not one of your approved sender names. Use one of %(names)s, or "
             "ask for it on the portal's Sender names page.") % {"sender": sender_id,
                                                                 "names": names}


def ask(account, name: str) -> SenderName:
    """The account owner asks for `name` (validated by `forms.SenderNameForm`); asking again
    for a refused one asks anew. Raises ValidationError when it is already there."""
    with transaction.atomic():
        existing = SenderName.objects.select_for_update().filter(account=account,
                                                                 name=name).first()
        if existing is not None and existing.status != SenderName.Status.REFUSED:
            raise ValidationError(_("You already asked for “%(name)s”.") % {"name": name},
                                  code="duplicate")
        if existing is not None:
            existing.status, existing.asked_at, existing.decided_at = (
                SenderName.Status.PENDING, timezone.now(), None)
            existing.save(update_fields=["status", "asked_at", "decided_at"])
            return existing
        if SenderName.objects.filter(account=account).count() >= MAX_NAMES:
            raise ValidationError(_("An account can ask for at most %(n)d sender names.")
                                  % {"n": MAX_NAMES}, code="too_many")
        try:
            with transaction.atomic():
                return SenderName.objects.create(account=account, name=name)
        except IntegrityError:  # the same name asked for by a parallel request
            raise ValidationError(_("You already asked for “%(name)s”.") % {"name": name},
                                  code="duplicate") from None


def decide(sender: SenderName, approve: bool) -> bool:
    """An operator approves or refuses `sender`, and the account is e-mailed. False when it
    already was so (nothing changes, nobody is told)."""
    status = SenderName.Status.APPROVED if approve else SenderName.Status.REFUSED
    changed = SenderName.objects.filter(pk=sender.pk).exclude(status=status).update(
        status=status, decided_at=timezone.now())
    if not changed:
        return False
    sender.refresh_from_db()
    emails.sender_decided(sender)
    return True


def give(request: HttpRequest | None, owner, sub, names: list[SenderName] | None) -> None:
    """The owner lets `sub` send as `names` (approved names of the owner's; None: all of
    them, also those approved later)."""
    if sub.owner_id != owner.pk or any(n.account_id != owner.pk for n in names or ()):
        raise ValueError("an owner gives only its own names to its own sub-users")
    with transaction.atomic():
        if names is None:
            SubUserSenders.objects.filter(user=sub).delete()
        else:
            choice, _created = SubUserSenders.objects.get_or_create(user=sub)
            choice.names.set(names)
            choice.save(update_fields=["changed_at"])
    shown = ", ".join(n.name for n in names) if names is not None else "all"
    record(request, EventType.SUBUSER_CHANGED, user=owner, sub_user=sub.username,
           senders=shown)


def given(sub) -> list[SenderName] | None:
    """The names chosen for `sub`, or None when it has all of its owner's."""
    choice = SubUserSenders.objects.filter(user=sub).first()
    return None if choice is None else list(choice.names.all())
