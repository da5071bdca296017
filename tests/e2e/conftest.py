"""The whole system as `make run` starts it: honcho on the real Procfile, on free ports."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from config.settings import PROJECT_ROOT, Settings
from models import migrate
from models.identity import tenants
from models.identity.crypto import SecretBox
from models.sessions import Database, session_scope
from tests.conftest import build_settings
from tests.support import VENV_BIN, free_port, settings_env, wait_for, wait_healthy


@dataclass
class LiveSystem:
    settings: Settings
    env: dict[str, str]
    heat_url: str
    watch_url: str
    flower_url: str
    tenant: tenants.NewCredentials
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def live_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSystem]:
    data_dir = tmp_path_factory.mktemp("live")
    ports = {name: free_port() for name in ("heat", "watch", "flower", "redis")}
    redis_url = f"redis://127.0.0.1:{ports['redis']}/0"
    settings = build_settings(
        data_dir, redis_url=redis_url, broker_url=redis_url, watch_tick_seconds=1.0
    )
    migrate.upgrade_all(settings)
    identity = Database(settings.identity_database_url, "identity")
    with session_scope(identity) as session:
        tenant = tenants.create_tenant(session, SecretBox(settings.secret_key), "e2e")
    identity.dispose()

    env = {
        **settings_env(settings),
        # Nothing listens on this Redis port: the Procfile's redis line must start one.
        "HEATWATCH_AUTO_START_REDIS": "true",
        "HEAT_API_PORT": str(ports["heat"]),
        "WATCH_API_PORT": str(ports["watch"]),
        "FLOWER_PORT": str(ports["flower"]),
        "HEAT_API_WORKERS": "1",
        "WATCH_API_WORKERS": "1",
        "ENGINE_CONCURRENCY": "1",
        "METRICS_CONCURRENCY": "1",
        "WATCH_CONCURRENCY": "1",
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
    }
    empty_env_file = data_dir / "empty.env"
    empty_env_file.write_text("")
    log_path = data_dir / "honcho.log"
    with log_path.open("wb") as log_file:
        honcho = subprocess.Popen(
            [str(VENV_BIN / "honcho"), "start", "--procfile", "Procfile",
             "--env", str(empty_env_file), "--no-prefix"],
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    system = LiveSystem(
        settings=settings,
        env=env,
        heat_url=f"http://127.0.0.1:{ports['heat']}",
        watch_url=f"http://127.0.0.1:{ports['watch']}",
        flower_url=f"http://127.0.0.1:{ports['flower']}",
        tenant=tenant,
        log_path=log_path,
    )
    try:
        wait_healthy(system.heat_url, timeout=90)
        wait_healthy(system.watch_url, timeout=90)
        yield system
    finally:
        os.killpg(honcho.pid, signal.SIGTERM)
        try:
            honcho.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait(10)
        wait_for(lambda: not _port_open(ports["redis"]), timeout=20, what="redis to stop")


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0
