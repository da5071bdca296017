"""The `local` compute driver: each instance is a sandboxed process tree on this machine.

Layout, one directory per server id (a uuid4) under `<HEATWATCH_DATA_DIR>/instances/`:

    <id>/state.json     the driver's record: vm_state (active | error | deleted), boot number,
                        the request's name, image, type and metadata
    <id>/boot.json      written by the running instance: pid, pgid, start_ticks, started_at, boot
    <id>/supervisor.py  the instance's "firmware" (the _SUPERVISOR source below)
    <id>/lock           flock for the calls that change the instance
    <id>/console.log    the console log, kept after delete for post-mortems
    <id>/root/          the instance's filesystem: etc/cfn, var/lib, var/log, tmp, root (HOME)

Decisions:

- The driver's own files sit beside the instance root, not inside it, so an instance script
  that rewrites its own /var cannot make the engine signal someone else's processes, and
  delete can remove the whole root (credentials included) and still leave a tombstone.
  "Sandboxed" means an own directory, environment and process group. It is not a security
  boundary: the instance runs as the engine's user. What it does not get is the engine's
  environment (database URLs, HEATWATCH_SECRET_KEY): it starts from a minimal one.
- Every instance runs a tiny supervisor (a Python process started with `-I -S`) that calls
  setsid, records itself in boot.json, runs the user-data script, writes its exit status to
  `root/var/lib/cloud/instance/exit-code` and then stays up. The supervisor is the powered-on
  VM: ACTIVE while it lives, SHUTOFF once it is gone (killed, or the host rebooted). That
  lets any process answer `status()` from files and /proc, with nobody needing to reap a
  child, and it keeps the process group id pinned while the instance is up.
- The supervisor is double-forked: `boot()` waits only for the launcher (tens of ms), which
  exits once the supervisor has written boot.json. So boot returns with the instance already
  ACTIVE, and the engine worker is never the parent of an instance (no zombies in workers).
- A user-data script that exits non-zero leaves the instance ACTIVE, as Nova would: whether
  the boot script worked is the WaitCondition's business. `reason` says "user-data exited
  with status N" once the script has finished (N = 128 + signal after a signal death).
- Only user data starting with `#!` runs (written 0700 to /var/lib/cloud/instance/user-data).
  Anything else, cloud-config say, is stored at the same path (0600) and not interpreted:
  there is no cloud-init here.
- `delete()` and `reboot()` end the process tree: SIGTERM, up to STOP_GRACE seconds, then
  SIGKILL, so neither blocks for more than about two seconds. The tree is the supervisor's
  session and process group, plus (on Linux) any process whose environment carries this
  instance's HEATWATCH_INSTANCE_ID, which catches daemons that called setsid themselves. A
  process that clears its environment and leaves the session escapes; so be it.
- `reboot()` stops the tree and runs the user data again. A real reboot reruns only what the
  image starts at boot; here the user data is all that ever starts anything, and rerunning it
  is what an HARestarter-style action needs to make a dead instance work again.
- `write_files()` and boot write each file through directory fds opened with O_NOFOLLOW, to a
  temporary name then renamed: a symlink the instance planted cannot redirect a write outside
  the root, and a tool reading credentials never sees half a file.
- Networking is loopback only: the address is 127.0.0.1 and the APIs are reached on it.
- Linux is the target (/proc is read for liveness, pid reuse and zombies). Elsewhere the driver
  falls back to signalling the process group while its leader lives. Under a PID 1 that never
  reaps orphans (some containers and sandboxes), ended instances linger as zombies; liveness
  reads the process state, so a zombie counts as gone.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from models.errors import NotFoundError
from models.orchestration.compute.driver import (
    BootRequest,
    ComputeError,
    FileSpec,
    InstanceStatus,
    check_files,
)

log = logging.getLogger("heatwatch.compute.local")

LOOPBACK = ("127.0.0.1",)
USER_DATA = PurePosixPath("/var/lib/cloud/instance/user-data")
EXIT_CODE = PurePosixPath("/var/lib/cloud/instance/exit-code")
META_DATA = PurePosixPath("/var/lib/cloud/instance/meta_data.json")
CONSOLE_LOG = PurePosixPath("/var/log/cloud-init-output.log")
SKELETON = ("etc/cfn", "var/lib/cloud/instance", "var/log", "tmp", "root")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Time limits that keep every call short (no worker ever waits on an instance).
STOP_GRACE = 1.0  # SIGTERM to SIGKILL
KILL_WAIT = 0.5  # after SIGKILL, before giving up on a process stuck in the kernel
LAUNCH_TIMEOUT = 10.0  # the launcher is one Python start-up; this is only a safety net
LOCK_TIMEOUT = 5.0  # another call is stopping this instance; longer means something is stuck
BUILD_TIMEOUT = 60.0  # BUILD without a supervisor this long: the launching worker died

_HAVE_PROC = os.path.exists("/proc/self/stat")

# Runs as `python -I -S supervisor.py <control dir> <root> <script or ""> <boot number>`.
# Standard library only, so it runs whatever the instance's PATH or PYTHONPATH hold.
_SUPERVISOR = '''\
"""A local instance's supervisor, written by models/orchestration/compute/local.py."""
import json
import os
import signal
import subprocess
import sys
import time

