"""Helpers for tests that run real processes: free ports, waiting on conditions, a process set."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from config.settings import PROJECT_ROOT, Settings
from models.identity import tenants
from models.identity.crypto import SecretBox
from models.identity.tenants import NewCredentials
from models.sessions import Database, session_scope

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    condition: Callable[[], object], timeout: float = 30.0, interval: float = 0.1, what: str = ""
) -> object:
    """Poll until `condition()` is truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except Exception as exc:  # the condition may fail while a server is starting
            last_error = exc
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what or condition}: {last_error}")


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes `from_env()` in a child process return `settings`."""
    return {
        "HEATWATCH_DATA_DIR": str(settings.data_dir),
        "HEAT_DATABASE_URL": settings.orchestration_database_url,
        "WATCH_DATABASE_URL": settings.watch_database_url,
        "IDENTITY_DATABASE_URL": settings.identity_database_url,
        "REDIS_URL": settings.redis_url,
        "CELERY_BROKER_URL": settings.broker_url,
        "HEATWATCH_SECRET_KEY": settings.secret_key,
        "WATCH_TICK_SECONDS": str(settings.watch_tick_seconds),
        "WATCH_SHARDS": str(settings.watch_shards),
        "HEAT_PUBLIC_URL": settings.heat_public_url,
        "WATCH_PUBLIC_URL": settings.watch_public_url,
        "BROKER_VISIBILITY_TIMEOUT": str(settings.broker_visibility_timeout),
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
        "HEATWATCH_AUTO_START_REDIS": "false",
    }


@dataclass
class ProcessSet:
    """Real child processes (celery workers, beat) whose output goes to files under `log_dir`."""

    env: dict[str, str]
    log_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        with (self.log_dir / f"{name}.log").open("ab") as log_file:
            process = subprocess.Popen(
                argv,
                cwd=PROJECT_ROOT,
                env={**os.environ, **self.env, "PYTHONUNBUFFERED": "1"},
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # so stop() can end the whole process group
            )
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def celery_worker(self, queue: str, concurrency: int = 1, node: str | None = None) -> None:
        node = node or f"{queue}@%h"
        self.start(
            node.replace("@%h", "").replace("@", "-") + "-worker",
            [
                str(VENV_BIN / "celery"), "-A", "tasks.celery_app", "worker",
                "--queues", queue, "--hostname", node,
                "--concurrency", str(concurrency), "--loglevel", "INFO",
                "--without-mingle", "--without-gossip",
            ],
        )  # fmt: skip

    def beat(self) -> None:
        self.start(
            "beat",
            [
                str(VENV_BIN / "celery"), "-A", "tasks.celery_app", "beat",
                "--schedule", str(self.log_dir / "celerybeat-schedule"), "--loglevel", "INFO",
            ],
        )  # fmt: skip

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        process = self.processes.pop(name)
        if sig == signal.SIGTERM:
            stop_group(process, timeout)
        elif process.poll() is None:
            os.killpg(process.pid, sig)
            process.wait(timeout)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)


def wait_healthy(base_url: str, timeout: float = 60.0) -> dict:
    def healthy() -> dict | None:
        response = requests.get(f"{base_url}/healthz", timeout=2)
        return response.json() if response.status_code == 200 else None

    return wait_for(healthy, timeout=timeout, what=f"{base_url}/healthz")  # type: ignore[return-value]


def create_tenant(settings: Settings, name: str) -> NewCredentials:
    """A tenant with fresh credentials, written straight into the identity store."""
    identity = Database(settings.identity_database_url, "identity")
    try:
        with session_scope(identity) as session:
            return tenants.create_tenant(session, SecretBox(settings.secret_key), name)
    finally:
        identity.dispose()


def start_procfile(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """The whole system as `make run` starts it: honcho on the real Procfile.

    `env` comes on top of ours; honcho reads an empty env file, never a developer's .env.
    """
    empty_env_file = log_path.parent / f"{log_path.stem}.empty.env"
    empty_env_file.write_text("")
    with log_path.open("wb") as log_file:
        return subprocess.Popen(
            [str(VENV_BIN / "honcho"), "start", "--procfile", "Procfile",
             "--env", str(empty_env_file), "--no-prefix"],
            cwd=PROJECT_ROOT,
            env={**os.environ, **env, "PATH": f"{VENV_BIN}:{os.environ['PATH']}"},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def stop_group(process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGTERM a child's whole process group, SIGKILL it if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
