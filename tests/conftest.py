"""Shared fixtures: settings on temporary SQLite files, a real Redis, PostgreSQL when reachable."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from config.settings import Settings
from manage import local_redis
from models import migrate
from models.identity.crypto import generate_key
from tests.support import free_port

POSTGRES_ADMIN_URL = os.environ.get(
    "HEATWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TIERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its tier from its folder, so `-m unit` etc. select by tier."""
    for item in items:
        parts = Path(str(item.path)).parts
        for tier in TIERS:
            if tier in parts:
                item.add_marker(getattr(pytest.mark, tier))


def build_settings(data_dir: Path, **overrides: object) -> Settings:
    settings = Settings(
        data_dir=data_dir,
        orchestration_database_url=f"sqlite:///{data_dir / 'orchestration.db'}",
        watch_database_url=f"sqlite:///{data_dir / 'watch.db'}",
        identity_database_url=f"sqlite:///{data_dir / 'identity.db'}",
        redis_url="redis://127.0.0.1:1/0",  # nothing listens: tests that need Redis say so
        broker_url="redis://127.0.0.1:1/0",
        secret_key=generate_key(),
        log_format="json",
    )
    return replace(settings, **overrides)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return build_settings(tmp_path)


@pytest.fixture
def migrated_settings(settings: Settings) -> Settings:
    migrate.upgrade_all(settings)
    return settings


@pytest.fixture
def make_app() -> Iterator[Callable[..., Flask]]:
    """Build a frontend from its factory; its database pools are closed after the test."""
    apps: list[Flask] = []

    def build(factory: Callable[[Settings], Flask], settings: Settings) -> Flask:
        app = factory(settings)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["heatwatch"].dispose()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server of our own on a free loopback port, for the whole session."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    process = local_redis.start(url, tmp_path_factory.mktemp("redis"))
    yield url
    process.terminate()
    process.wait(10)


@pytest.fixture
def redis_settings(settings: Settings, redis_url: str) -> Settings:
    return replace(settings, redis_url=redis_url, broker_url=redis_url)


def _postgres_reason() -> str | None:
    try:
        engine = sa.create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 2})
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {type(exc).__name__}"
    return None


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[Callable[[], str]]:
    """Factory of fresh, empty PostgreSQL databases (dropped at the end of the session)."""
    reason = _postgres_reason()
    if reason:
        pytest.skip(reason)
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def create() -> str:
        name = f"heatwatch_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return (
            sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        )

    yield create
    with admin.connect() as connection:
        for name in created:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def postgres_settings(settings: Settings, postgres_database: Callable[[], str]) -> Settings:
    return replace(
        settings,
        orchestration_database_url=postgres_database(),
        watch_database_url=postgres_database(),
        identity_database_url=postgres_database(),
    )
