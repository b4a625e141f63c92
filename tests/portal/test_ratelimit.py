"""Rate limits hold exactly across threads (and so across worker processes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from portal import ratelimit
from tests.concurrency import run_together

A_WINDOWS_START = "2026-01-01 12:00:00"  # a minute's (and an hour's) first second


@pytest.mark.django_db
def test_it_allows_up_to_the_limit_then_refuses_with_the_time_to_wait():
    results = [ratelimit.hit("t:a", 3, 60) for _ in range(4)]
    assert [r.allowed for r in results] == [True, True, True, False]
    assert 1 <= results[-1].retry_after <= 60
    assert not ratelimit.peek("t:a", 3, 60).allowed
    assert ratelimit.peek("t:other", 3, 60).allowed


@pytest.mark.django_db
def test_a_new_window_starts_fresh_and_clear_resets():
    for _ in range(3):
        ratelimit.hit("t:b", 3, 60)
    with freeze_time(timezone.now() + timedelta(seconds=61)):
        assert ratelimit.hit("t:b", 3, 60).allowed
    ratelimit.clear("t:b", 60)
    assert ratelimit.peek("t:b", 3, 60).count == 0


@pytest.mark.django_db
def test_any_text_makes_a_valid_key():
    assert ratelimit.hit("login-fail:eve\r\n\x00" + "x" * 500, 1, 60).allowed


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_never_pass_more_than_the_limit():
    allowed = run_together([lambda: ratelimit.hit("t:race", 5, 60).allowed] * 20)
    assert allowed.count(True) == 5
    assert ratelimit.peek("t:race", 5, 60).count == 20


# --- reservations (an event under several limits, all or nothing) -------------------------


def _counts(*keys: str) -> list[int]:
    return [ratelimit.peek(key, 1000, 60).count for key in keys]


@pytest.mark.django_db
@freeze_time(A_WINDOWS_START)  # no window boundary in the middle of the test
def test_a_reservation_takes_every_limit_or_none_and_can_be_given_back():
    limits = [("t:wide", 5, 60), ("t:narrow", 1, 60)]
    first = ratelimit.reserve(limits)
    assert first.allowed and _counts("t:wide", "t:narrow") == [1, 1]
    refused = ratelimit.reserve(limits)
    assert not refused.allowed and 1 <= refused.retry_after <= 60
    assert _counts("t:wide", "t:narrow") == [1, 1]  # the refusal took nothing
    refused.release()  # nothing held: nothing to give back
    first.release()  # the event did not happen after all
    assert _counts("t:wide", "t:narrow") == [0, 0]
    assert ratelimit.reserve(limits).allowed


@pytest.mark.django_db(transaction=True)
@freeze_time(A_WINDOWS_START)  # no window boundary in the middle of the test
def test_concurrent_reservations_pass_exactly_the_narrowest_limit_and_keep_no_refusal():
    limits = [("t:rwide", 5, 60), ("t:rnarrow", 3, 60)]
    allowed = run_together([lambda: ratelimit.reserve(limits).allowed] * 20)
    assert allowed.count(True) == 3
    assert _counts("t:rwide", "t:rnarrow") == [3, 3]


# --- leased limits (the API's per-key limits) ---------------------------------------------


@pytest.mark.django_db
@freeze_time(A_WINDOWS_START)  # no window boundary in the middle of the test
def test_a_leased_limit_allows_exactly_the_limit_then_refuses():
    results = [ratelimit.hit_leased("t:lease", 70, 60) for _ in range(75)]
    assert [r.allowed for r in results] == [True] * 70 + [False] * 5
    assert 1 <= results[-1].retry_after <= 60
    with freeze_time(timezone.now() + timedelta(seconds=61)):
        assert ratelimit.hit_leased("t:lease", 70, 60).allowed  # a new window


@pytest.mark.django_db
@freeze_time(A_WINDOWS_START)  # no window boundary in the middle of the test
def test_a_worker_reserves_events_ahead_and_one_at_a_time_near_the_limit():
    def shared_count():
        return ratelimit.peek("t:few", 3200, 60).count

    assert ratelimit.hit_leased("t:few", 3200, 60).allowed
    assert shared_count() == 100  # one write reserved the next hundred requests
    for _ in range(99):
        assert ratelimit.hit_leased("t:few", 3200, 60).allowed
    assert shared_count() == 100
    while shared_count() < 3200 - 40:
        assert ratelimit.hit_leased("t:few", 3200, 60).allowed
    for _ in range(3):  # use up what is still reserved
        ratelimit.hit_leased("t:few", 3200, 60)
    counts = []
    while ratelimit.hit_leased("t:few", 3200, 60).allowed:
        counts.append(shared_count())
    assert counts[-1] == 3200 and counts[-10:] == list(range(3191, 3201))


def _hit_until_refused(key: str, limit: int) -> int:
    allowed = refused = 0
    while refused < 3:
        if ratelimit.hit_leased(key, limit, 60).allowed:
            allowed, refused = allowed + 1, 0
        else:
            refused += 1
    return allowed


@pytest.mark.django_db(transaction=True)
def test_worker_processes_together_never_pass_more_than_the_limit():
    """Three forked processes (as gunicorn's workers), each with its own leases, share one
    count: together they pass exactly the limit, each using up what it reserved."""
    import os

    from django.db import connections

    with freeze_time(timezone.now()):  # no window boundary in the middle of the test
        children = []
        for _ in range(3):
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: new database connections, then hit until refused
                code = 1
                try:
                    for connection in connections.all():
                        connection.connection = None  # the parent's: never close it here
                    os.write(write, str(_hit_until_refused("t:procs", 500)).encode())
                    code = 0
                finally:
                    os._exit(code)
            os.close(write)
            children.append((pid, read))
        counts = []
        for pid, read in children:
            counts.append(int(os.read(read, 64) or b"-1"))
            os.close(read)
            assert os.waitpid(pid, 0)[1] == 0
        # Read in the same frozen minute: outside it, a new window may have begun.
        assert ratelimit.peek("t:procs", 500, 60).count >= 500
    assert sum(counts) == 500, counts


@pytest.mark.django_db(transaction=True)
@freeze_time(A_WINDOWS_START)  # no window boundary in the middle of the test
def test_concurrent_leased_hits_never_pass_more_than_the_limit():
    allowed = run_together([lambda: ratelimit.hit_leased("t:lrace", 5, 60).allowed] * 20)
    assert allowed.count(True) == 5


@pytest.mark.django_db(transaction=True)
@freeze_time(A_WINDOWS_START)  # no window boundary in the middle of the test
def test_concurrent_leased_hits_under_the_limit_all_pass():
    # Threads that find no reserved events wait for one reservation and share it, rather
    # than each reserving its own and using up the window between them.
    allowed = run_together([lambda: ratelimit.hit_leased("t:lmany", 1000, 60).allowed] * 50)
    assert allowed.count(True) == 50
    assert ratelimit.peek("t:lmany", 1000, 60).count <= 50 + 31


@pytest.mark.django_db(transaction=True)
def test_a_one_time_value_is_accepted_once_even_at_the_same_moment():
    firsts = run_together([lambda: ratelimit.first_time("nonce:1700000000|ab12", 660)] * 10)
    assert firsts.count(True) == 1
    assert ratelimit.first_time("nonce:1700000000|cd34", 660)
    assert not ratelimit.first_time("nonce:1700000000|cd34", 660)