control, root, script, boot = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def write_atomically(path, text):
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def start_ticks():
    try:
        with open("/proc/self/stat", "rb") as f:
            data = f.read()
        return int(data[data.rindex(b")") + 2 :].split()[19])
    except (OSError, ValueError, IndexError):
        return None


ready_r, ready_w = os.pipe()
if os.fork():
    # The launcher: exit once the supervisor has recorded itself, so the driver reaps us at
    # once and the supervisor is re-parented away from the engine worker.
    os.close(ready_w)
    os._exit(0 if os.read(ready_r, 1) == b"1" else 1)

os.close(ready_r)
os.setsid()
record = {
    "pid": os.getpid(),
    "pgid": os.getpgid(0),
    "start_ticks": start_ticks(),
    "started_at": time.time(),
    "boot": boot,
}
write_atomically(os.path.join(control, "boot.json"), json.dumps(record))
os.write(ready_w, b"1")
os.close(ready_w)

if script:
    try:
        code = subprocess.call([script], cwd=root)
    except OSError as exc:
        print(f"user-data: cannot execute {script}: {exc}", file=sys.stderr, flush=True)
        code = 126
    code = 128 - code if code < 0 else code
    try:
        write_atomically(os.path.join(root, "var/lib/cloud/instance/exit-code"), f"{code}\\n")
    except OSError as exc:
        print(f"user-data: cannot record exit status {code}: {exc}", file=sys.stderr, flush=True)

# Stay up like a VM whose boot script has finished: the instance is ACTIVE while this lives.
while True:
    signal.pause()
