"""Fixed-window rate limits on the shared cache.

The cache is the database cache or Redis, never per-process memory, so a limit holds
across every worker process. `cache.add` creates the window atomically; `cache.incr` is
atomic on Redis and a single UPDATE on the database cache.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window ends (0 when allowed)


def _window_key(key: str, window: int) -> tuple[str, int]:
    now = int(time.time())
    start = now - now % window
    # Keys carry client input (usernames, e-mail addresses): hash them so that any text
    # makes a valid, bounded cache key on every backend.
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"rl:{digest}:{start}", start + window - now


def hit(key: str, limit: int, window: int) -> Limit:
    """Count one event under `key`; refuse once `limit` events fell in this window."""
    cache_key, remaining = _window_key(key, window)
    if cache.add(cache_key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.add(cache_key, 1, timeout=window + 1)
            count = 1
    if count > limit:
        return Limit(False, count, max(remaining, 1))
    return Limit(True, count, 0)


def peek(key: str, limit: int, window: int) -> Limit:
    """Tell whether one more event would pass, without counting it."""
    cache_key, remaining = _window_key(key, window)
    count = cache.get(cache_key) or 0
    if count >= limit:
        return Limit(False, count, max(remaining, 1))
    return Limit(True, count, 0)


def clear(key: str, window: int) -> None:
    cache_key, _ = _window_key(key, window)
    cache.delete(cache_key)
