"""Per-shard leases in Redis: a tick does not send a shard that is still being evaluated.

Without them, every tick re-sent each shard that held due alarms, including shards a worker
was still evaluating (a big shard takes longer than a tick): the copies evaluated the same
alarms again and lost every compare-and-set, wasted work that grew with the load.

A lease is only an optimisation, never what makes effects exactly-once (the alarms' version
guard does that). So every failure falls back to sending: Redis down, a lease that expired
while its shard was still running. A worker killed mid-shard leaves its lease to expire
after `ttl`, and the first tick after that sends the shard again.
"""

from __future__ import annotations

import logging
import uuid

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
