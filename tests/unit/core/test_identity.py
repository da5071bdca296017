"""Identity services against a real (SQLite) store built by the migrations."""

import sqlite3

import pytest

from config.settings import Settings
from models.errors import ConflictError, NotFoundError
from models.identity import tenants
from models.identity.crypto import SecretBox, generate_key
from models.sessions import Database, session_scope


@pytest.fixture
def identity(migrated_settings: Settings):
    database = Database(migrated_settings.identity_database_url, "identity")
    yield database, SecretBox(migrated_settings.secret_key)
    database.dispose()


def test_created_credentials_authenticate_and_secrets_are_not_stored_in_clear(
    identity, migrated_settings: Settings
) -> None:
    database, box = identity
    with session_scope(database) as session:
        created = tenants.create_tenant(session, box, "acme")
    with session_scope(database) as session:
        principal = tenants.authenticate_token(session, created.auth_token)
        secret, key_principal = tenants.lookup_access_key(session, box, created.access_key_id)
    assert principal is not None
    assert principal.tenant_id == created.tenant_id
    assert principal.kind == "tenant"
    assert secret == created.secret_access_key
    assert key_principal.tenant_id == created.tenant_id
    assert created.access_key_id.startswith("AKIA")
    assert len(created.access_key_id) == 20

    raw = (migrated_settings.data_dir / "identity.db").read_bytes()
    for plain in (created.secret_access_key, created.auth_token):
        assert plain.encode() not in raw
    with sqlite3.connect(migrated_settings.data_dir / "identity.db") as connection:
        dump = "\n".join(connection.iterdump())
    assert created.secret_access_key not in dump
    assert created.auth_token not in dump


def test_unknown_wrong_and_revoked_credentials_are_refused(identity) -> None:
    database, box = identity
    with session_scope(database) as session:
        created = tenants.create_tenant(session, box, "acme")
    with session_scope(database) as session:
        assert tenants.authenticate_token(session, "not-a-token") is None
        assert tenants.authenticate_token(session, "") is None
        assert tenants.lookup_access_key(session, box, "AKIAUNKNOWN000000000") is None
        token_id = tenants.list_api_tokens(session, created.tenant_id)[0].id
        tenants.revoke_api_token(session, token_id)
        tenants.revoke_access_key(session, created.access_key_id)
    with session_scope(database) as session:
        assert tenants.authenticate_token(session, created.auth_token) is None
        assert tenants.lookup_access_key(session, box, created.access_key_id) is None


def test_disabled_tenant_loses_all_access(identity) -> None:
    database, box = identity
    with session_scope(database) as session:
        created = tenants.create_tenant(session, box, "acme")
        tenants.set_tenant_enabled(session, "acme", False)
    with session_scope(database) as session:
        assert tenants.authenticate_token(session, created.auth_token) is None
        assert tenants.lookup_access_key(session, box, created.access_key_id) is None


def test_duplicate_names_and_unknown_ids_are_domain_errors(identity) -> None:
    database, box = identity
    with session_scope(database) as session:
        tenants.create_tenant(session, box, "acme")
    with pytest.raises(ConflictError), session_scope(database) as session:
        tenants.create_tenant(session, box, "acme")
    with pytest.raises(NotFoundError), session_scope(database) as session:
        tenants.revoke_access_key(session, "AKIANOPE")


def test_secret_box_rotation_old_ciphertexts_still_decrypt() -> None:
    old_key, new_key = generate_key(), generate_key()
    ciphertext = SecretBox(old_key).encrypt("s3cret")
    rotated = SecretBox(f"{new_key},{old_key}")
    assert rotated.decrypt(ciphertext) == "s3cret"
    assert SecretBox(new_key).decrypt(rotated.encrypt("x")) == "x"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox(new_key).decrypt(ciphertext)
