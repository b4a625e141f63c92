"""Fixed-window rate limits shared by every worker process.

With Redis (REDIS_URL) a window is a cache key: `cache.add` creates it and `cache.incr`
(Redis INCR) counts atomically. Without Redis a window is a row of `RateCounter`, counted
with one atomic upsert (INSERT ... ON CONFLICT DO UPDATE ... RETURNING), which SQLite and
PostgreSQL both run as one statement. Never per-process memory.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection


@dataclass(frozen=True)
class Limit:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window ends (0 when allowed)


def _window(key: str, window: int) -> tuple[str, int, int]:
    now = int(time.time())
    start = now - now % window
    # Keys carry client input (usernames, e-mail addresses): hash them so that any text
    # makes a valid, bounded key on every backend.
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    return digest, start, start + window - now


def _use_cache() -> bool:
    return bool(settings.REDIS_URL)


_UPSERT = (
    "INSERT INTO portal_ratecounter (bucket, window_start, count, expires) "
    "VALUES (%s, %s, 1, %s) "
    "ON CONFLICT (bucket, window_start) DO UPDATE SET count = portal_ratecounter.count + 1 "
    "RETURNING count"
)


def _count_up(digest: str, start: int, window: int) -> int:
    if _use_cache():
        cache_key = f"rl:{digest}:{start}"
        if cache.add(cache_key, 1, timeout=window + 1):
            return 1
        try:
            return cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.add(cache_key, 1, timeout=window + 1)
            return 1
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [digest, start, start + window])
        count = cursor.fetchone()[0]
    if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
        _purge()
    return count


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


def peek(key: str, limit: int, window: int) -> Limit:
    """Tell whether one more event would pass, without counting it."""
    digest, start, remaining = _window(key, window)
    count = _current(digest, start)
    if count >= limit:
        return Limit(False, count, max(remaining, 1))
    return Limit(True, count, 0)


def clear(key: str, window: int) -> None:
    digest, start, _remaining = _window(key, window)
    if _use_cache():
        cache.delete(f"rl:{digest}:{start}")
        return
    from .models import RateCounter

    RateCounter.objects.filter(bucket=digest, window_start=start).delete()
