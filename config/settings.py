"""All configuration, read once from the environment (12-factor) with working defaults.

Every process builds one `Settings` with `from_env()`; app factories and `make_celery` take it
as an argument, so tests construct one directly instead of patching the environment. Values are
coerced and checked here: a bad value stops startup with a message naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A setting in the environment has a value we cannot use."""


def _sqlite_url(data_dir: Path, name: str) -> str:
    return f"sqlite:///{data_dir / name}"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    orchestration_database_url: str
    watch_database_url: str
    identity_database_url: str
    redis_url: str
    broker_url: str
    # Fernet key (urlsafe base64, 32 bytes) encrypting secrets at rest in the identity store.
    secret_key: str = field(repr=False)
    region: str = "us-east-1"
    heat_api_port: int = 8004
    watch_api_port: int = 8003
    flower_port: int = 5555
    # Beat's periodic watch tick; the tick fans evaluation out into shards (issue 4).
    watch_tick_seconds: float = 10.0
    watch_shards: int = 16
    # How long a tick holds back a shard it sent, unless its evaluation ends first (then the
    # lease is released); a worker killed mid-shard delays that shard by at most this.
    watch_shard_lease_seconds: float = 30.0
    # Redis re-delivers an unacked task after this; every task must finish well within it.
    broker_visibility_timeout: int = 3600
    log_level: str = "INFO"
    log_format: str = "json"
    # Start a local redis-server when none answers at redis_url (development runs only).
    auto_start_redis: bool = True
    # Where instances and clients reach the APIs (signed URLs, instance endpoint files).
    # Empty: http://127.0.0.1:<port>.
    heat_public_url: str = ""
    watch_public_url: str = ""
    # The compute driver AWS::EC2::Instance boots through ("local": sandboxed processes).
    compute_driver: str = "local"

    @property
    def heat_url(self) -> str:
        return (self.heat_public_url or f"http://127.0.0.1:{self.heat_api_port}").rstrip("/")

    @property
    def watch_url(self) -> str:
        return (self.watch_public_url or f"http://127.0.0.1:{self.watch_api_port}").rstrip("/")


def _coerce_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected a boolean, got {value!r}")


def _positive(kind: Callable[[str], T]) -> Callable[[str], T]:
    def coerce(value: str) -> T:
        number = kind(value)
        if number <= 0:  # type: ignore[operator]
            raise ValueError(f"must be positive, got {value!r}")
        return number

    return coerce


def _get(env: Mapping[str, str], name: str, coerce: Callable[[str], T], default: T) -> T:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return coerce(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from exc


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError(f"unknown log level {value!r}")
    return level


def _log_format(value: str) -> str:
    fmt = value.strip().lower()
    if fmt not in {"json", "text"}:
        raise ValueError(f"expected 'json' or 'text', got {value!r}")
    return fmt


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("HEATWATCH_DATA_DIR") or PROJECT_ROOT / "var")
    redis_url = env.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    secret_key = env.get("HEATWATCH_SECRET_KEY", "")
    if not secret_key:
        raise ConfigError(
            "HEATWATCH_SECRET_KEY is not set: it encrypts credentials at rest. "
            "`make run` writes a development key to .env; in production generate one with "
            "`heatwatch-admin generate-secret-key`."
        )
    return Settings(
        data_dir=data_dir,
        orchestration_database_url=env.get("HEAT_DATABASE_URL")
        or _sqlite_url(data_dir, "orchestration.db"),
        watch_database_url=env.get("WATCH_DATABASE_URL") or _sqlite_url(data_dir, "watch.db"),
        identity_database_url=env.get("IDENTITY_DATABASE_URL")
        or _sqlite_url(data_dir, "identity.db"),
        redis_url=redis_url,
        broker_url=env.get("CELERY_BROKER_URL") or redis_url,
        secret_key=secret_key,
        region=env.get("HEATWATCH_REGION") or "us-east-1",
        heat_api_port=_get(env, "HEAT_API_PORT", _positive(int), 8004),
        watch_api_port=_get(env, "WATCH_API_PORT", _positive(int), 8003),
        flower_port=_get(env, "FLOWER_PORT", _positive(int), 5555),
        watch_tick_seconds=_get(env, "WATCH_TICK_SECONDS", _positive(float), 10.0),
        watch_shards=_get(env, "WATCH_SHARDS", _positive(int), 16),
        watch_shard_lease_seconds=_get(env, "WATCH_SHARD_LEASE_SECONDS", _positive(float), 30.0),
        broker_visibility_timeout=_get(env, "BROKER_VISIBILITY_TIMEOUT", _positive(int), 3600),
        log_level=_get(env, "LOG_LEVEL", _log_level, "INFO"),
        log_format=_get(env, "LOG_FORMAT", _log_format, "json"),
        auto_start_redis=_get(env, "HEATWATCH_AUTO_START_REDIS", _coerce_bool, True),
        heat_public_url=env.get("HEAT_PUBLIC_URL", ""),
        watch_public_url=env.get("WATCH_PUBLIC_URL", ""),
        compute_driver=env.get("HEATWATCH_COMPUTE_DRIVER") or "local",
    )
