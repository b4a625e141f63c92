"""Fixed-window rate limits shared by every worker process.

With Redis (REDIS_URL) a window is a cache key: `cache.add` creates it and `cache.incr`
(Redis INCR) counts atomically. Without Redis a window is a row of `RateCounter`, counted
with one atomic upsert (INSERT ... ON CONFLICT DO UPDATE ... RETURNING), which SQLite and
PostgreSQL both run as one statement. The count itself never lives in process memory.

`hit` counts every event in the shared store: login attempts, codes, resets. `reserve`
counts one event under several limits at once, all or nothing, before an event that costs
(an SMS): what a refusal took is given back, and so is the whole reservation if the event
then does not happen. `hit_leased`
is for the API's per-key limits, checked on every request: a worker reserves a few events
of the window at once from the shared count (one write for many requests) and hands them
out from memory. Leases are small (about 1/32 of what is left of the window, 1 near the
end), so across all workers no more than `limit` events ever pass; the price is that a
worker may still hold a few reserved events when another is refused.
"""

from __future__ import annotations

import functools
import hashlib
import os
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import F


@dataclass(frozen=True)
class Limit:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window ends (0 when allowed)


def _hash(key: str) -> str:
    # Keys carry client input (usernames, e-mail addresses): hash them so that any text
    # makes a valid, bounded key on every backend.
    return hashlib.sha256(key.encode()).hexdigest()[:40]


# The API's per-key limits ask for the same few keys all the time.
_digest = lru_cache(maxsize=4096)(_hash)


def _window(key: str, window: int) -> tuple[str, int, int]:
    now = int(time.time())
    start = now - now % window
    return _digest(key), start, start + window - now


def _use_cache() -> bool:
    return bool(settings.REDIS_URL)


@functools.cache
def _upsert_sql() -> str:
    from .models import RateCounter

    qn = connection.ops.quote_name
    table = qn(RateCounter._meta.db_table)
    # One statement that both SQLite and PostgreSQL run atomically; names from _meta.
    return (f"INSERT INTO {table} (bucket, window_start, count, expires) "  # noqa: S608
            "VALUES (%(bucket)s, %(start)s, %(amount)s, %(expires)s) "
            f"ON CONFLICT (bucket, window_start) DO UPDATE SET count = {table}.count + "
            "%(amount)s RETURNING count")


def _upsert(bucket: str, start: int, amount: int, expires: int) -> int:
    """Add `amount` to a counter row (made if missing) and return its new count, on Django's
    connection (its health checks and error translation apply)."""
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(), {"bucket": bucket, "start": start, "amount": amount,
                                       "expires": expires})
        return cursor.fetchone()[0]


def _count_up(digest: str, start: int, window: int, amount: int = 1) -> int:
    """Add `amount` events to the window's shared count; return the new count."""
    if _use_cache():
        cache_key = f"rl:{digest}:{start}"
        if cache.add(cache_key, amount, timeout=window + 1):
            return amount
        try:
            return cache.incr(cache_key, amount)
        except ValueError:  # expired between add and incr
            cache.add(cache_key, amount, timeout=window + 1)
            return amount
    count = _upsert(digest, start, amount, start + window)
    if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
        _purge()
    return count


def _count_down(digest: str, start: int) -> None:
    """Take back one event counted in the window starting at `start` (by `_count_up`)."""
    if _use_cache():
        try:
            cache.decr(f"rl:{digest}:{start}")
        except ValueError:  # the window ended and its count expired: nothing to give back
            pass
        return
    from .models import RateCounter

    RateCounter.objects.filter(bucket=digest, window_start=start).update(count=F("count") - 1)


def _purge() -> None:
    from .models import RateCounter

    RateCounter.objects.filter(expires__lt=int(time.time())).delete()


def _current(digest: str, start: int) -> int:
    if _use_cache():
        return cache.get(f"rl:{digest}:{start}") or 0
    from .models import RateCounter

    return (RateCounter.objects.filter(bucket=digest, window_start=start)
            .values_list("count", flat=True).first() or 0)


def hit(key: str, limit: int, window: int) -> Limit:
    """Count one event under `key`; refuse once `limit` events fell in this window."""
    digest, start, remaining = _window(key, window)
    count = _count_up(digest, start, window)
    if count > limit:
        return Limit(False, count, max(remaining, 1))
    return Limit(True, count, 0)


@dataclass(frozen=True)
class Reservation(Limit):
    """One event counted by `reserve` under each of its limits, until `release`d."""

    held: tuple[tuple[str, int], ...] = ()  # (key digest, window start) of each count

    def release(self) -> None:
        """Give the event back to every limit (it did not happen after all)."""
        for digest, start in self.held:
            _count_down(digest, start)


