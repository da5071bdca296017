"""Per-shard leases in Redis: a tick does not send a shard that is still being evaluated.

Without them, every tick re-sent each shard that held due alarms, including shards a worker
was still evaluating (a big shard takes longer than a tick): the copies evaluated the same
alarms again and lost every compare-and-set, wasted work that grew with the load.

The tick takes the lease when it sends the shard; the evaluation keeps it alive while it
runs (`held`: a thread extends it every third of its time to live, so a shard may take
longer than the lease) and releases it at the end. A worker killed mid-shard stops
extending, its lease lapses after `ttl`, and the first tick after that sends the shard again.

A lease is only an optimisation, never what makes effects exactly-once (the alarms' version
guard does that). So every failure falls back to sending: Redis down, a lease that lapsed
while its message waited in the queue.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis

log = logging.getLogger("heatwatch.watch")

# Delete the lease only if it is still ours: an expired lease may have been taken by the
# shard's next evaluation, which must keep it.
_RELEASE_IF_OURS = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


_EXTEND_IF_OURS = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


def _key(shard: int, shards: int) -> str:
    # The shard count is in the key: a change of WATCH_SHARDS makes a new set of shards.
    return f"heatwatch:watch:shard-lease:{shards}:{shard}"


def acquire(client: redis.Redis, shard: int, shards: int, ttl_seconds: float) -> str | None:
    """A token when the shard may be sent now, None while another evaluation holds it."""
    token = uuid.uuid4().hex
    try:
        taken = client.set(_key(shard, shards), token, nx=True, px=int(ttl_seconds * 1000))
    except redis.RedisError as exc:
        log.warning("shard lease unavailable", extra={"shard": shard, "error": str(exc)})
        return token  # send anyway: a duplicate evaluation is harmless, a skipped one is not
    return token if taken else None


def release(client: redis.Redis, shard: int, shards: int, token: str) -> None:
    try:
        client.eval(_RELEASE_IF_OURS, 1, _key(shard, shards), token)
    except redis.RedisError as exc:
        # The lease expires on its own; until then ticks skip this shard.
        log.warning("shard lease not released", extra={"shard": shard, "error": str(exc)})


@contextmanager
def held(
    client: redis.Redis, shard: int, shards: int, token: str, ttl_seconds: float
) -> Iterator[None]:
    """Keep the lease alive while the body runs, then release it."""
    stop = threading.Event()

    def extend() -> None:
        while not stop.wait(ttl_seconds / 3):
            try:
                ours = client.eval(
                    _EXTEND_IF_OURS, 1, _key(shard, shards), token, int(ttl_seconds * 1000)
                )
            except redis.RedisError:
                continue  # try again next time; the lease may lapse meanwhile (harmless)
            if not ours:
                return  # lapsed and taken by another evaluation: theirs to keep

    keeper = threading.Thread(target=extend, name=f"shard-lease-{shard}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stop.set()
        keeper.join()
        release(client, shard, shards, token)
