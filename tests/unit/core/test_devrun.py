"""The development bootstrap that `make run` performs before `honcho start`."""

import os

import pytest

from manage import devrun
from models.identity import tenants
from models.identity.crypto import SecretBox
from models.sessions import Database, session_scope

ENV_KEYS = ("HEATWATCH_SECRET_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "OS_AUTH_TOKEN",
            "OS_PROJECT_ID", "AWS_DEFAULT_REGION", "HEAT_URL", "CLOUDWATCH_URL",
            "PYTHONUNBUFFERED")  # fmt: skip


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    for key in (*ENV_KEYS, "HEAT_DATABASE_URL", "WATCH_DATABASE_URL", "IDENTITY_DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HEATWATCH_DATA_DIR", str(tmp_path / "var"))
    yield tmp_path
    for key in ENV_KEYS:  # bootstrap loads .env into os.environ; don't leak it
        os.environ.pop(key, None)


def test_bootstrap_writes_env_migrates_and_seeds_a_demo_tenant_that_authenticates(clean_env):
    env_file = clean_env / ".env"
    assert devrun.bootstrap(env_file) == 0
    values = devrun.parse_env(env_file.read_text())
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"
    database = Database(f"sqlite:///{clean_env / 'var' / 'identity.db'}", "identity")
    with session_scope(database) as session:
        principal = tenants.authenticate_token(session, values["OS_AUTH_TOKEN"])
        secret, _ = tenants.lookup_access_key(
            session, SecretBox(values["HEATWATCH_SECRET_KEY"]), values["AWS_ACCESS_KEY_ID"]
        )
    database.dispose()
    assert principal is not None
    assert principal.tenant_id == values["OS_PROJECT_ID"]
    assert secret == values["AWS_SECRET_ACCESS_KEY"]
    assert values["HEAT_URL"].endswith(f"/v1/{values['OS_PROJECT_ID']}")

    # Running it again (every `make run`) keeps the same .env and tenant.
    before = env_file.read_text()
    assert devrun.bootstrap(env_file) == 0
    assert env_file.read_text() == before
