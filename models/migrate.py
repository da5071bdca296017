"""Apply each store's Alembic migrations; used by `make run`, the admin tool and the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
STORES = ("identity", "orchestration", "watch")


def alembic_config(store: str, url: str) -> Config:
    if store not in STORES:
        raise ValueError(f"unknown store {store!r}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR / store))
    # '%' is ConfigParser interpolation syntax; URLs may contain percent-encoded passwords.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(store: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(store, url), revision)


def head_revision(store: str) -> str | None:
    script = ScriptDirectory.from_config(alembic_config(store, "sqlite://"))
    return script.get_current_head()


def current_revision(connection) -> str | None:  # type: ignore[no-untyped-def]
    return MigrationContext.configure(connection).get_current_revision()


def store_urls(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "identity": settings.identity_database_url,
        "orchestration": settings.orchestration_database_url,
        "watch": settings.watch_database_url,
    }


def upgrade_all(settings) -> None:  # type: ignore[no-untyped-def]
    for store, url in store_urls(settings).items():
        upgrade(store, url)
