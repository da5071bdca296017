"""Stack records and the operation lock on a migrated orchestration DB."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from config.settings import Settings
from models.errors import ConflictError, InvalidInputError, OperationInProgressError
from models.orchestration import engine, stacks
from models.sessions import Database, session_scope

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TEMPLATE = {"Resources": {"A": {"Type": "OS::Heat::None"}}}


@pytest.fixture
def db(migrated_settings: Settings):
    database = Database(migrated_settings.orchestration_database_url, "orchestration")
    yield database
    database.dispose()


def create(db: Database, name: str = "web") -> tuple[str, int]:
    with session_scope(db) as session:
        stack, operation = stacks.create_stack(
            session, "t1", name=name, template=TEMPLATE, parameters={}, timeout_mins=None,
            disable_rollback=True, tags=[], now=NOW,
        )  # fmt: skip
        return stack.id, operation.id


def test_one_operation_at_a_time_per_stack(db: Database) -> None:
    stack_id, _ = create(db)
    with session_scope(db) as session:
        stack = stacks.find_stack(session, "t1", stack_id)
        with pytest.raises(OperationInProgressError):
            stacks.start_operation(session, stack, "UPDATE", TEMPLATE, {}, NOW)


def test_names_are_checked_and_unique_per_tenant(db: Database) -> None:
    create(db, "web")
    with pytest.raises(ConflictError):
        create(db, "web")
    with pytest.raises(InvalidInputError):
        create(db, "1-starts-with-a-digit")


def test_a_step_is_claimed_by_one_worker_until_its_lease_ends(db: Database) -> None:
    _, operation_id = create(db)
    with session_scope(db) as session:
        assert engine.claim(session, operation_id, NOW) is not None
    with session_scope(db) as session:
        assert engine.claim(session, operation_id, NOW) is None  # a duplicate step message
    later = NOW + engine.LEASE + engine.LEASE
    with session_scope(db) as session:
        assert engine.claim(session, operation_id, later) is not None  # the worker died
