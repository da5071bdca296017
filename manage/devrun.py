"""The development run: `make run` = `heatwatch-admin dev bootstrap` then `honcho start`.

bootstrap writes a development .env when there is none (a fresh Fernet key and a demo
tenant's credentials, random per checkout), applies every migration and seeds the demo tenant
from .env, so `set -a; . ./.env` makes the README's boto3, AWS CLI and heatclient examples
work as they are.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
import uuid
from pathlib import Path

from honcho.environ import parse as parse_env

from config.settings import PROJECT_ROOT, Settings, from_env
from manage import local_redis
from models import migrate
from models.identity import tenants
from models.identity.crypto import SecretBox, generate_key
from models.sessions import Database, session_scope

log = logging.getLogger("heatwatch.dev")

DEMO_TENANT = "demo"
ENV_FILE = PROJECT_ROOT / ".env"


def development_env() -> dict[str, str]:
    tenant_id = uuid.uuid4().hex
    return {
        "HEATWATCH_SECRET_KEY": generate_key(),
        "AWS_ACCESS_KEY_ID": tenants.new_access_key_id(),
        "AWS_SECRET_ACCESS_KEY": tenants.new_secret_access_key(),
        "AWS_DEFAULT_REGION": "us-east-1",
        "OS_AUTH_TOKEN": tenants.new_auth_token(),
        "OS_PROJECT_ID": tenant_id,
        "HEAT_URL": f"http://127.0.0.1:8004/v1/{tenant_id}",
        "CLOUDWATCH_URL": "http://127.0.0.1:8003",
        "PYTHONUNBUFFERED": "1",
    }


def write_env_file(path: Path, values: dict[str, str]) -> None:
    lines = [
        "# Development settings written by `heatwatch-admin dev bootstrap` (make run).",
        "# Random per checkout; never use these values in production. Delete this file and",
        "# var/ to start over.",
        *(f"{key}={value}" for key, value in values.items()),
    ]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


def load_env_file(path: Path) -> dict[str, str]:
    values = parse_env(path.read_text())
    for key, value in values.items():
        os.environ.setdefault(key, value)
    return values


def seed_demo_tenant(settings: Settings, env: dict[str, str]) -> str:
    database = Database(settings.identity_database_url, "identity")
    try:
        with session_scope(database) as session:
            existing = [t for t in tenants.list_tenants(session) if t.name == DEMO_TENANT]
            if existing:
                return "exists"
            tenants.create_tenant(
                session,
                SecretBox(settings.secret_key),
                DEMO_TENANT,
                tenant_id=env["OS_PROJECT_ID"],
                access_key_id=env["AWS_ACCESS_KEY_ID"],
                secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                auth_token=env["OS_AUTH_TOKEN"],
            )
            return "created"
    finally:
        database.dispose()


def bootstrap(env_file: Path = ENV_FILE) -> int:
    if not env_file.exists():
        write_env_file(env_file, development_env())
        print(f"wrote {env_file} with fresh development credentials")
    env = load_env_file(env_file)
    settings = from_env()
    migrate.upgrade_all(settings)
    print("databases migrated:", ", ".join(migrate.store_urls(settings).values()))
    state = seed_demo_tenant(settings, env)
    print(f"demo tenant {DEMO_TENANT!r} ({env['OS_PROJECT_ID']}): {state}")
    return 0


def run_redis(settings: Settings, _args: argparse.Namespace) -> int:
    """Procfile `redis` line: serve a local Redis unless one is already reachable."""
    if local_redis.is_reachable(settings.redis_url):
        print(f"Redis already answers at {settings.redis_url}; not starting one.", flush=True)
        # Stay up quietly so honcho does not read our exit as a crash and stop the system.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while True:
            time.sleep(3600)
    if not settings.auto_start_redis:
        print(f"No Redis at {settings.redis_url} and auto-start is off.", file=sys.stderr)
        return 1
    command = local_redis.server_command(
        local_redis.loopback_port(settings.redis_url), settings.data_dir / "redis", persist=True
    )
    print(f"starting {command[0]} for {settings.redis_url}", flush=True)
    os.execv(command[0], command)
    return 0  # not reached: execv replaces this process
