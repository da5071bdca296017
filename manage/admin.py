"""heatwatch-admin: tenants and credentials, migrations, and the development bootstrap.

heatwatch-admin tenant create NAME --json   # prints the new tenant's credentials once
heatwatch-admin tenant list [--json]
heatwatch-admin tenant revoke-key ACCESS_KEY_ID
heatwatch-admin tenant revoke-token TOKEN_ID
heatwatch-admin tenant disable NAME | enable NAME
heatwatch-admin db upgrade
heatwatch-admin generate-secret-key
heatwatch-admin dev bootstrap               # used by `make run`
heatwatch-admin dev redis                   # used by the Procfile
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from alembic import command

from config.settings import ConfigError, Settings, from_env
from manage import devrun
from models import migrate
from models.errors import DomainError
from models.identity import instance_keys, tenants
from models.identity.crypto import SecretBox, generate_key
from models.sessions import Database, session_scope


def _identity(settings: Settings) -> tuple[Database, SecretBox]:
    return Database(settings.identity_database_url, "identity"), SecretBox(settings.secret_key)


def _tenant_create(settings: Settings, args: argparse.Namespace) -> int:
    database, box = _identity(settings)
    with session_scope(database) as session:
        created = tenants.create_tenant(session, box, args.name)
    if args.json:
        print(json.dumps(created.as_dict(), indent=2))
    else:
        for key, value in created.as_dict().items():
            print(f"{key}: {value}")
        print("The secret and the token are shown only now; store them safely.")
    return 0


def _tenant_list(settings: Settings, args: argparse.Namespace) -> int:
    database, _ = _identity(settings)
    with session_scope(database) as session:
        rows = [
            {
                "tenant_id": t.id,
                "name": t.name,
                "enabled": t.enabled,
                "created_at": t.created_at.isoformat(),
                "access_keys": [
                    {
                        "access_key_id": k.access_key_id,
                        "principal": k.principal_kind,
                        "revoked": k.revoked_at is not None,
                    }
                    for k in tenants.list_access_keys(session, t.id)
                ],
                "api_tokens": [
                    {"token_id": tok.id, "revoked": tok.revoked_at is not None}
                    for tok in tenants.list_api_tokens(session, t.id)
                ],
            }
            for t in tenants.list_tenants(session)
        ]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            state = "enabled" if row["enabled"] else "disabled"
            active = sum(not k["revoked"] for k in row["access_keys"])
            print(f"{row['tenant_id']}  {row['name']}  ({state}, {active} active keys)")
    return 0


def _tenant_revoke_key(settings: Settings, args: argparse.Namespace) -> int:
    database, _ = _identity(settings)
    with session_scope(database) as session:
        tenants.revoke_access_key(session, args.access_key_id)
    print(f"revoked access key {args.access_key_id}")
    return 0


def _tenant_revoke_token(settings: Settings, args: argparse.Namespace) -> int:
    database, _ = _identity(settings)
    with session_scope(database) as session:
        tenants.revoke_api_token(session, args.token_id)
    print(f"revoked API token {args.token_id}")
    return 0


def _tenant_set_enabled(enabled: bool):  # type: ignore[no-untyped-def]
    def run(settings: Settings, args: argparse.Namespace) -> int:
        database, _ = _identity(settings)
        with session_scope(database) as session:
            tenants.set_tenant_enabled(session, args.name, enabled)
        print(f"tenant {args.name} {'enabled' if enabled else 'disabled'}")
        return 0

    return run


def _stack_rotate_keys(settings: Settings, args: argparse.Namespace) -> int:
    """Issue successors for the instance keys now; each instance's cfn-hup picks its new
    key up from the credentials endpoint, and the old one retires on first use of the new."""
    now = datetime.now(UTC)
    database, box = _identity(settings)
    with session_scope(database) as session:
        keys = instance_keys.active_instance_keys(session, args.stack_id)
        rotated = [
            instance_keys.rotate_instance_key(session, box, key.access_key_id, now) for key in keys
        ]
    print(f"{sum(1 for r in rotated if r)} instance key(s) rotated")
    return 0


def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    migrate.upgrade_all(settings)
    print("identity, orchestration and watch databases are at their latest schema")
    return 0


def _db_revision(settings: Settings, args: argparse.Namespace) -> int:
    url = migrate.store_urls(settings)[args.store]
    migrate.upgrade(args.store, url)  # autogenerate compares against an up-to-date schema
    command.revision(
        migrate.alembic_config(args.store, url), message=args.message, autogenerate=True
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="heatwatch-admin", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    tenant = commands.add_parser("tenant", help="tenants and their credentials")
    tenant_cmds = tenant.add_subparsers(dest="tenant_command", required=True)
    create = tenant_cmds.add_parser("create", help="create a tenant and print its credentials")
    create.add_argument("name")
    create.add_argument("--json", action="store_true", help="print the credentials as JSON")
    create.set_defaults(handler=_tenant_create)
    listing = tenant_cmds.add_parser("list", help="list tenants and their credential ids")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_tenant_list)
    revoke_key = tenant_cmds.add_parser("revoke-key", help="revoke an access key")
    revoke_key.add_argument("access_key_id")
    revoke_key.set_defaults(handler=_tenant_revoke_key)
    revoke_token = tenant_cmds.add_parser("revoke-token", help="revoke an API token by its id")
    revoke_token.add_argument("token_id")
    revoke_token.set_defaults(handler=_tenant_revoke_token)
    for verb, enabled in (("enable", True), ("disable", False)):
        toggle = tenant_cmds.add_parser(verb, help=f"{verb} a tenant (all its credentials)")
        toggle.add_argument("name")
        toggle.set_defaults(handler=_tenant_set_enabled(enabled))

    stack = commands.add_parser("stack", help="stacks' instance credentials")
    stack_cmds = stack.add_subparsers(dest="stack_command", required=True)
    rotate = stack_cmds.add_parser(
        "rotate-keys", help="rotate the instance keys of one stack (or of all stacks)"
    )
    rotate.add_argument("stack_id", nargs="?", help="a stack id; all stacks when left out")
    rotate.set_defaults(handler=_stack_rotate_keys)

    db = commands.add_parser("db", help="database migrations")
    db_cmds = db.add_subparsers(dest="db_command", required=True)
    db_cmds.add_parser("upgrade", help="apply all migrations").set_defaults(handler=_db_upgrade)
    revision = db_cmds.add_parser("revision", help="autogenerate a migration for one store")
    revision.add_argument("store", choices=migrate.STORES)
    revision.add_argument("-m", "--message", required=True)
    revision.set_defaults(handler=_db_revision)

    commands.add_parser(
        "generate-secret-key", help="print a new Fernet key for HEATWATCH_SECRET_KEY"
    ).set_defaults(handler=None, no_settings=lambda: print(generate_key()))

    dev = commands.add_parser("dev", help="development run helpers (used by make run)")
    dev_cmds = dev.add_subparsers(dest="dev_command", required=True)
    dev_cmds.add_parser(
        "bootstrap", help="write .env if missing, migrate, seed the demo tenant"
    ).set_defaults(handler=None, no_settings=devrun.bootstrap)
    dev_cmds.add_parser(
        "redis", help="run a local redis-server in the foreground unless one is reachable"
    ).set_defaults(handler=devrun.run_redis)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.handler is None:
        result = args.no_settings()
        return int(result or 0)
    try:
        settings = from_env(os.environ)
        return int(args.handler(settings, args))
    except ConfigError as exc:
        print(f"heatwatch-admin: configuration error: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"heatwatch-admin: {exc.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
