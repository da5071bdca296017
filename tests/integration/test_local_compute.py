"""The `local` compute driver with real processes: sandbox, status across processes, teardown.

Every test boots real instances (a supervisor plus a /bin/sh user-data script) under tmp_path;
the `driver` fixture deletes whatever a test left running, so no sleeper outlives the suite.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from config.settings import PROJECT_ROOT, ConfigError
from models.errors import InvalidInputError, NotFoundError
from models.orchestration.compute import (
    BootRequest,
    ComputeDriver,
    ComputeError,
    InstanceStatus,
    get_driver,
)
from models.orchestration.compute.local import LocalComputeDriver
from tests.support import wait_for

VENV_BIN = Path(os.path.abspath(sys.executable)).parent
CREDENTIALS = b"AWSAccessKeyId=AKIDLOCAL\nAWSSecretKey=secret\n"


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[LocalComputeDriver]:
    compute = LocalComputeDriver(tmp_path / "instances")
    yield compute
    if compute.base_dir.exists():
        for entry in compute.base_dir.iterdir():
            compute.delete(entry.name)


def request(user_data: bytes | None, **overrides: object) -> BootRequest:
    fields: dict[str, object] = {
        "name": "teststack-Web-abc123",
        "image_id": "F20-x86_64-cfntools",
        "instance_type": "m1.small",
        "user_data": user_data,
        "files": {
            "/etc/cfn/cfn-credentials": (CREDENTIALS, 0o400),
            "/var/lib/heat-cfntools/cfn-init-data": (b'{"AWS::CloudFormation::Init": {}}', 0o600),
        },
        "metadata": {"stack_id": "stack-1", "resource_name": "Web"},
    }
    fields.update(overrides)
    return BootRequest(**fields)  # type: ignore[arg-type]


def script(body: str) -> bytes:
    return ("#!/bin/sh\n" + body).encode()


def running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie (orphans may linger unreaped as zombies)."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return False
    return data[data.rindex(b")") + 2 :].split()[0] not in (b"Z", b"X")


def read_pid(path: Path) -> int:
    return int(wait_for(lambda: path.exists() and path.read_text().strip(), 5, 0.02, str(path)))


def test_boot_runs_user_data_in_the_sandbox(
    driver: LocalComputeDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The engine's own secrets must not reach the instance's environment.
    monkeypatch.setenv("HEATWATCH_SECRET_KEY", "engine-secret-must-not-leak")
    user_data = script(
        'env > "$HEATWATCH_INSTANCE_ROOT/var/lib/env"\n'
        'pwd > "$HEATWATCH_INSTANCE_ROOT/var/lib/cwd"\n'
        'cp "$HEATWATCH_INSTANCE_ROOT/etc/cfn/cfn-credentials" /dev/stdout\n'
        "echo booted\n"
        "exec sleep 30\n"
    )
    started = time.monotonic()
    server_id = driver.boot(request(user_data))
    assert time.monotonic() - started < 2, "boot must not wait for the instance"

    status = driver.status(server_id)
    assert status.state == "ACTIVE"
    assert status.reason is None  # the script is still running
    assert status.addresses == ("127.0.0.1",)

    root = driver.instance_root(server_id)
    env_file = root / "var/lib/env"
    wait_for(lambda: "booted" in driver.console_output(server_id), 5, 0.02, "console output")
    env = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    assert env["PATH"].split(os.pathsep)[0] == str(VENV_BIN)
    assert env["HEATWATCH_INSTANCE_ROOT"] == str(root)
    assert env["HEATWATCH_INSTANCE_ID"] == server_id
    assert "HEATWATCH_SECRET_KEY" not in env
    assert (root / "var/lib/cwd").read_text().strip() == str(root)
    # The script read its credentials from the sandbox's /etc/cfn; its output is the console.
    assert "AWSAccessKeyId=AKIDLOCAL" in driver.console_output(server_id)

    credentials = root / "etc/cfn/cfn-credentials"
    assert credentials.read_bytes() == CREDENTIALS
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o400
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE((root / "var/lib/cloud/instance/user-data").stat().st_mode) == 0o700
    meta = json.loads((root / "var/lib/cloud/instance/meta_data.json").read_text())
    assert meta["uuid"] == server_id
    assert meta["meta"] == {"stack_id": "stack-1", "resource_name": "Web"}


def test_another_worker_process_sees_the_status_and_can_delete(
    driver: LocalComputeDriver,
) -> None:
    server_id = driver.boot(request(script("exec sleep 30\n")))
    # Another driver object, and a whole other process: nothing lives in the booting driver.
    assert LocalComputeDriver(driver.base_dir).status(server_id) == driver.status(server_id)
    other_worker = (
        "import sys\n"
        "from pathlib import Path\n"
        "from models.orchestration.compute.local import LocalComputeDriver\n"
        "d = LocalComputeDriver(Path(sys.argv[1]))\n"
        "print(d.status(sys.argv[2]).state)\n"
        "d.delete(sys.argv[2])\n"
        "print(d.status(sys.argv[2]).state)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", other_worker, str(driver.base_dir), server_id],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert result.stdout.split() == ["ACTIVE", "DELETED"]
    assert driver.status(server_id).state == "DELETED"


def test_delete_ends_the_whole_process_tree(driver: LocalComputeDriver) -> None:
    user_data = script(
        'lib="$HEATWATCH_INSTANCE_ROOT/var/lib"\n'
        "sleep 30 &\n"
        'echo $! > "$lib/child.pid"\n'
        # A daemon that leaves the session: found by its HEATWATCH_INSTANCE_ID.
        "python -c 'import os, sys, time; os.setsid(); "
        'open(sys.argv[1], "w").write(str(os.getpid())); time.sleep(30)\' "$lib/daemon.pid" &\n'
        'echo $$ > "$lib/script.pid"\n'
        "wait\n"
    )
    server_id = driver.boot(request(user_data))
    lib = driver.instance_root(server_id) / "var/lib"
    pids = [read_pid(lib / name) for name in ("script.pid", "child.pid", "daemon.pid")]
    supervisor = json.loads((driver.base_dir / server_id / "boot.json").read_text())["pid"]
    assert all(running(pid) for pid in [supervisor, *pids])

    started = time.monotonic()
    driver.delete(server_id)
    assert time.monotonic() - started < 2.5

    assert not [pid for pid in [supervisor, *pids] if running(pid)]
    assert driver.status(server_id).state == "DELETED"
    # The credentials went with the root; the console log stays for a post-mortem.
    assert not (driver.base_dir / server_id / "root").exists()
    assert (driver.base_dir / server_id / "console.log").exists()


@pytest.mark.parametrize("code", [0, 3])
def test_user_data_exit_status_is_recorded_and_the_instance_stays_active(
    driver: LocalComputeDriver, code: int
) -> None:
    server_id = driver.boot(request(script(f"exit {code}\n")))
    wait_for(lambda: driver.status(server_id).reason, 5, 0.02, "user data to finish")
    status = driver.status(server_id)
    # Like Nova: a failed boot script is the WaitCondition's business, not the VM's state.
    assert status.state == "ACTIVE"
    assert status.reason == f"user-data exited with status {code}"
    exit_file = driver.instance_root(server_id) / "var/lib/cloud/instance/exit-code"
    assert exit_file.read_text().strip() == str(code)


@pytest.mark.parametrize(
    "path", ["etc/cfn/cfn-credentials", "/etc/../../outside", "/../outside", "/", ""]
)
def test_paths_outside_the_instance_are_rejected(
    driver: LocalComputeDriver, tmp_path: Path, path: str
) -> None:
    with pytest.raises(InvalidInputError):
        driver.boot(request(None, files={path: (b"x", 0o600)}))
    # Nothing was created for the rejected request.
    assert not driver.base_dir.exists() or not any(driver.base_dir.iterdir())
    assert not (tmp_path / "outside").exists()

    server_id = driver.boot(request(None))
    with pytest.raises(InvalidInputError):
        driver.write_files(server_id, {path: (b"x", 0o600)})


def test_a_symlink_planted_by_the_instance_cannot_redirect_writes(
    driver: LocalComputeDriver, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    server_id = driver.boot(request(None))
    cfn = driver.instance_root(server_id) / "etc/cfn"
    for child in cfn.iterdir():
        child.unlink()
    cfn.rmdir()
    cfn.symlink_to(outside)
    with pytest.raises(ComputeError):
        driver.write_files(server_id, {"/etc/cfn/cfn-credentials": (b"rotated", 0o400)})
    assert not any(outside.iterdir())


def test_write_files_replaces_credentials_in_a_running_instance(
    driver: LocalComputeDriver,
) -> None:
    server_id = driver.boot(request(script("exec sleep 30\n")))
    driver.write_files(server_id, {"/etc/cfn/cfn-credentials": (b"rotated", 0o400)})
    credentials = driver.instance_root(server_id) / "etc/cfn/cfn-credentials"
    assert credentials.read_bytes() == b"rotated"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o400
    # Atomic replacement leaves no temporary files behind.
    assert [p.name for p in credentials.parent.iterdir()] == ["cfn-credentials"]


def test_cloud_config_is_stored_not_executed(driver: LocalComputeDriver) -> None:
    server_id = driver.boot(request(b"#cloud-config\nruncmd:\n  - touch /tmp/never\n"))
    instance = driver.instance_root(server_id) / "var/lib/cloud/instance"
    stored = instance / "user-data"
    assert stored.read_bytes().startswith(b"#cloud-config")
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    time.sleep(0.2)  # time enough for a wrongly executed script to leave a trace
    assert driver.status(server_id) == InstanceStatus("ACTIVE", None, ("127.0.0.1",))
    assert not (instance / "exit-code").exists()


def test_delete_is_idempotent_and_unknown_ids_read_as_deleted(
    driver: LocalComputeDriver,
) -> None:
    server_id = driver.boot(request(script("exec sleep 30\n")))
    driver.delete(server_id)
    driver.delete(server_id)
    assert driver.status(server_id).state == "DELETED"

    for unknown in (str(uuid.uuid4()), "../../etc", "", server_id.upper()):
        driver.delete(unknown)
        assert driver.status(unknown).state == "DELETED"
        with pytest.raises(NotFoundError):
            driver.reboot(unknown)
        with pytest.raises(NotFoundError):
            driver.write_files(unknown, {"/etc/x": (b"x", 0o600)})
    with pytest.raises(NotFoundError):
        driver.reboot(server_id)


def test_status_never_blocks_even_while_a_delete_waits_on_the_process_tree(
    driver: LocalComputeDriver,
) -> None:
    # The script ignores SIGTERM, so delete() has to sit out its grace period and SIGKILL.
    user_data = script("trap '' TERM\necho started\nwhile :; do sleep 0.05; done\n")
    server_id = driver.boot(request(user_data))
    wait_for(lambda: "started" in driver.console_output(server_id), 5, 0.02, "script start")

    deleting = threading.Thread(target=driver.delete, args=(server_id,))
    started = time.monotonic()
    deleting.start()
    slowest = 0.0
    while deleting.is_alive():
        call = time.monotonic()
        driver.status(server_id)
        slowest = max(slowest, time.monotonic() - call)
        time.sleep(0.01)
    deleting.join()
    elapsed = time.monotonic() - started

    assert slowest < 0.25
    assert 0.5 < elapsed < 2.5, "delete waits out its grace period, and no longer"
    assert driver.status(server_id).state == "DELETED"


def test_reboot_brings_a_dead_instance_back_and_reruns_user_data(
    driver: LocalComputeDriver,
) -> None:
    user_data = script('echo boot >> "$HEATWATCH_INSTANCE_ROOT/var/lib/boots"\nexec sleep 30\n')
    server_id = driver.boot(request(user_data))
    boots = driver.instance_root(server_id) / "var/lib/boots"
    wait_for(boots.exists, 5, 0.02, "first boot")

    # The instance dies behind the engine's back (an OOM kill, say): SHUTOFF.
    record = json.loads((driver.base_dir / server_id / "boot.json").read_text())
    os.killpg(record["pgid"], signal.SIGKILL)
    wait_for(lambda: driver.status(server_id).state == "SHUTOFF", 5, 0.02, "SHUTOFF")

    driver.reboot(server_id)
    assert driver.status(server_id).state == "ACTIVE"
    wait_for(lambda: boots.read_text().count("boot") == 2, 5, 0.02, "second boot")
    assert not running(record["pid"])


def test_an_instance_that_cannot_start_is_in_error(tmp_path: Path) -> None:
    broken = LocalComputeDriver(tmp_path / "instances", python=str(tmp_path / "no-python"))
    server_id = broken.boot(request(script("exit 0\n")))
    status = broken.status(server_id)
    assert status.state == "ERROR"
    assert status.reason is not None
    assert "cannot start" in status.reason
    broken.delete(server_id)
    assert broken.status(server_id).state == "DELETED"


def test_get_driver_builds_the_local_driver_from_settings(tmp_path: Path) -> None:
    compute = get_driver("local", SimpleNamespace(data_dir=tmp_path))
    assert isinstance(compute, ComputeDriver)
    assert isinstance(compute, LocalComputeDriver)
    assert compute.name == "local"
    assert compute.base_dir == tmp_path / "instances"
    with pytest.raises(ConfigError, match="unknown compute driver 'nova'"):
        get_driver("nova", SimpleNamespace(data_dir=tmp_path))
