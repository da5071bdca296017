"""Shard leases on a real Redis: a shard in evaluation is not sent again, and a lease is
released only by the evaluation that holds it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from tasks import shard_leases
from tests.support import free_port


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    with redis.Redis.from_url(redis_url.rsplit("/", 1)[0] + "/7") as connection:
        connection.flushdb()
        yield connection


def test_a_held_shard_is_not_sent_again_until_released(client: redis.Redis) -> None:
    token = shard_leases.acquire(client, 3, 16, ttl_seconds=30)
    assert token is not None
    assert shard_leases.acquire(client, 3, 16, ttl_seconds=30) is None
    assert shard_leases.acquire(client, 4, 16, ttl_seconds=30) is not None  # other shards
    assert shard_leases.acquire(client, 3, 8, ttl_seconds=30) is not None  # other shard count

    shard_leases.release(client, 3, 16, token)
    assert shard_leases.acquire(client, 3, 16, ttl_seconds=30) is not None


def test_only_the_holder_releases_a_lease(client: redis.Redis) -> None:
    # An evaluation that outlived its lease must not free the shard's next evaluation.
    stale = shard_leases.acquire(client, 1, 16, ttl_seconds=0.2)
    assert stale is not None
    time.sleep(0.4)
    current = shard_leases.acquire(client, 1, 16, ttl_seconds=30)
    assert current is not None

    shard_leases.release(client, 1, 16, stale)
    assert shard_leases.acquire(client, 1, 16, ttl_seconds=30) is None
    shard_leases.release(client, 1, 16, current)
    assert shard_leases.acquire(client, 1, 16, ttl_seconds=30) is not None


def test_a_lease_left_by_a_dead_worker_lapses(client: redis.Redis) -> None:
    assert shard_leases.acquire(client, 2, 16, ttl_seconds=0.3) is not None
    assert shard_leases.acquire(client, 2, 16, ttl_seconds=0.3) is None
    time.sleep(0.5)
    assert shard_leases.acquire(client, 2, 16, ttl_seconds=0.3) is not None


def test_without_redis_the_shard_is_sent_anyway() -> None:
    # Nothing listens there: a duplicate evaluation is harmless, a skipped one is not.
    down = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5)
    token = shard_leases.acquire(down, 0, 16, ttl_seconds=30)
    assert token is not None
    shard_leases.release(down, 0, 16, token)  # logs, does not raise


def test_a_running_evaluation_keeps_its_lease_past_its_time_to_live(client: redis.Redis) -> None:
    token = shard_leases.acquire(client, 5, 16, ttl_seconds=0.3)
    assert token is not None
    with shard_leases.held(client, 5, 16, token, ttl_seconds=0.3):
        time.sleep(1.0)  # more than three times the lease's time to live
        assert shard_leases.acquire(client, 5, 16, ttl_seconds=0.3) is None
    # Released at the end: the next tick may send the shard at once.
    assert shard_leases.acquire(client, 5, 16, ttl_seconds=0.3) is not None


def test_a_lapsed_lease_taken_by_another_evaluation_is_left_to_it(client: redis.Redis) -> None:
    stale = shard_leases.acquire(client, 6, 16, ttl_seconds=0.2)
    assert stale is not None
    time.sleep(0.3)
    current = shard_leases.acquire(client, 6, 16, ttl_seconds=30)
    assert current is not None
    with shard_leases.held(client, 6, 16, stale, ttl_seconds=0.2):
        time.sleep(0.3)
    assert client.get("heatwatch:watch:shard-lease:16:6") == current.encode()