def reserve(limits: Iterable[tuple[str, int, int]]) -> Reservation:
    """Count one event under every (key, limit, window) of `limits`, all or nothing.

    Each count is one atomic count-up, so parallel callers never pass more than a limit
    between them; there is no read before it to race with. At the first limit that refuses,
    the counts already taken (that one's too) are given back and the refusal is returned.
    A caller may then lose a race it would have won a moment later (another caller's count
    was briefly held), never pass one it should have lost. Put the narrowest limits first:
    a refusal there takes nothing, even briefly, from the wider ones.
    """
    held: list[tuple[str, int]] = []
    count = 0
    for key, limit, window in limits:
        digest, start, remaining = _window(key, window)
        count = _count_up(digest, start, window)
        held.append((digest, start))
        if count > limit:
            Reservation(False, count, 0, tuple(held)).release()
            return Reservation(False, count, max(remaining, 1))
    return Reservation(True, count, 0, tuple(held))


@dataclass
class _Lease:
    start: int  # the window it belongs to
    left: int = 0  # events reserved and not yet handed out
    count: int = 0  # the shared count when this process last reserved
    lock: threading.Lock = field(default_factory=threading.Lock)  # one reservation at a time


_leases: dict[str, _Lease] = {}
_leases_lock = threading.Lock()
MAX_LEASE = 100
MAX_LEASES = 10_000  # per process; older windows' leases are dropped beyond this


def _lease_size(limit: int, known_count: int) -> int:
    return max(1, min(MAX_LEASE, (limit - known_count) // 32))


def _lease(digest: str, start: int) -> _Lease:
    with _leases_lock:
        lease = _leases.get(digest)
        if lease is None or lease.start != start:
            if len(_leases) >= MAX_LEASES:
                for stale in [k for k, v in _leases.items() if v.start != start]:
                    del _leases[stale]
            lease = _leases[digest] = _Lease(start)
        return lease


def hit_leased(key: str, limit: int, window: int) -> Limit:
    """As `hit`, with events reserved from the shared count a few at a time (see above)."""
    digest, start, remaining = _window(key, window)
    lease = _lease(digest, start)
    # Threads of one process wait for one reservation, then share what it brought.
    with lease.lock:
        if lease.left > 0:
            lease.left -= 1
            return Limit(True, lease.count, 0)
        if lease.count < limit:
            amount = _lease_size(limit, lease.count)
            count = _count_up(digest, start, window, amount)
            granted = max(0, min(amount, limit - (count - amount)))
            lease.count = max(lease.count, count)
            if granted:
                lease.left = granted - 1
                return Limit(True, count, 0)
        return Limit(False, lease.count, max(remaining, 1))


def first_time(key: str, ttl: int) -> bool:
    """Is this the first time `key` is seen in `ttl` seconds, across every process?

    For one-time values such as an HMAC request's (timestamp, signature) pair: Redis SET NX
    when configured, otherwise one upsert on the counters' table (window 0: no time window;
    the row expires after `ttl`). Django's database cache would take a read, a write and a
    transaction (~0.2 ms) for the same answer.
    """
    digest = _hash(key)  # every value is new: keep it out of _digest's cache
    if _use_cache():
        return cache.add(f"once:{digest}", 1, timeout=ttl)
    expires = int(time.time()) + ttl
    count = _upsert(digest, 0, 1, expires)
    if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
        _purge()
    return count == 1


def forget_leases() -> None:
    """Drop this process's reserved events (tests: the counts they came from were rolled
    back with the test's database)."""
    with _leases_lock:
        _leases.clear()


def _after_fork_in_child() -> None:
    # What the parent reserved is the parent's to hand out: a forked worker using it too
    # would pass more than the limit.
    global _leases_lock
    _leases_lock = threading.Lock()
    _leases.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def peek(key: str, limit: int, window: int) -> Limit:
    """Tell whether one more event would pass, without counting it."""
    digest, start, remaining = _window(key, window)
    count = _current(digest, start)
    if count >= limit:
        return Limit(False, count, max(remaining, 1))
    return Limit(True, count, 0)


def clear(key: str, window: int) -> None:
    digest, start, _remaining = _window(key, window)
    with _leases_lock:
        _leases.pop(digest, None)  # this process's; other workers' leases only allow
    if _use_cache():
        cache.delete(f"rl:{digest}:{start}")
        return
    from .models import RateCounter

    RateCounter.objects.filter(bucket=digest, window_start=start).delete()
