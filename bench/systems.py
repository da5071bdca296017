"""Start and stop what the benchmark measures: heatwatch (honcho on the real Procfile) and moto."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from manage import local_redis
from models import migrate
from tests.conftest import POSTGRES_ADMIN_URL, build_settings
from tests.support import (
    VENV_BIN,
    create_tenant,
    free_port,
    settings_env,
    start_procfile,
    stop_group,
    wait_for,
    wait_healthy,
)


@dataclass
class Target:
    name: str
    endpoint: str
    access_key_id: str
    secret_access_key: str
    _cleanups: list = field(default_factory=list)
    log_path: Path | None = None
    # heatwatch only: the Settings its processes run with and the bench tenant's id.
    settings: Any = None
    tenant_id: str = ""
    heat_url: str = ""  # heatwatch only: the heat API's base URL
    auth_token: str = ""  # heatwatch only: the bench tenant's token (heatclient)
    # The processes this target started (their descendants belong to it too): CPU accounting.
    pids: list[int] = field(default_factory=list)

    def stop(self) -> None:
        while self._cleanups:
            cleanup = self._cleanups.pop()
            try:
                cleanup()
            except Exception as exc:  # keep stopping the rest
                print(f"  [cleanup of {self.name} failed: {type(exc).__name__}: {exc}]")


def start_heatwatch(
    backend: str,
    metrics_concurrency: int = 2,
    *,
    watch_concurrency: int = 1,
    watch_shards: int | None = None,
    log_level: str = "WARNING",
    extra_env: dict[str, str] | None = None,
    before_start: Callable[[Any, Any], None] | None = None,
    engine_concurrency: int = 1,
    log_path: Path | None = None,
) -> Target:
    """heatwatch on `backend` ("sqlite" or "postgres"), its own Redis, on free ports.

    `before_start(settings, tenant)` runs after the migrations and the tenant exist and
    before any heatwatch process starts (to seed the stores with nothing running).
    """
    data_dir = Path(tempfile.mkdtemp(prefix=f"heatwatch-bench-{backend}-"))
    target = Target(name=f"heatwatch-{backend}", endpoint="", access_key_id="",
                    secret_access_key="")  # fmt: skip
    target._cleanups.append(lambda: shutil.rmtree(data_dir, ignore_errors=True))
    try:
        ports = {name: free_port() for name in ("heat", "watch", "flower", "redis")}
        redis_url = f"redis://127.0.0.1:{ports['redis']}/0"
        redis_process = local_redis.start(redis_url, data_dir / "redis")
        target.pids.append(redis_process.pid)

        def stop_redis() -> None:
            redis_process.terminate()
            try:
                redis_process.wait(10)
            except subprocess.TimeoutExpired:
                redis_process.kill()
                redis_process.wait(5)

        target._cleanups.append(stop_redis)
        settings = build_settings(data_dir, redis_url=redis_url, broker_url=redis_url)
        if backend == "postgres":
            admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
            names = [f"heatwatch_bench_{uuid.uuid4().hex[:12]}" for _ in range(3)]
            with admin.connect() as connection:
                for name in names:
                    connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

            def drop() -> None:
                with admin.connect() as connection:
                    for name in names:
                        connection.execute(
                            sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                        )
                admin.dispose()

            target._cleanups.append(drop)
            urls = [
                sa.make_url(POSTGRES_ADMIN_URL)
                .set(database=n)
                .render_as_string(hide_password=False)
                for n in names
            ]
            settings = replace(
                settings,
                orchestration_database_url=urls[0],
                watch_database_url=urls[1],
                identity_database_url=urls[2],
            )
        elif backend != "sqlite":
            raise ValueError(f"unknown backend {backend!r}")
        if watch_shards is not None:
            settings = replace(settings, watch_shards=watch_shards)
        migrate.upgrade_all(settings)
        tenant = create_tenant(settings, "bench")
        if before_start is not None:
            before_start(settings, tenant)
        env = {
            **settings_env(settings),
            "HEATWATCH_AUTO_START_REDIS": "false",
            "HEAT_API_PORT": str(ports["heat"]),
            "WATCH_API_PORT": str(ports["watch"]),
            "FLOWER_PORT": str(ports["flower"]),
            "HEAT_API_WORKERS": "1",
            "WATCH_API_WORKERS": "2",
            "ENGINE_CONCURRENCY": str(engine_concurrency),
            "METRICS_CONCURRENCY": str(metrics_concurrency),
            "WATCH_CONCURRENCY": str(watch_concurrency),
            "WATCH_SHARDS": str(settings.watch_shards),
            "LOG_LEVEL": log_level,
            **(extra_env or {}),
        }
        log_path = log_path or Path(tempfile.gettempdir()) / f"heatwatch-bench-{backend}-honcho.log"
        honcho = start_procfile(env, log_path)
        target.pids.append(honcho.pid)
        target._cleanups.append(lambda: stop_group(honcho))
        target.log_path = log_path
        watch_url = f"http://127.0.0.1:{ports['watch']}"
        wait_healthy(watch_url, timeout=90)
        wait_healthy(f"http://127.0.0.1:{ports['heat']}", timeout=90)
        target.endpoint = watch_url
        target.access_key_id = tenant.access_key_id
        target.secret_access_key = tenant.secret_access_key
        target.settings = settings
        target.tenant_id = tenant.tenant_id
        target.heat_url = f"http://127.0.0.1:{ports['heat']}"
        target.auth_token = tenant.auth_token
        return target
    except BaseException:
        target.stop()
        raise


def start_null_endpoint() -> Target:
    """bench/null_endpoint.py on a free port: the clients' own ceiling (it does no work)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.null_endpoint", str(port)],
        cwd=Path(__file__).resolve().parent.parent, start_new_session=True,
    )  # fmt: skip
    target = Target(name="null endpoint", endpoint=f"http://127.0.0.1:{port}",
                    access_key_id="null", secret_access_key="null")  # fmt: skip
    target._cleanups.append(lambda: stop_group(process))
    try:
        import requests

        wait_for(lambda: requests.get(target.endpoint, timeout=2).status_code == 200,
                 timeout=30, what="the null endpoint")  # fmt: skip
        return target
    except BaseException:
        target.stop()
        raise


def start_moto() -> Target:
    port = free_port()
    log_path = Path(tempfile.gettempdir()) / "heatwatch-bench-moto.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    target = Target(
        name="moto",
        endpoint=f"http://127.0.0.1:{port}",
        access_key_id="testing",
        secret_access_key="testing",
        log_path=log_path,
        pids=[process.pid],
    )
    target._cleanups.append(lambda: stop_group(process))
    try:
        import requests

        wait_for(lambda: requests.get(f"{target.endpoint}/moto-api/", timeout=2).status_code < 500,
                 timeout=60, what="moto_server")  # fmt: skip
        return target
    except BaseException:
        target.stop()
        raise
