"""Recording one accepted use of a key: the IP lock and the counters, all atomic.

`count_use` is where every use is counted. The counters are added up for speed
(apikeys.api.counting, written by apikeys.usage_writes) unless API_USAGE_FLUSH_SECONDS is
0; what must hold either way: no use lost or counted twice, and the IP lock decided at once
by the database.
"""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from portal.ipnets import ip_in

from . import addresses
from .api import counting
from .models import APIKey, KeyWhitelistEntry
from .usage_writes import add_usage


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
    set, and today's (UTC) KeyUsageDay goes up by one. These counters are added up (in
    memory, or in Redis) and written every API_USAGE_FLUSH_SECONDS, one UPDATE per key
    (apikeys.api.counting); with the setting at 0 they are written here. The IP lock above
    is always decided at once. The counters are read from the database, never from `key`
    (which holds only what the check read).
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
