"""Writing counted uses of API keys to the database: many uses in one transaction.

`apikeys.api.counting` adds uses up (in memory, or in Redis) and hands them here: ONE UPDATE
per key (Times Used, Last Used, the last IP) and one per key and day (the usage chart). A
batch taken from Redis is written together with a `UsageBatch` row of its id, so that it
counts exactly once however often it is retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce, Greatest

from .models import APIKey, KeyUsageDay, UsageBatch


@dataclass
class Pending:
    """The uses of one key not written yet: how many, and the latest (time, IP)."""

    count: int
    last_used_at: datetime
    last_ip: str

    def merge(self, other: Pending) -> None:
        self.count += other.count
        if other.last_used_at > self.last_used_at:
            self.last_used_at, self.last_ip = other.last_used_at, other.last_ip


Days = dict[tuple[int, date], int]


def add_usage(key_id: int, day: date, count: int) -> None:
    """Add `count` uses to the key's row for `day`, creating it if needed (race-safe)."""
    if KeyUsageDay.objects.filter(key_id=key_id, date=day).update(count=F("count") + count):
        return
    try:
        # A savepoint, so a lost creation race does not spoil an outer transaction.
        with transaction.atomic():
            KeyUsageDay.objects.create(key_id=key_id, date=day, count=count)
    except IntegrityError:
        KeyUsageDay.objects.filter(key_id=key_id, date=day).update(count=F("count") + count)


def write_uses(keys: dict[int, Pending], days: Days) -> None:
    """Add the pending uses to the keys and their days, in one transaction.

    Rows are written in the order of their ids, as every other writer writes them: two
    workers flushing the same keys at once, each in the order its requests came, would lock
    them crosswise, and PostgreSQL would end one of the two after a second's wait (a
    deadlock), delaying its counts past the promised two seconds.
    """
    ip_field = APIKey._meta.get_field("last_ip")
    time_field = APIKey._meta.get_field("last_used_at")
    with transaction.atomic():
        for key_id, pending in sorted(keys.items()):
            when = Value(pending.last_used_at, output_field=time_field)
            APIKey.objects.filter(pk=key_id).update(
                times_used=F("times_used") + pending.count,
                # Another process may have written a later use already: keep the latest.
                last_ip=Case(
                    When(last_used_at__gt=pending.last_used_at, then=F("last_ip")),
                    default=Value(pending.last_ip, output_field=ip_field),
                    output_field=ip_field,
                ),
                last_used_at=Greatest(Coalesce(F("last_used_at"), when), when,
                                      output_field=time_field),
            )
        for (key_id, day), count in sorted(days.items()):
            add_usage(key_id, day, count)


class _WrittenBefore(Exception):
    pass


def write_batch(batch_id: str, keys: dict[int, Pending], days: Days) -> bool:
    """Write a batch of uses once: False (and nothing written) if it was written before.

    Its `UsageBatch` row goes first: a second writer of the same batch waits on the unique id
    until the first commits, then fails on it and writes nothing.
    """
    try:
        with transaction.atomic():
            try:
                UsageBatch.objects.create(batch_id=batch_id)
            except IntegrityError:
                raise _WrittenBefore from None
            write_uses(keys, days)
    except _WrittenBefore:
        return False
    return True


def prune_batches(before: datetime, keep: set[str]) -> int:
    """Forget the batches written before `before`, except those still in Redis (`keep`).

    A batch id never comes back once it has left Redis, so its row is needed no longer.
    """
    return UsageBatch.objects.filter(created_at__lt=before).exclude(batch_id__in=keep).delete()[0]
