"""lookup_access_key on both things it runs on: a session (the REST API's instance auth) and a
plain connection (the CloudWatch endpoint). The first use of a rotated instance key retires
its predecessor at once, whichever it runs on; the caller's commit keeps that."""

from datetime import UTC, datetime

import pytest

from config.settings import Settings
from models.identity import instance_keys, tenants
from models.identity.crypto import SecretBox
from models.sessions import Database, session_scope


@pytest.fixture
def identity(migrated_settings: Settings):
    database = Database(migrated_settings.identity_database_url, "identity")
    yield database, SecretBox(migrated_settings.secret_key)
    database.dispose()


def _rotated_instance_key(database: Database, box: SecretBox) -> tuple[str, str, str]:
    """(old key id, new key id, new secret) of an instance key rotated once."""
    now = datetime.now(UTC)
    with session_scope(database) as session:
        tenant = tenants.create_tenant(session, box, "acme")
        old_id, _ = instance_keys.issue_instance_key(
            session, box, tenant.tenant_id, "stack-1", "Server", now
        )
        new_id = instance_keys.rotate_instance_key(session, box, old_id, now)
    assert new_id is not None
    with session_scope(database) as session:
        new_secret = instance_keys.stack_key_secret(session, box, "stack-1", new_id)
    assert new_secret is not None
    return old_id, new_id, new_secret


def test_a_successors_first_use_on_a_session_retires_its_predecessor(identity) -> None:
    database, box = identity
    old_id, new_id, new_secret = _rotated_instance_key(database, box)
    with session_scope(database) as session:
        assert tenants.lookup_access_key(session, box, old_id) is not None  # in its grace
        secret, principal = tenants.lookup_access_key(session, box, new_id)
    assert (secret, principal.kind, principal.resource_name) == (new_secret, "instance", "Server")
    with session_scope(database) as session:
        assert tenants.lookup_access_key(session, box, old_id) is None


def test_a_successors_first_use_on_a_connection_retires_its_predecessor(identity) -> None:
    database, box = identity
    old_id, new_id, new_secret = _rotated_instance_key(database, box)
    with database.engine.connect() as connection:
        secret, principal = tenants.lookup_access_key(connection, box, new_id)
        assert tenants.lookup_writes(principal)  # so the endpoint commits
        connection.commit()
    assert secret == new_secret
    with database.engine.connect() as connection:
        assert tenants.lookup_access_key(connection, box, old_id) is None


def test_a_tenant_key_lookup_only_reads(identity) -> None:
    database, box = identity
    with session_scope(database) as session:
        created = tenants.create_tenant(session, box, "acme")
    with database.engine.connect() as connection:
        secret, principal = tenants.lookup_access_key(connection, box, created.access_key_id)
        assert not tenants.lookup_writes(principal)  # the endpoint need not commit
    assert secret == created.secret_access_key
