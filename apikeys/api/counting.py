"""Aggregated usage counting for server processes: Times Used without a write per request.

A synchronous `UPDATE ... times_used = times_used + 1` on every request is what makes key
checks slow (the figures are in bench/). In a server worker (gunicorn: see
gunicorn.conf.py) `apikeys.usage.count_use` hands its counters here instead: they add up in
memory and a background thread writes them at least once a second, with ONE UPDATE per key
(and one per key and day for the usage chart), in one transaction. They are also written
when the worker exits (gunicorn's worker_exit hook, and atexit as a fallback), so a graceful
shutdown loses nothing. Times Used and Last Used lag by at most about two seconds and are
exact once flushed; a failed write keeps the counts for the next try.

What is never aggregated: the first-IP lock and every refusal (they stay in the key check,
decided by the database at once). Any process that did not call `start()` (tests, the
development server, management commands) counts synchronously, as before.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce, Greatest

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    count: int
    last_used_at: datetime
    last_ip: str


_lock = threading.Lock()
_keys: dict[int, _Pending] = {}
_days: dict[tuple[int, date], int] = {}
_state = {"pid": None, "thread": None, "stop": None}


def active() -> bool:
    """Is this process aggregating (started here, in this very process)?"""
    return _state["pid"] is not None


def _after_fork_in_child() -> None:
    # A forked process has no flusher thread, and the counts it inherited are its parent's
    # to write: it starts afresh (and aggregates only once it calls start()).
    global _lock
    _lock = threading.Lock()  # the parent's may have been held at the fork
    _state.update(pid=None, thread=None, stop=None)
    _keys.clear()
    _days.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def start(interval: float | None = None) -> bool:
    """Aggregate this process's counts from now on; False when the setting turns it off.

    Call once per worker process, after the fork (gunicorn's post_worker_init).
    """
    interval = settings.API_USAGE_FLUSH_SECONDS if interval is None else interval
    if interval <= 0:
        return False
    if active():
        return True
    stop_event = threading.Event()
    thread = threading.Thread(target=_run, args=(interval, stop_event), daemon=True,
                              name="usage-flusher")
    _state.update(pid=os.getpid(), thread=thread, stop=stop_event)
    thread.start()
    atexit.register(stop)
    return True


def stop() -> None:
    """Stop aggregating and write what is pending (worker exit, atexit, tests)."""
    if not active():
        return
    _state["stop"].set()
    thread = _state["thread"]
    if thread is not threading.current_thread():
        thread.join(timeout=5)
    _state.update(pid=None, thread=None, stop=None)
    flush()


def add(key_id: int, now: datetime, ip: str) -> bool:
    """Count one use in memory; False (nothing done) when this process is not aggregating."""
    if not active():
        return False
    day = now.date()
    with _lock:
        pending = _keys.get(key_id)
        if pending is None:
            _keys[key_id] = _Pending(1, now, ip)
        else:
            pending.count += 1
            if now >= pending.last_used_at:
                pending.last_used_at, pending.last_ip = now, ip
        _days[(key_id, day)] = _days.get((key_id, day), 0) + 1
    return True


def pending_uses() -> int:
    with _lock:
        return sum(p.count for p in _keys.values())


def flush() -> int:
    """Write every pending count now; returns how many uses were written."""
    from apikeys.models import APIKey
    from apikeys.usage import add_usage

    with _lock:
        keys, days = dict(_keys), dict(_days)
        _keys.clear()
        _days.clear()
    if not keys and not days:
        return 0
    try:
        with transaction.atomic():
            ip_field = APIKey._meta.get_field("last_ip")
            time_field = APIKey._meta.get_field("last_used_at")
            for key_id, pending in keys.items():
                when = Value(pending.last_used_at, output_field=time_field)
                APIKey.objects.filter(pk=key_id).update(
                    times_used=F("times_used") + pending.count,
                    # Another worker may have written a later use already: keep the latest.
                    last_ip=Case(
                        When(last_used_at__gt=pending.last_used_at, then=F("last_ip")),
                        default=Value(pending.last_ip, output_field=ip_field),
                        output_field=ip_field,
                    ),
                    last_used_at=Greatest(Coalesce(F("last_used_at"), when), when,
                                          output_field=time_field),
                )
            for (key_id, day), count in days.items():
                add_usage(key_id, day, count)
    except Exception:
        log.exception("could not write usage counts; keeping them for the next try")
        _put_back(keys, days)
        return 0
    return sum(p.count for p in keys.values())


def _put_back(keys: dict[int, _Pending], days: dict[tuple[int, date], int]) -> None:
    with _lock:
        for key_id, pending in keys.items():
            current = _keys.get(key_id)
            if current is None:
                _keys[key_id] = pending
            else:
                current.count += pending.count
                if pending.last_used_at > current.last_used_at:
                    current.last_used_at, current.last_ip = pending.last_used_at, pending.last_ip
        for day_key, count in days.items():
            _days[day_key] = _days.get(day_key, 0) + count


def _run(interval: float, stop_event: threading.Event) -> None:
    while not stop_event.wait(interval):
        try:
            flush()
        finally:
            close_old_connections()
