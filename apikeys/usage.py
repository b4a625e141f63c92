"""Recording one accepted use of a key: the IP lock and the counters, all atomic.

`count_use` is the only writer of Times Used, Last Used, the last IP and the per-day counts.
It is kept apart from the check so that the API may swap it for one that aggregates in
memory and flushes (what must hold either way: no use lost or counted twice, and the IP
lock decided at once by the database).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from portal.ipnets import ip_in

from . import addresses
from .api import counting
from .models import APIKey, KeyUsageDay, KeyWhitelistEntry


def lock_first_ip(key, ip: str) -> bool:
    """Record the first IP that uses `key` (a model or the key check's row); lock the key to
    it if its type locks (`addresses.locks_to_first_ip`: Default keys, Zoho CRM keys while
    no Zoho ranges are set).

    One conditional UPDATE (`WHERE locked_ip IS NULL`) decides: of two racing first requests
    from different IPs exactly one sets its IP. The loser is allowed on only if its IP is the
    winner's or on the key's whitelist; other keys record the IP for information and are
    never refused here.
    """
    if key.locked_ip is not None:
        return True
    won = APIKey.objects.filter(pk=key.pk, locked_ip__isnull=True).update(locked_ip=ip)
    if won:
        key.locked_ip = ip
        return True
    key.locked_ip = APIKey.objects.filter(pk=key.pk).values_list("locked_ip", flat=True).first()
    if not addresses.locks_to_first_ip(key.type):
        return True
    if key.locked_ip is not None and ip_in(ip, [key.locked_ip]):
        return True
    return ip_in(ip, KeyWhitelistEntry.objects.filter(key_id=key.pk)
                 .values_list("value", flat=True))


def count_use(key, ip: str) -> bool:
    """Count one accepted request of `key` from `ip`. False: the IP lock went to another IP.

    Times Used goes up by exactly one (F(), in the database), Last Used and the last IP are
    set, and today's (UTC) KeyUsageDay goes up by one. In a server worker (gunicorn.conf.py)
    these counters are added up in memory and written at least once a second, one UPDATE per
    key (apikeys.api.counting); the IP lock above is always decided at once. The counters
    are read from the database, never from `key` (which holds only what the check read).
    """
    if not lock_first_ip(key, ip):
        return False
    now = timezone.now()
    if not counting.add(key.pk, now, ip):
        APIKey.objects.filter(pk=key.pk).update(
            times_used=F("times_used") + 1, last_used_at=now, last_ip=ip
        )
        add_usage(key.pk, now.date(), 1)
    return True


def add_usage(key_id: int, day, count: int) -> None:
    """Add `count` uses to the key's row for `day`, creating it if needed (race-safe)."""
    if KeyUsageDay.objects.filter(key_id=key_id, date=day).update(count=F("count") + count):
        return
    try:
        # A savepoint, so a lost creation race does not spoil an outer transaction.
        with transaction.atomic():
            KeyUsageDay.objects.create(key_id=key_id, date=day, count=count)
    except IntegrityError:
        KeyUsageDay.objects.filter(key_id=key_id, date=day).update(count=F("count") + count)
