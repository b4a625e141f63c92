"""Sub-users: people under one customer account, each with only what they need.

The rules live here and nowhere else: who may manage whom and what one may grant (never
more than one has: `grant_refusals`), sending hours, the monthly limit. The portal pages,
the JSON API and the admin call these functions.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time

from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal import emails
from security.events import record
from security.models import EventType

from .models import MonthlyUsage, Permission, User


def account_owner(user: User) -> User:
    return user.owner if user.owner_id else user


def account_zone(user: User) -> zoneinfo.ZoneInfo:
    """The time zone of the user's account (its owner's setting; UTC when unknown)."""
    try:
        return zoneinfo.ZoneInfo(account_owner(user).time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def grantable(actor: User) -> list[str]:
    """The permissions `actor` may hand out: never more than it has itself."""
    if not actor.is_sub_user:
        return list(Permission.values)
    if not actor.has_portal_permission(Permission.MANAGE_USERS):
        return []
    return [p for p in Permission.values if p in (actor.permissions or [])]


def manageable(actor: User):
    """The sub-users `actor` may see and change (never itself)."""
    owner_id = actor.account_id
    return (User.objects.filter(owner_id=owner_id).exclude(pk=actor.pk)
            .order_by("username"))


@dataclass(frozen=True)
class Grant:
    """What a sub-user is given: permissions, monthly limit, sending window (None: none)."""

    permissions: list[str]
    monthly_limit: int | None = None
    sending_hours_start: time | None = None
    sending_hours_end: time | None = None

    @classmethod
    def of(cls, user: User) -> Grant:
        return cls(list(user.permissions or []), user.monthly_limit, user.sending_hours_start,
                   user.sending_hours_end)


class GrantRefused(PermissionError):
    """A grant beyond the granter's own (a PermissionError). `errors`: field -> message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def grant_refusals(actor: User, grant: Grant) -> dict[str, str]:
    """THE grant rule (SEC-42): what in `grant` is wider than `actor`'s own, as field name ->
    message; empty when `actor` may give it all.

    Permissions within those it may grant (`grantable`); a monthly limit no higher than its
    own; a sending window inside its own (the account's time zone, windows past midnight
    included). An account owner has no limits. Every door of a customer calls this (the pages
    through `SubUserForm`, the flows below); operators in the admin act for the service and
    are not bound by it.
    """
    errors: dict[str, str] = {}
    if not actor.is_sub_user:
        return errors  # an owner has no limits (the sending rules hold sub-users only)
    beyond = [p for p in grant.permissions if p not in grantable(actor)]
    if beyond:
        names = ", ".join(str(Permission(p).label) if p in Permission.values else p
                          for p in beyond)
        errors["permissions"] = _("You cannot grant what you do not have yourself: "
                                  "%(names)s.") % {"names": names}
    own_limit = actor.monthly_limit
    if own_limit is not None and (grant.monthly_limit is None or grant.monthly_limit > own_limit):
        errors["monthly_limit"] = ngettext(
            "You may send at most %(n)d message a month yourself, so give a limit of at most "
            "%(n)d.",
            "You may send at most %(n)d messages a month yourself, so give a limit of at most "
            "%(n)d.", own_limit) % {"n": own_limit}
    own = _window(actor.sending_hours_start, actor.sending_hours_end)
    if own is not None:
        given = _window(grant.sending_hours_start, grant.sending_hours_end)
        if given is None or not _inside(given, own):
            errors["sending_hours_start"] = _(
                "You may send only between %(start)s and %(end)s yourself, so give a sending "
                "window inside it.") % {"start": actor.sending_hours_start.strftime("%H:%M"),
                                        "end": actor.sending_hours_end.strftime("%H:%M")}
    return errors


def checked_grant(actor: User, *, permissions: list[str], monthly_limit: int | None,
                  sending_hours_start: time | None, sending_hours_end: time | None) -> Grant:
    """The grant the flows write; GrantRefused unless `actor` may give it all."""
    grant = Grant(sorted(set(permissions)), monthly_limit, sending_hours_start,
                  sending_hours_end)
    errors = grant_refusals(actor, grant)
    if errors:
        raise GrantRefused(errors)
    return grant


