"""Is this key alive: one rule on the model, the same in Python and in SQL, and the key
check, the states shown and regeneration all follow it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apikeys import flows
from apikeys.models import APIKey

from .conftest import check

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
# (state, grace_until, expires_at) relative to now, and what the key is then:
# (dead_reason, effective_state).
CASES = [
    ("active", None, None, None, "active"),
    ("active", None, HOUR, None, "active"),
    ("active", None, -HOUR, "expired", "expired"),
    ("revoked", None, None, "revoked", "revoked"),
    ("revoked", None, -HOUR, "revoked", "revoked"),
    ("replaced", HOUR, None, None, "replaced"),
    ("replaced", HOUR, -HOUR, "expired", "replaced"),
    ("replaced", -HOUR, None, "replaced", "replaced"),
    ("replaced", None, None, "replaced", "replaced"),
]


@pytest.fixture
def keys(make_key):
    """One key in each case, keyed by its description."""
    now = timezone.now()
    made = {}
    for n, (state, grace, expires, _dead, _shown) in enumerate(CASES):
        created = make_key(description=str(n))
        APIKey.objects.filter(pk=created.key.pk).update(
            state=state, grace_until=grace and now + grace,
            expires_at=expires and now + expires)
        made[str(n)] = created
    return made


def test_python_sql_and_the_key_check_agree_on_every_case(keys):
    now = timezone.now()
    rows = {key.description: key for key in APIKey.objects.all()}
    active = set(APIKey.objects.active(now).values_list("description", flat=True))
    listed = set(APIKey.objects.listed(now).values_list("description", flat=True))
    refusals = {None: None, "expired": "KEY_EXPIRED", "revoked": "KEY_REVOKED",
                "replaced": "KEY_REVOKED"}
    for n, (_state, _grace, _expires, dead, shown) in enumerate(CASES):
        key = rows[str(n)]
        assert key.dead_reason(now) == dead, CASES[n]
        assert key.effective_state(now) == shown, CASES[n]
        assert key.is_active(now) == (str(n) in active) == (shown == "active"), CASES[n]
        assert (str(n) in listed) == (dead in (None, "expired")), CASES[n]
        refusal = check(keys[str(n)]).refusal
        assert (refusal and refusal.code) == refusals[dead], CASES[n]


def test_only_an_active_key_is_regenerated_and_the_refusal_says_why(keys):
    for n, (_state, _grace, _expires, _dead, shown) in enumerate(CASES):
        key = APIKey.objects.get(description=str(n))
        if shown == "active":
            assert flows.regenerate_key(None, key).key.is_active()
            continue
        with pytest.raises(flows.KeyNotActive) as refused:
            flows.regenerate_key(None, key)
        assert refused.value.state == shown
        word = {"revoked": "deleted", "replaced": "already replaced", "expired": "expired"}
        assert word[shown] in refused.value.message
