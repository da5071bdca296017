import json

import pytest

from config.settings import Settings
from manage import admin
from tests.support import settings_env


@pytest.fixture
def admin_env(migrated_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key, value in settings_env(migrated_settings).items():
        monkeypatch.setenv(key, value)
    return migrated_settings


def test_tenant_create_prints_credentials_as_json_and_list_hides_secrets(admin_env, capsys) -> None:
    assert admin.main(["tenant", "create", "acme", "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert set(created) == {
        "tenant_id",
        "tenant_name",
        "access_key_id",
        "secret_access_key",
        "auth_token",
    }
    assert created["tenant_name"] == "acme"

    assert admin.main(["tenant", "list", "--json"]) == 0
    listing_text = capsys.readouterr().out
    listing = json.loads(listing_text)
    assert [t["name"] for t in listing] == ["acme"]
    assert listing[0]["access_keys"][0]["access_key_id"] == created["access_key_id"]
    assert created["secret_access_key"] not in listing_text
    assert created["auth_token"] not in listing_text


def test_revoke_key_and_duplicate_tenant_errors(admin_env, capsys) -> None:
    admin.main(["tenant", "create", "acme", "--json"])
    key_id = json.loads(capsys.readouterr().out)["access_key_id"]
    assert admin.main(["tenant", "revoke-key", key_id]) == 0
    assert admin.main(["tenant", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.split("\n", 1)[1])[0]["access_keys"][0]["revoked"]
    assert admin.main(["tenant", "create", "acme"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert admin.main(["tenant", "revoke-key", "AKIANOPE"]) == 1


def test_missing_secret_key_is_a_configuration_error(monkeypatch, capsys) -> None:
    monkeypatch.delenv("HEATWATCH_SECRET_KEY", raising=False)
    assert admin.main(["tenant", "list"]) == 2
    assert "HEATWATCH_SECRET_KEY" in capsys.readouterr().err


def test_generate_secret_key_prints_a_usable_fernet_key(capsys) -> None:
    from models.identity.crypto import SecretBox

    assert admin.main(["generate-secret-key"]) == 0
    key = capsys.readouterr().out.strip()
    box = SecretBox(key)
    assert box.decrypt(box.encrypt("x")) == "x"
