from pathlib import Path

import pytest

from config.settings import ConfigError, from_env
from models.identity.crypto import generate_key


def test_defaults_need_only_a_secret_key() -> None:
    settings = from_env({"HEATWATCH_SECRET_KEY": "k"})
    assert settings.watch_database_url.endswith("var/watch.db")
    assert settings.orchestration_database_url.endswith("var/orchestration.db")
    assert settings.identity_database_url.endswith("var/identity.db")
    assert settings.orchestration_database_url != settings.watch_database_url
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.broker_url == settings.redis_url
    assert (settings.heat_api_port, settings.watch_api_port, settings.flower_port) == (
        8004,
        8003,
        5555,
    )
    assert settings.watch_tick_seconds == 10.0


def test_environment_overrides_and_broker_can_differ_from_redis(tmp_path: Path) -> None:
    settings = from_env(
        {
            "HEATWATCH_SECRET_KEY": "k",
            "HEATWATCH_DATA_DIR": str(tmp_path),
            "WATCH_DATABASE_URL": "postgresql+psycopg://db/watch",
            "REDIS_URL": "redis://cache:6379/1",
            "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
            "WATCH_TICK_SECONDS": "2.5",
        }
    )
    assert settings.watch_database_url == "postgresql+psycopg://db/watch"
    assert settings.orchestration_database_url == f"sqlite:///{tmp_path / 'orchestration.db'}"
    assert settings.broker_url.startswith("amqp://")
    assert settings.redis_url == "redis://cache:6379/1"
    assert settings.watch_tick_seconds == 2.5


@pytest.mark.parametrize(
    ("name", "value"),
    [("WATCH_TICK_SECONDS", "-1"), ("HEAT_API_PORT", "http"), ("LOG_LEVEL", "LOUD")],
)
def test_bad_values_stop_startup_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        from_env({"HEATWATCH_SECRET_KEY": "k", name: value})


def test_missing_secret_key_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="HEATWATCH_SECRET_KEY"):
        from_env({})


def test_settings_repr_hides_the_secret_key() -> None:
    key = generate_key()
    assert key not in repr(from_env({"HEATWATCH_SECRET_KEY": key}))
