"""Pending usage counts in Redis (`REDIS_URL`): a killed server process loses none.

Each accepted use is ONE round trip, a Lua script on one hash: the key's count, its count
for the day (UTC), and the latest (time, IP). Any process's flusher takes what is pending
atomically (a script RENAMEs the hash into a batch of its own and notes the batch's id in a
set), writes the batch to the database in one transaction with a row that marks it written
(`apikeys.usage_writes.write_batch`), then deletes it from Redis. Every flusher also retries
each batch still in the set: one whose flusher was killed before the commit is written by
another, one killed after the commit is only deleted (its row says it was written).

Keys under the cache's KEY_PREFIX: `<prefix>:usage:pending` (field `c:<key pk>` uses,
`d:<key pk>:<day>` uses that day, `l:<key pk>` "<microseconds since 1970> <ip>"),
`<prefix>:usage:batch:<id>` (a taken hash) and `<prefix>:usage:batches` (the ids). Redis
must not evict them: use a `noeviction` or `volatile-*` maxmemory policy.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import redis
from django.conf import settings
from django.utils import timezone
from redis.backoff import NoBackoff
from redis.retry import Retry

from apikeys import usage_writes
from apikeys.usage_writes import Days, Pending

_ADD = """
local id = ARGV[1]
redis.call('HINCRBY', KEYS[1], 'c:' .. id, 1)
redis.call('HINCRBY', KEYS[1], 'd:' .. id .. ':' .. ARGV[2], 1)
local last = redis.call('HGET', KEYS[1], 'l:' .. id)
if not last or tonumber(string.match(last, '^%d+')) < tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'l:' .. id, ARGV[3] .. ' ' .. ARGV[4])
end
return 1
"""

_TAKE = """
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('RENAME', KEYS[1], KEYS[3])
  redis.call('SADD', KEYS[2], ARGV[1])
end
return redis.call('SMEMBERS', KEYS[2])
"""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Written batches' rows are kept this long (and while their batch is still in Redis).
KEEP_BATCH_ROWS = timedelta(hours=1)
PRUNE_EVERY_SECONDS = 600

_state: dict = {"url": None, "pruned_at": None}


def _after_fork_in_child() -> None:
    # The parent's sockets are not the child's to use: it connects on its own.
    _state.update(url=None, pruned_at=None)


os.register_at_fork(after_in_child=_after_fork_in_child)


def _connected() -> dict:
    url = settings.REDIS_URL
    if _state["url"] != url:
        # No retries: a script sent again after its reply was lost would count twice (a
        # broken pooled connection is replaced before a command is sent, so none is needed).
        client = redis.Redis.from_url(url, retry=Retry(NoBackoff(), 0),
                                      socket_connect_timeout=5, socket_timeout=5)
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "") + ":usage:"
        _state.update(client=client, add=client.register_script(_ADD),
                      take=client.register_script(_TAKE), pending=prefix + "pending",
                      batches=prefix + "batches", batch=prefix + "batch:", url=url)
    return _state


def add(key_id: int, now: datetime, ip: str) -> None:
    """Count one use in Redis; raises redis' ConnectionError while Redis is away."""
    state = _connected()
    micros = (now - EPOCH) // timedelta(microseconds=1)
    state["add"](keys=[state["pending"]], args=[key_id, now.date().isoformat(), micros, ip])


def flush() -> int:
    """Write what is pending and every batch left in Redis; how many uses were written.

    Raises the first error once every batch has been tried (they stay for the next try).
    """
    state = _connected()
    batch_id = uuid.uuid4().hex
    ids = [raw.decode() for raw in state["take"](
        keys=[state["pending"], state["batches"], state["batch"] + batch_id], args=[batch_id])]
    written, error = 0, None
    for one in ids:
        try:
            written += _write(state, one)
        except Exception as exc:  # the database away: the batch stays for the next try
            error = error or exc
    if error is not None:
        raise error
    _prune(ids)
    return written


def _write(state: dict, batch_id: str) -> int:
    raw = state["client"].hgetall(state["batch"] + batch_id)
    keys, days = _parse(raw)
    done = usage_writes.write_batch(batch_id, keys, days) if raw else False
    pipe = state["client"].pipeline()
    pipe.delete(state["batch"] + batch_id)
    pipe.srem(state["batches"], batch_id)
    pipe.execute()
    return sum(pending.count for pending in keys.values()) if done else 0


def _parse(raw: dict[bytes, bytes]) -> tuple[dict[int, Pending], Days]:
    counts: dict[int, int] = {}
    lasts: dict[int, tuple[datetime, str]] = {}
    days: Days = {}
    for field, value in raw.items():
        kind, _, rest = field.decode().partition(":")
        if kind == "c":
            counts[int(rest)] = int(value)
        elif kind == "d":
            key_id, _, day = rest.partition(":")
            days[(int(key_id), date.fromisoformat(day))] = int(value)
        elif kind == "l":
            micros, _, ip = value.decode().partition(" ")
            lasts[int(rest)] = (EPOCH + timedelta(microseconds=int(micros)), ip)
    keys = {key_id: Pending(count, *lasts[key_id]) for key_id, count in counts.items()}
    return keys, days


def _prune(in_redis: list[str]) -> None:
    now = time.monotonic()
    if _state["pruned_at"] is not None and now - _state["pruned_at"] < PRUNE_EVERY_SECONDS:
        return
    _state["pruned_at"] = now
    usage_writes.prune_batches(timezone.now() - KEEP_BATCH_ROWS, set(in_redis))


def pending_uses() -> int:
    """Uses counted in Redis and not written yet (pending, and in batches)."""
    state = _connected()
    client = state["client"]
    hashes = [state["pending"]] + [state["batch"] + raw.decode()
                                   for raw in client.smembers(state["batches"])]
    return sum(int(value) for name in hashes for field, value in client.hgetall(name).items()
               if field.startswith(b"c:"))