_DAY = 24 * 60 * 60 * 1_000_000  # a day in microseconds, the finest a TimeField holds


def _moment(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def _window(start: time | None, end: time | None) -> list[tuple[int, int]] | None:
    """A daily window [start, end) as spans within one day; past midnight, two spans."""
    if start is None or end is None:
        return None
    a, b = _moment(start), _moment(end)
    return [(a, b)] if a < b else [(a, _DAY), (0, b)]


def _inside(inner: list[tuple[int, int]], outer: list[tuple[int, int]]) -> bool:
    # Both are cut at midnight the same way, and a window's own spans never touch
    # (start != end), so each inner span must lie within one outer span.
    return all(any(o1 <= i1 and i2 <= o2 for o1, o2 in outer) for i1, i2 in inner)


def can_manage(actor: User, target: User) -> bool:
    """May `actor` change `target`: one of its account's other people, holding nothing (no
    permission, no looser limit or window) that `actor` could not grant."""
    return (
        target.owner_id == actor.account_id
        and target.pk != actor.pk
        and actor.has_portal_permission(Permission.MANAGE_USERS)
        and not grant_refusals(actor, Grant.of(target))
    )


# --- flows ----------------------------------------------------------------------------------


def invite(request: HttpRequest, actor: User, *, username: str, email: str,
           permissions: list[str], sending_hours_start: time | None = None,
           sending_hours_end: time | None = None, monthly_limit: int | None = None) -> User:
    """Create a sub-user with no password yet and e-mail it a link to choose one.

    Raises GrantRefused for anything wider than `actor`'s own (`grant_refusals`)."""
    grant = checked_grant(actor, permissions=permissions, monthly_limit=monthly_limit,
                          sending_hours_start=sending_hours_start,
                          sending_hours_end=sending_hours_end)
    sub = User(
        username=username,
        email=email,
        owner_id=actor.account_id,
        permissions=grant.permissions,
        sending_hours_start=sending_hours_start,
        sending_hours_end=sending_hours_end,
        monthly_limit=monthly_limit,
        email_confirmed=True,  # the invitation link proves the address
        language=actor.language,
        time_zone=account_owner(actor).time_zone,
    )
    sub.set_unusable_password()
    sub.save()
    record(request, EventType.SUBUSER_INVITED, user=actor, sub_user=sub.username,
           permissions=sub.permissions)
    _send_invitation(request, actor, sub)
    return sub


def _send_invitation(request: HttpRequest, actor: User, sub: User) -> None:
    uid = urlsafe_base64_encode(force_bytes(sub.pk))
    token = default_token_generator.make_token(sub)
    link = request.build_absolute_uri(
        reverse("accounts:password_reset_confirm", args=[uid, token]))
    emails.send("subuser-invitation", sub.email,
                {"user": sub, "inviter": actor.get_username(), "link": link},
                language=sub.language)


def update(request: HttpRequest, actor: User, sub: User, *, permissions: list[str],
           sending_hours_start: time | None, sending_hours_end: time | None,
           monthly_limit: int | None) -> None:
    """Change what `sub` may do. PermissionError if `actor` may not manage it; GrantRefused
    for anything wider than `actor`'s own (`grant_refusals`)."""
    if not can_manage(actor, sub):
        raise PermissionError("not yours to manage")
    grant = checked_grant(actor, permissions=permissions, monthly_limit=monthly_limit,
                          sending_hours_start=sending_hours_start,
                          sending_hours_end=sending_hours_end)
    sub.permissions = grant.permissions
    sub.sending_hours_start = sending_hours_start
    sub.sending_hours_end = sending_hours_end
    sub.monthly_limit = monthly_limit
    sub.save(update_fields=["permissions", "sending_hours_start", "sending_hours_end",
                            "monthly_limit"])
    record(request, EventType.SUBUSER_CHANGED, user=actor, sub_user=sub.username,
           permissions=sub.permissions)


def set_suspended(request: HttpRequest, actor: User, sub: User, suspended: bool) -> None:
    """Suspending stops the sub-user's sessions, tokens and keys on their next request."""
    if not can_manage(actor, sub):
        raise PermissionError("not yours to manage")
    sub.is_active = not suspended
    sub.save(update_fields=["is_active"])
    # An inactive user's sessions no longer authenticate (Django's backend refuses them on
    # the next request), its keys are refused by the key check, and its JWTs end here.
    User.objects.filter(pk=sub.pk).update(token_epoch=F("token_epoch") + 1)
    record(request, EventType.SUBUSER_SUSPENDED if suspended else EventType.SUBUSER_CHANGED,
           user=actor, sub_user=sub.username, active=sub.is_active)


def delete(request: HttpRequest, actor: User, sub: User) -> None:
    """Delete a sub-user and its keys; its security events stay (with its username)."""
    if not can_manage(actor, sub):
        raise PermissionError("not yours to manage")
    record(request, EventType.SUBUSER_DELETED, user=actor, sub_user=sub.username)
    sub.delete()


# --- sending rules --------------------------------------------------------------------------


def within_sending_hours(user: User, now: datetime | None = None) -> bool:
    """Is `now` inside the sub-user's sending window (the account's time zone)?

    No window means any time. A window may run past midnight (22:00 to 06:00).
    """
    start, end = user.sending_hours_start, user.sending_hours_end
    if start is None or end is None:
        return True
    local = (now or timezone.now()).astimezone(account_zone(user)).time()
    if start <= end:
        return start <= local < end
    return local >= start or local < end


@dataclass(frozen=True)
class Reservation:
    ok: bool
    used: int = 0
    limit: int | None = None


def _month(now: datetime | None = None) -> date:
    return (now or timezone.now()).date().replace(day=1)


def reserve_messages(user: User, count: int, now: datetime | None = None) -> Reservation:
    """Count `count` messages against the monthly limit, all or none, exactly under
    concurrency: one conditional UPDATE that only succeeds while the limit holds."""
    if user.monthly_limit is None:
        return Reservation(True)
    month = _month(now)
    limit = user.monthly_limit
    if count > limit:
        return Reservation(False, limit=limit)
    try:
        with transaction.atomic():
            MonthlyUsage.objects.get_or_create(user=user, month=month)
    except IntegrityError:  # created by a parallel request
        pass
    updated = MonthlyUsage.objects.filter(
        user=user, month=month, count__lte=limit - count
    ).update(count=F("count") + count)
    used = MonthlyUsage.objects.filter(user=user, month=month).values_list("count",
                                                                        flat=True).first()
    return Reservation(bool(updated), used or 0, limit)


def release_messages(user: User, count: int, now: datetime | None = None) -> None:
    """Give back a reservation for messages that were not sent after all."""
    if user.monthly_limit is None or count <= 0:
        return
    MonthlyUsage.objects.filter(user=user, month=_month(now), count__gte=count).update(
        count=F("count") - count)


def messages_this_month(user: User, now: datetime | None = None) -> int:
    return (MonthlyUsage.objects.filter(user=user, month=_month(now))
            .values_list("count", flat=True).first() or 0)


def describe_refusal(user: User, reservation: Reservation | None = None) -> str:
    if reservation is not None:
        return _("The monthly limit of %(limit)d messages is reached (%(used)d sent this "
                 "month).") % {"limit": reservation.limit or 0, "used": reservation.used}
    return _("Sending is allowed only between %(start)s and %(end)s (%(zone)s).") % {
        "start": user.sending_hours_start.strftime("%H:%M") if user.sending_hours_start else "",
        "end": user.sending_hours_end.strftime("%H:%M") if user.sending_hours_end else "",
        "zone": account_owner(user).time_zone,
    }