'''


class LocalComputeDriver:
    """Instances as local process trees under `base_dir`; see the module docstring."""

    name = "local"

    def __init__(
        self,
        base_dir: Path,
        *,
        tools_bin: Path | None = None,
        python: str | None = None,
    ) -> None:
        self.base_dir = Path(base_dir)
        # The venv's bin, where the instance tools' console scripts live. Not resolved: a venv's
        # python is a symlink to the system one, whose directory has no instance tools.
        self.tools_bin = tools_bin or Path(os.path.abspath(sys.executable)).parent
        self.python = python or sys.executable

    # -- the ComputeDriver interface ---------------------------------------------------------

    def boot(self, request: BootRequest) -> str:
        files = check_files(request.files)
        server_id = str(uuid.uuid4())
        control = self.base_dir / server_id
        root = control / "root"
        script = bool(request.user_data and request.user_data.startswith(b"#!"))
        state: dict[str, Any] = {
            "id": server_id,
            "name": request.name,
            "image_id": request.image_id,
            "instance_type": request.instance_type,
            "metadata": dict(request.metadata),
            "created_at": datetime.now(UTC).isoformat(),
            "vm_state": "active",
            "boot": 1,
            "launched_at": time.time(),
            "script": script,
            "reason": None,
        }
        try:
            self.base_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            control.mkdir(mode=0o700)
            # 0700 on the root makes everything inside private, whatever mode a file asks for.
            root.mkdir(mode=0o700)
            for directory in SKELETON:
                (root / directory).mkdir(parents=True, exist_ok=True, mode=0o755)
            for path, (content, mode) in files.items():
                _write_file(root, path, content, mode)
            meta = {
                "uuid": server_id,
                "name": request.name,
                "hostname": request.name,
                "meta": dict(request.metadata),
            }
            _write_file(root, META_DATA, json.dumps(meta).encode(), 0o644)
            if request.user_data is not None:
                _write_file(root, USER_DATA, request.user_data, 0o700 if script else 0o600)
            (control / "supervisor.py").write_text(_SUPERVISOR)
            _write_json(control / "state.json", state)
        except OSError as exc:
            shutil.rmtree(control, ignore_errors=True)
            raise ComputeError(f"cannot create instance {request.name!r}: {exc}") from exc
        with _locked(control):
            self._launch(server_id, control, state)
        log.info("instance booted", extra={"server_id": server_id, "server_name": request.name})
        return server_id

    def status(self, server_id: str) -> InstanceStatus:
        # No lock and no waiting: files and /proc only, so a poll is always quick.
        control = self._control_dir(server_id)
        state = _read_json(control / "state.json") if control else None
        if control is None or state is None or state.get("vm_state") == "deleted":
            return InstanceStatus("DELETED")
        if state.get("vm_state") == "error":
            return InstanceStatus("ERROR", state.get("reason"))
        boot = _read_json(control / "boot.json")
        if boot is None or boot.get("boot") != state.get("boot"):
            if time.time() - float(state.get("launched_at", 0)) > BUILD_TIMEOUT:
                return InstanceStatus("ERROR", "the instance process never started")
            return InstanceStatus("BUILD")
        finished = _exit_reason(control / "root")
        if _alive(int(boot["pid"]), boot.get("start_ticks")):
            return InstanceStatus("ACTIVE", finished, LOOPBACK)
        reason = "the instance process has ended" + (f"; {finished}" if finished else "")
        return InstanceStatus("SHUTOFF", reason, LOOPBACK)

    def delete(self, server_id: str) -> None:
        control = self._control_dir(server_id)
        if control is None or not (control / "state.json").exists():
            return
        with _locked(control):
            state = _read_json(control / "state.json")
            if state is None or state.get("vm_state") == "deleted":
                return
            # Order matters for a retry after a crash half-way: the tombstone is written last,
            # so a second delete() still stops processes and removes the root.
            stopped = self._stop(server_id, control)
            root = control / "root"
            with contextlib.suppress(OSError):
                os.replace(_host_path(root, CONSOLE_LOG), control / "console.log")
            _remove_tree(root)
            state.update(
                vm_state="deleted",
                deleted_at=datetime.now(UTC).isoformat(),
                reason=None if stopped else "processes survived SIGKILL",
            )
            _write_json(control / "state.json", state)
        log.info("instance deleted", extra={"server_id": server_id, "stopped": stopped})

    def reboot(self, server_id: str) -> None:
        control = self._existing(server_id)
        with _locked(control):
            state = _read_json(control / "state.json")
            if state is None or state.get("vm_state") == "deleted":
                raise NotFoundError(f"server {server_id} not found")
            self._stop(server_id, control)
            with contextlib.suppress(FileNotFoundError):
                _host_path(control / "root", EXIT_CODE).unlink()
            state.update(
                vm_state="active", boot=int(state["boot"]) + 1, launched_at=time.time(), reason=None
            )
            try:
                (control / "supervisor.py").write_text(_SUPERVISOR)
                _write_json(control / "state.json", state)
            except OSError as exc:
                raise ComputeError(f"cannot reboot server {server_id}: {exc}") from exc
            self._launch(server_id, control, state)
        log.info("instance rebooted", extra={"server_id": server_id, "boot": state["boot"]})

    def write_files(self, server_id: str, files: Mapping[str, FileSpec]) -> None:
        checked = check_files(files)
        control = self._existing(server_id)
        with _locked(control):
            state = _read_json(control / "state.json")
            if state is None or state.get("vm_state") == "deleted":
                raise NotFoundError(f"server {server_id} not found")
            for path, (content, mode) in checked.items():
                try:
                    _write_file(control / "root", path, content, mode)
                except OSError as exc:
                    raise ComputeError(f"cannot write {path} on {server_id}: {exc}") from exc

    # -- local extras (not part of ComputeDriver) --------------------------------------------

    def instance_root(self, server_id: str) -> Path:
        """The host directory that is the instance's `/` (gone once the server is deleted)."""
        return self._existing(server_id) / "root"

    def console_output(self, server_id: str, limit: int = 65536) -> str:
        """The tail of the instance's console log (Nova's get_console_output); kept after delete."""
        control = self._existing(server_id)
        for path in (_host_path(control / "root", CONSOLE_LOG), control / "console.log"):
            try:
                with path.open("rb") as f:
                    f.seek(max(0, path.stat().st_size - limit))
                    return f.read().decode("utf-8", "replace")
            except FileNotFoundError:
                continue
        return ""

    # -- internals ---------------------------------------------------------------------------

    def _control_dir(self, server_id: str) -> Path | None:
        # Only canonical uuids name a directory, so a server id can never be a path escape.
        try:
            canonical = str(uuid.UUID(server_id))
        except (TypeError, ValueError, AttributeError):
            return None
        return self.base_dir / canonical if canonical == server_id else None

    def _existing(self, server_id: str) -> Path:
        control = self._control_dir(server_id)
        if control is None or not (control / "state.json").exists():
            raise NotFoundError(f"server {server_id} not found")
        return control

    def _environment(self, server_id: str, root: Path) -> dict[str, str]:
        # Minimal on purpose: the engine's environment holds database URLs and the secret key.
        return {
            "PATH": f"{self.tools_bin}{os.pathsep}{SYSTEM_PATH}",
            "HOME": str(root / "root"),
            "TMPDIR": str(root / "tmp"),
            "LANG": "C.UTF-8",
            "HEATWATCH_INSTANCE_ROOT": str(root),
            "HEATWATCH_INSTANCE_ID": server_id,
        }

    def _launch(self, server_id: str, control: Path, state: dict[str, Any]) -> None:
        """Start the supervisor for `state["boot"]`; on failure record ERROR (as Nova would)."""
        root = control / "root"
        script = str(_host_path(root, USER_DATA)) if state["script"] else ""
        argv = [
            self.python,
            "-I",
            "-S",
            str(control / "supervisor.py"),
            str(control),
            str(root),
            script,
            str(state["boot"]),
        ]
        failure: str | None = None
        try:
            console = _open_in_root(root, CONSOLE_LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            try:
                launcher = subprocess.Popen(
                    argv,
                    cwd=root,
                    env=self._environment(server_id, root),
                    stdin=subprocess.DEVNULL,
                    stdout=console,
                    stderr=console,
                    start_new_session=True,
                )
            finally:
                os.close(console)
            code = launcher.wait(timeout=LAUNCH_TIMEOUT)
            if code != 0:
                failure = f"the instance process failed to start (launcher status {code})"
        except subprocess.TimeoutExpired:
            launcher.kill()
            launcher.wait()
            failure = f"the instance process did not start within {LAUNCH_TIMEOUT:g} s"
        except OSError as exc:
            failure = f"cannot start the instance process: {exc}"
        if failure is None:
            return
        self._stop(server_id, control)
        state.update(vm_state="error", reason=failure)
        _write_json(control / "state.json", state)
        log.warning("instance failed to start", extra={"server_id": server_id, "reason": failure})

    def _stop(self, server_id: str, control: Path) -> bool:
        """End the instance's process tree; True when nothing of it is left running."""
        boot = _read_json(control / "boot.json")
        group: int | None = None
        if boot is not None and _alive(int(boot["pid"]), boot.get("start_ticks")):
            # The supervisor is alive, so its group id cannot have been reused by a stranger.
            group = int(boot["pgid"])
        for sig, wait in ((signal.SIGTERM, STOP_GRACE), (signal.SIGKILL, KILL_WAIT)):
            members = _tree_members(server_id, group)
            if group is None and not members:
                return True
            if group is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(group, sig)
            for pid in members:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if not _group_alive(group) and not any(_alive(*m) for m in members.items()):
                    return True
                time.sleep(0.02)
        log.warning("instance processes survived SIGKILL", extra={"server_id": server_id})
        return False


# -- processes -------------------------------------------------------------------------------


def _proc_stat(pid: int) -> tuple[str, int, int, int] | None:
    """(state, pgrp, session, start ticks) from /proc/<pid>/stat; None if there is no such pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        # The command name (field 2) may hold spaces and parentheses; it ends at the last ")".
        fields = data[data.rindex(b")") + 2 :].split()
        return fields[0].decode(), int(fields[2]), int(fields[3]), int(fields[19])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int, start_ticks: int | None) -> bool:
    """Whether `pid` runs and is still the process we recorded (not a zombie, not a reuse)."""
    if not _HAVE_PROC:
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    stat = _proc_stat(pid)
    if stat is None or stat[0] in ("Z", "X"):
        return False
    return start_ticks is None or stat[3] == start_ticks


def _live_processes() -> Iterator[tuple[int, tuple[str, int, int, int]]]:
    me = os.getpid()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        stat = _proc_stat(int(name))
        if stat is not None and stat[0] not in ("Z", "X"):
            yield int(name), stat


def _group_alive(group: int | None) -> bool:
    if group is None:
        return False
    if not _HAVE_PROC:
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    return any(group in (stat[1], stat[2]) for _, stat in _live_processes())


def _tree_members(server_id: str, group: int | None) -> dict[int, int]:
    """pid -> start ticks of the instance's processes: its session and group, and any process
    carrying its HEATWATCH_INSTANCE_ID (daemons that left the session)."""
    if not _HAVE_PROC:
        return {}
    marker = f"HEATWATCH_INSTANCE_ID={server_id}".encode()
    members: dict[int, int] = {}
    for pid, stat in _live_processes():
        if group is not None and group in (stat[1], stat[2]):
            members[pid] = stat[3]
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                environ = f.read()
        except OSError:  # another user's process, or gone: not ours either way
            continue
        if marker in environ.split(b"\0"):
            members[pid] = stat[3]
    return members


# -- files -----------------------------------------------------------------------------------


def _host_path(root: Path, path: PurePosixPath) -> Path:
    return root.joinpath(*path.parts[1:])


def _open_dir(root: Path, parts: tuple[str, ...]) -> int:
    """A directory fd for root/parts, creating directories, never following a symlink."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in parts:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o755, dir_fd=fd)
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_in_root(root: Path, path: PurePosixPath, flags: int, mode: int = 0o600) -> int:
    dir_fd = _open_dir(root, path.parts[1:-1])
    try:
        return os.open(path.name, flags | os.O_NOFOLLOW, mode, dir_fd=dir_fd)
    finally:
        os.close(dir_fd)


def _write_file(root: Path, path: PurePosixPath, content: bytes, mode: int) -> None:
    """Write root/path atomically with exactly `mode` (the umask does not apply)."""
    dir_fd = _open_dir(root, path.parts[1:-1])
    try:
        tmp = f".{path.name}.{uuid.uuid4().hex}.tmp"
        # Created 0600 and narrowed or widened only once the content is in.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        fd = os.open(tmp, flags, 0o600, dir_fd=dir_fd)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                os.fchmod(f.fileno(), mode)
            os.replace(tmp, path.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dir_fd)
            raise
    finally:
        os.close(dir_fd)


def _write_json(path: Path, value: dict[str, Any]) -> None:
    # Atomic, because status() in another process may read it at any moment.
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(value))
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _exit_reason(root: Path) -> str | None:
    try:
        code = int(_host_path(root, EXIT_CODE).read_text().strip())
    except (OSError, ValueError):
        return None
    return f"user-data exited with status {code}"


def _remove_tree(root: Path) -> None:
    # An instance may have left read-only directories behind; rmtree needs to write to them.
    for dirpath, dirnames, _ in os.walk(root):
        for name in dirnames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                with contextlib.suppress(OSError):
                    os.chmod(path, 0o700)
    shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def _locked(control: Path) -> Iterator[None]:
    """Serialise the calls that change one instance, across engine processes (flock)."""
    fd = os.open(control / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ComputeError(f"instance {control.name} is busy; try again") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)
