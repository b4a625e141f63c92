"""Rate limits hold exactly across threads (and so across worker processes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from portal import ratelimit
from tests.concurrency import run_together


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
