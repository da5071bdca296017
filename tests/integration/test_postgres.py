"""The same migrations, identity services and health checks on PostgreSQL (when reachable)."""

from dataclasses import replace

import pytest
from sqlalchemy import inspect

from config.settings import Settings
from models import migrate
from models.identity import tenants
from models.identity.crypto import SecretBox
from models.sessions import Database, session_scope
from web.watch_app import create_watch_app

pytestmark = pytest.mark.postgres


def test_migrations_create_each_store_in_its_own_database(postgres_settings: Settings) -> None:
    migrate.upgrade_all(postgres_settings)
    identity = Database(postgres_settings.identity_database_url, "identity")
    watch = Database(postgres_settings.watch_database_url, "watch")
    try:
        identity_tables = set(inspect(identity.engine).get_table_names())
        watch_tables = set(inspect(watch.engine).get_table_names())
    finally:
        identity.dispose()
        watch.dispose()
    assert {"tenants", "access_keys", "api_tokens"} <= identity_tables
    assert "tenants" not in watch_tables


def test_identity_round_trip_on_postgres(postgres_settings: Settings) -> None:
    migrate.upgrade("identity", postgres_settings.identity_database_url)
    database = Database(postgres_settings.identity_database_url, "identity")
    box = SecretBox(postgres_settings.secret_key)
    try:
        with session_scope(database) as session:
            created = tenants.create_tenant(session, box, "acme")
        with session_scope(database) as session:
            principal = tenants.authenticate_token(session, created.auth_token)
            secret, _ = tenants.lookup_access_key(session, box, created.access_key_id)
    finally:
        database.dispose()
    assert principal is not None
    assert principal.tenant_id == created.tenant_id
    assert secret == created.secret_access_key


def test_watch_api_healthy_on_postgres(
    postgres_settings: Settings, redis_url: str, make_app
) -> None:
    settings = replace(postgres_settings, redis_url=redis_url, broker_url=redis_url)
    migrate.upgrade_all(settings)
    response = make_app(create_watch_app, settings).test_client().get("/healthz")
    assert response.status_code == 200, response.get_json()
