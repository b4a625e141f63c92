"""Aggregated usage counting: Times Used without a database write per request.

A synchronous `UPDATE ... times_used = times_used + 1` on every request is what makes key
checks slow (the figures are in bench/). So `apikeys.usage.count_use` hands its counters
here, and the first use counted in a process starts that process's flusher, a thread that
writes them every API_USAGE_FLUSH_SECONDS (default 1; 0 writes each use at once): ONE
UPDATE per key, and one per key and day for the usage chart, in one transaction
(`apikeys.usage_writes`). That works under any WSGI server; gunicorn.conf.py also starts
the flusher as each worker boots.

Where the counts wait:
- Without Redis, in this process's memory. A graceful stop writes them (gunicorn's
  worker_exit hook; atexit under any server), but a killed process loses what it had not
  written yet: up to API_USAGE_FLUSH_SECONDS of its counts (more if the database was away).
- With REDIS_URL, in Redis (`counting_redis`), one round trip per use: no count is lost when
  a process is killed, and any process's flusher writes them, exactly once.

Times Used and Last Used lag by at most about two seconds and are exact once written; a
failed write keeps the counts for the next try. Never aggregated: the first-IP lock and every
refusal (they stay in the key check, decided by the database at once).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from redis.exceptions import RedisError

from apikeys import usage_writes
from apikeys.usage_writes import Days, Pending

from . import counting_redis

log = logging.getLogger(__name__)

_lock = threading.Lock()  # the in-memory counts
_life = threading.Lock()  # starting and stopping the flusher
_keys: dict[int, Pending] = {}
_days: Days = {}
_state: dict = {"pid": None, "thread": None, "stop": None, "redis": False, "closed": False,
                "failed_at": None}


def active() -> bool:
    """Is this process aggregating (its flusher started here, in this very process)?"""
    return _state["pid"] is not None


def _after_fork_in_child() -> None:
    # A forked process has no flusher thread, and the counts it inherited are its parent's
    # to write: it starts afresh (and starts its own flusher when it counts).
    global _lock, _life
    _lock, _life = threading.Lock(), threading.Lock()  # the parent's may have been held
    _state.update(pid=None, thread=None, stop=None, redis=False, closed=False)
    _keys.clear()
    _days.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def start(interval: float | None = None) -> bool:
    """Aggregate this process's counts from now on; False when the setting turns it off.

    The first `add` calls it; gunicorn.conf.py calls it as each worker boots, so that every
    worker's flusher also writes what killed ones left in Redis.
    """
    interval = settings.API_USAGE_FLUSH_SECONDS if interval is None else interval
    if interval <= 0:
        return False
    with _life:
        if active():
            return True
        if _state["closed"]:  # the process is exiting: count at once from now on
            return False
        stop_event = threading.Event()
        thread = threading.Thread(target=_run, args=(interval, stop_event), daemon=True,
                                  name="usage-flusher")
        try:
            thread.start()
        except RuntimeError:  # the interpreter is shutting down: count at once
            return False
        _state.update(pid=os.getpid(), thread=thread, stop=stop_event,
                      redis=bool(settings.REDIS_URL))
    return True


def stop() -> None:
    """Stop aggregating and write what is pending (tests; `close` at exit)."""
    with _life:
        if not active():
            return
        _state["stop"].set()
        thread = _state["thread"]
        if thread is not threading.current_thread():
            thread.join(timeout=5)
        _state.update(pid=None, thread=None, stop=None, redis=False)
    flush()


@atexit.register
def close() -> None:
    """The process is exiting gracefully: write what is pending, count at once from now on."""
    _state["closed"] = True
    stop()


def add(key_id: int, now: datetime, ip: str) -> bool:
    """Count one use; False (nothing done) when the setting says to write it at once.

    With REDIS_URL it goes to Redis, and raises redis' ConnectionError while Redis is away
    (the API answers 503).
    """
    if _state["pid"] is None and not start():
        return False
    if _state["redis"]:
        counting_redis.add(key_id, now, ip)
        return True
    day = now.date()
    with _lock:
        pending = _keys.get(key_id)
        if pending is None:
            _keys[key_id] = Pending(1, now, ip)
        else:
            pending.count += 1
            if now >= pending.last_used_at:
                pending.last_used_at, pending.last_ip = now, ip
        _days[(key_id, day)] = _days.get((key_id, day), 0) + 1
    return True


def pending_uses() -> int:
    """Uses counted and not written yet: this process's, and with Redis everyone's."""
    with _lock:
        in_memory = sum(p.count for p in _keys.values())
    return in_memory + (counting_redis.pending_uses() if settings.REDIS_URL else 0)


def flush() -> int:
    """Write every pending count now; returns how many uses were written. Never raises:
    what could not be written stays for the next try."""
    written = _flush_memory()
    if settings.REDIS_URL:
        try:
            written += counting_redis.flush()
        except Exception as exc:
            _failed(exc)
    return written


def _flush_memory() -> int:
    with _lock:
        keys, days = dict(_keys), dict(_days)
        _keys.clear()
        _days.clear()
    if not keys and not days:
        return 0
    try:
        usage_writes.write_uses(keys, days)
    except Exception as exc:
        _failed(exc)
        _put_back(keys, days)
        return 0
    return sum(p.count for p in keys.values())


def _failed(exc: Exception) -> None:
    # Once a minute per process: the flusher retries every second while a service is away.
    # The database or Redis away is no bug: one line, no traceback.
    now = time.monotonic()
    if _state["failed_at"] is None or now - _state["failed_at"] >= 60:
        _state["failed_at"] = now
        log.warning("could not write usage counts (%s: %s); keeping them for the next try",
                    type(exc).__name__, str(exc)[:200],
                    exc_info=not isinstance(exc, (DatabaseError, RedisError)))


def _put_back(keys: dict[int, Pending], days: Days) -> None:
    with _lock:
        for key_id, pending in keys.items():
            current = _keys.get(key_id)
            if current is None:
                _keys[key_id] = pending
            else:
                current.merge(pending)
        for day_key, count in days.items():
            _days[day_key] = _days.get(day_key, 0) + count


def _run(interval: float, stop_event: threading.Event) -> None:
    while not stop_event.wait(interval):
        try:
            flush()
        finally:
            close_old_connections()
