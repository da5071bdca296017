"""The whole system as `make run` starts it: honcho on the real Procfile, on free ports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from config.settings import Settings
from models import migrate
from models.identity import tenants
from models.orchestration.compute.local import LocalComputeDriver
from tests.conftest import build_settings
from tests.e2e.cloudwatch_clients import PROTOCOLS, cloudwatch_client
from tests.support import (
    create_tenant,
    free_port,
    settings_env,
    start_procfile,
    stop_group,
    wait_for,
    wait_healthy,
)


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
    tenant = create_tenant(settings, "e2e")

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
    }
    log_path = data_dir / "honcho.log"
    honcho = start_procfile(env, log_path)
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
        stop_group(honcho)
        _delete_instances(data_dir / "instances")
        wait_for(lambda: not _port_open(ports["redis"]), timeout=20, what="redis to stop")


def _delete_instances(base: Path) -> None:
    """Local instances outlive the engine that booted them (like VMs): end them all."""
    if not base.is_dir():
        return
    driver = LocalComputeDriver(base)
    for entry in base.iterdir():
        if entry.is_dir():
            driver.delete(entry.name)


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def model_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("botocore-models")


@pytest.fixture(params=PROTOCOLS)
def protocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def cw(live_system: LiveSystem, protocol: str, model_root: Path):  # type: ignore[no-untyped-def]
    """A boto3 CloudWatch client for the e2e tenant, in each wire protocol in turn."""
    tenant = live_system.tenant
    return cloudwatch_client(
        live_system.watch_url,
        tenant.access_key_id,
        tenant.secret_access_key,
        protocol=protocol,
        data_root=model_root,
    )
