"""/healthz on both frontends against a real Redis and real databases."""

from dataclasses import replace

import pytest

from config.settings import Settings
from models import migrate
from web.heat_app import create_heat_app
from web.watch_app import create_watch_app

FACTORIES = {"heat": create_heat_app, "watch": create_watch_app}
OWN_STORE = {"heat": "orchestration_db", "watch": "watch_db"}


@pytest.mark.parametrize("frontend", ["heat", "watch"])
def test_healthy_when_databases_are_migrated_and_broker_answers(
    frontend: str, redis_settings: Settings, make_app
) -> None:
    migrate.upgrade_all(redis_settings)
    response = make_app(FACTORIES[frontend], redis_settings).test_client().get("/healthz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"broker", "identity_db", OWN_STORE[frontend]}
    # Each frontend opens only its own store plus identity, never the other half's.
    other = {"heat": "watch_db", "watch": "orchestration_db"}[frontend]
    assert other not in body["checks"]


@pytest.mark.parametrize("frontend", ["heat", "watch"])
def test_unreachable_broker_is_503_naming_the_broker(
    frontend: str, settings: Settings, make_app
) -> None:
    migrate.upgrade_all(settings)
    response = make_app(FACTORIES[frontend], settings).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["failing"] == ["broker"]


def test_unmigrated_or_unreachable_database_is_503_naming_it(
    redis_settings: Settings, make_app
) -> None:
    migrate.upgrade("identity", redis_settings.identity_database_url)
    broken = replace(
        redis_settings,
        orchestration_database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
    )
    body = make_app(create_heat_app, broken).test_client().get("/healthz").get_json()
    assert body["failing"] == ["orchestration_db"]
    assert "unreachable" in body["checks"]["orchestration_db"]["error"]

    body = make_app(create_watch_app, redis_settings).test_client().get("/healthz").get_json()
    assert body["failing"] == ["watch_db"]
    expected = migrate.head_revision("watch")
    assert body["checks"]["watch_db"]["error"] == f"schema at None, expected {expected}"
