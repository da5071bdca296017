"""The foundation's acceptance, checked the way a new user would: against the running Procfile."""

from __future__ import annotations

import json
import os
import subprocess

import requests
from celery import Celery
from heatclient import client as heat_client

from tasks.factory import make_celery
from tests.support import VENV_BIN, wait_for

QUEUES = ("engine", "metrics", "watch")


def _celery(live_system) -> Celery:
    return make_celery(live_system.settings)


def test_both_apis_report_healthy_databases_and_broker(live_system) -> None:
    for url, own in (
        (live_system.heat_url, "orchestration_db"),
        (live_system.watch_url, "watch_db"),
    ):
        response = requests.get(f"{url}/healthz", timeout=5)
        assert response.status_code == 200
        checks = response.json()["checks"]
        assert checks["broker"]["ok"]
        assert checks[own]["ok"]
        assert checks["identity_db"]["ok"]


def test_each_pool_consumes_only_its_own_queue(live_system) -> None:
    inspector = _celery(live_system).control.inspect(timeout=5)
    active = wait_for(
        lambda: (q := inspector.active_queues()) and len(q) == 3 and q,
        timeout=60,
        what="three workers to answer inspect",
    )
    by_pool = {name.split("@")[0]: [q["name"] for q in queues] for name, queues in active.items()}
    assert by_pool == {"engine": ["engine"], "metrics": ["metrics"], "watch": ["watch"]}


def test_tasks_are_routed_by_name_to_their_pool(live_system) -> None:
    celery = _celery(live_system)
    for queue in QUEUES:
        result = celery.send_task(f"{queue}.ping")
        reply = result.get(timeout=30)
        result.forget()
        assert reply["hostname"].startswith(f"{queue}@")
        assert reply["queue"] == queue


def test_beat_drives_the_watch_tick_on_the_watch_pool(live_system) -> None:
    # The e2e system ticks every second; two ticks prove a schedule, not a one-off.
    wait_for(
        lambda: live_system.log().count('"message": "watch tick"') >= 2,
        timeout=60,
        what="two watch ticks in the watch worker's log",
    )
    ticks = [line for line in live_system.log().splitlines() if '"watch tick"' in line]
    assert all('"task_name": "watch.tick"' in line for line in ticks)


def test_flower_lists_the_three_pools(live_system) -> None:
    def workers() -> dict | None:
        response = requests.get(f"{live_system.flower_url}/api/workers?refresh=1", timeout=10)
        body = response.json() if response.status_code == 200 else {}
        return body if len(body) >= 3 else None

    listed = wait_for(workers, timeout=90, interval=1, what="flower to list three workers")
    assert sorted(name.split("@")[0] for name in listed) == ["engine", "metrics", "watch"]


def test_heatclient_reaches_the_engine_through_the_api(live_system) -> None:
    tenant = live_system.tenant
    heat = heat_client.Client(
        "1", endpoint=f"{live_system.heat_url}/v1/{tenant.tenant_id}", token=tenant.auth_token
    )
    info = heat.build_info.build_info()
    assert info["engine"]["revision"] == info["api"]["revision"]


def test_wrong_token_is_401_and_another_tenants_path_is_403_in_json(live_system) -> None:
    tenant_id = live_system.tenant.tenant_id
    url = f"{live_system.heat_url}/v1/{tenant_id}/build_info"
    for headers in ({}, {"X-Auth-Token": "wrong"}):
        response = requests.get(url, headers=headers, timeout=5)
        assert response.status_code == 401
        assert response.headers["Content-Type"] == "application/json"
        body = response.json()
        assert body["code"] == 401
        assert body["error"]["message"]
        assert body["request_id"].startswith("req-")
    other = requests.get(
        f"{live_system.heat_url}/v1/someone-else/build_info",
        headers={"X-Auth-Token": live_system.tenant.auth_token},
        timeout=5,
    )
    assert other.status_code == 403


def test_admin_tool_creates_a_tenant_whose_token_works(live_system) -> None:
    output = subprocess.run(
        [str(VENV_BIN / "heatwatch-admin"), "tenant", "create", "newcomer", "--json"],
        env={**os.environ, **live_system.env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    created = json.loads(output)
    response = requests.get(
        f"{live_system.heat_url}/v1/{created['tenant_id']}/build_info",
        headers={"X-Auth-Token": created["auth_token"]},
        timeout=30,
    )
    assert response.status_code == 200


def test_logs_are_structured_and_never_contain_secrets(live_system) -> None:
    requests.get(
        f"{live_system.heat_url}/v1/{live_system.tenant.tenant_id}/build_info",
        headers={"X-Auth-Token": live_system.tenant.auth_token},
        timeout=30,
    )
    log = live_system.log()
    assert '"message": "request"' in log
    for secret in (
        live_system.tenant.auth_token,
        live_system.tenant.secret_access_key,
        live_system.settings.secret_key,
    ):
        assert secret not in log
