"""The compute driver: how the engine boots, watches, reboots and deletes `AWS::EC2::Instance`s.

The interface is a very small Nova. The engine never waits on a server: every call returns in
well under a couple of seconds, and the engine polls `status()` from a short re-scheduled task
until the server is ACTIVE (Heat's handle_create / check_create_complete). Drivers hold no
state in memory that matters: any engine worker, in any process, may call `status()`,
`delete()` or `reboot()` on a server another worker booted, so whatever a driver needs lives
in the cloud (Nova) or on disk (the local driver).

Calls, and the Nova API each one maps to (for whoever writes `nova.py`):

`boot(request) -> server_id`
    `servers.create(name, image=request.image_id, flavor=<flavor named request.instance_type>,
    userdata=request.user_data, meta=request.metadata, config_drive=True, files=...)` and
    return `server.id` at once, without waiting for ACTIVE. `request.files` is the "config
    drive": absolute in-instance paths to `(content, mode)`, e.g. the instance's credentials
    `/etc/cfn/cfn-credentials` (0400) and its metadata `/var/lib/heat-cfntools/cfn-init-data`.
    Nova's `files` (personality) dropped modes and is gone from microversion 2.57 on, so a Nova
    driver writes them through user data instead: wrap `request.user_data` in a MIME multipart
    whose cloud-config `write_files` part carries each path, mode and content (Heat's Nova
    client plugin, `build_userdata`, ships cfn-init-data as a MIME part in the same spirit).
`status(server_id) -> InstanceStatus`
    `servers.get(server_id)`; NotFound maps to DELETED. Nova's status maps as: BUILD and
    REBUILD -> BUILD; ACTIVE -> ACTIVE; SHUTOFF, STOPPED, SUSPENDED, PAUSED -> SHUTOFF;
    ERROR -> ERROR (reason: `server.fault["message"]`); DELETED and SOFT_DELETED -> DELETED;
    anything else (REBOOT, HARD_REBOOT, MIGRATING, ...) -> BUILD, i.e. "not usable yet, poll
    again". `addresses` are the fixed and floating IPs from `server.addresses`.
`delete(server_id)`
    `servers.delete(server_id)`, ignoring NotFound. Idempotent: deleting a deleted or unknown
    server is a no-op. Nova deletes asynchronously, so the engine polls `status()` until it
    reads DELETED (the local driver is already DELETED when `delete()` returns).
`reboot(server_id)`
    `servers.reboot(server_id, reboot_type="HARD")`: what an HARestarter-style action needs to
    bring a hung instance back. Raises `NotFoundError` for an unknown or deleted server.
`write_files(server_id, files)`
    Put files into a running instance, e.g. rotated credentials. Nova cannot write into a
    running server, so a Nova driver raises `NotImplementedError` and the engine instead
    updates the resource metadata, which cfn-hup on the instance polls and applies (Heat's
    model). The engine must treat `NotImplementedError` here as "deliver by metadata".

States (`InstanceStatus.state`), as the engine reads them:

- BUILD: asked for, not running yet. Keep polling.
- ACTIVE: running. The instance's own boot script may still be running, or may have failed:
  that is the business of a WaitCondition (cfn-signal), not of the compute layer, exactly as
  Nova says ACTIVE whatever cloud-init does. `reason` may carry detail (the local driver puts
  the user-data exit status there).
- SHUTOFF: exists but not running (crashed, powered off). `reboot()` brings it back.
- ERROR: could not be booted; `reason` says why. Delete it; it will not recover.
- DELETED: gone, or never existed.

Errors: invalid input (a relative path, a `..` escape) raises `models.errors.InvalidInputError`
before anything is created; an unknown server raises `models.errors.NotFoundError` from
`reboot` and `write_files`; a failure of the cloud itself raises `ComputeError`.

Drivers are chosen by name with `get_driver(settings.compute_driver, settings)`. `local` (the
default, `local.py`) runs each instance as a sandboxed local process. Another driver registers
itself with `register_driver(name, factory)`, where `factory(settings)` builds it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol, runtime_checkable

from config.settings import ConfigError
from models.errors import InvalidInputError

STATES = ("BUILD", "ACTIVE", "SHUTOFF", "ERROR", "DELETED")

# In-instance file content and POSIX mode, e.g. (b"AWSAccessKeyId=...", 0o400).
FileSpec = tuple[bytes, int]


class ComputeError(Exception):
    """The compute service failed to do what was asked (not a problem with the request)."""


@dataclass(frozen=True)
class BootRequest:
    # e.g. "<stack_name>-<resource_name>-<short id>"; Nova's server name.
    name: str
    # Kept for the record and for Nova; the local driver has no images and ignores it.
    image_id: str
    # A flavor name for Nova; the local driver ignores it.
    instance_type: str
    # Already Base64-decoded by the engine. A "#!" script runs at boot; anything else (say
    # cloud-config) is only stored where the instance can read it.
    user_data: bytes | None = None
    # Absolute in-instance path -> (content, mode): the "config drive" through which
    # credentials, metadata and endpoints reach the instance.
    files: Mapping[str, FileSpec] = field(default_factory=dict)
    # Small key/values (stack id, resource name), like Nova server metadata.
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InstanceStatus:
    state: str  # one of STATES
    reason: str | None = None
    addresses: tuple[str, ...] = ()


@runtime_checkable
class ComputeDriver(Protocol):
    name: str

    def boot(self, request: BootRequest) -> str:
        """Start a server and return its id at once (no waiting for it to be ACTIVE)."""
        ...

    def status(self, server_id: str) -> InstanceStatus:
        """Where the server is now; DELETED for an id this driver does not know."""
        ...

    def delete(self, server_id: str) -> None:
        """Stop the server and everything it started, then forget it. Idempotent."""
        ...

    def reboot(self, server_id: str) -> None:
        """Hard-restart the server (NotFoundError if it does not exist)."""
        ...

    def write_files(self, server_id: str, files: Mapping[str, FileSpec]) -> None:
        """Write files into a running server; NotImplementedError where the cloud cannot."""
        ...


def check_instance_path(path: str) -> PurePosixPath:
    """An in-instance file path, checked: absolute, normalised, no `..`, not the root itself.

    Shared by every driver, because the rule is about the request, not the cloud: a path the
    engine builds from a template must never point outside the instance (the local driver maps
    `/` to a directory on the host, where `..` would escape).
    """
    if not isinstance(path, str) or not path or "\0" in path:
        raise InvalidInputError(f"instance file path {path!r} is not a valid path")
    pure = PurePosixPath(path)
    if not pure.is_absolute():
        raise InvalidInputError(f"instance file path {path!r} must be absolute")
    # PurePosixPath drops "." and repeated slashes but keeps "..", which is what we reject.
    if ".." in pure.parts:
        raise InvalidInputError(f"instance file path {path!r} must not contain '..'")
    if len(pure.parts) < 2:
        raise InvalidInputError(f"instance file path {path!r} names no file")
    return pure


def check_files(files: Mapping[str, FileSpec]) -> dict[PurePosixPath, FileSpec]:
    """Check every path and mode of a `files` mapping before any of it is written."""
    checked: dict[PurePosixPath, FileSpec] = {}
    for path, spec in files.items():
        pure = check_instance_path(path)
        content, mode = spec
        if not isinstance(content, bytes | bytearray):
            raise InvalidInputError(f"content of instance file {path!r} must be bytes")
        # Permission bits only: a template has no business creating setuid files.
        if not isinstance(mode, int) or isinstance(mode, bool) or not 0 <= mode <= 0o777:
            raise InvalidInputError(f"mode of instance file {path!r} must be within 0o777")
        checked[pure] = (bytes(content), mode)
    return checked


class DriverConfig(Protocol):
    """The part of `config.settings.Settings` drivers read; tests pass anything like it."""

    @property
    def data_dir(self) -> Path: ...


DriverFactory = Callable[[DriverConfig], ComputeDriver]


def _local_factory(config: DriverConfig) -> ComputeDriver:
    # Imported here so that choosing another driver never imports the local one (and the
    # reverse, once a Nova driver pulls in novaclient).
    from models.orchestration.compute.local import LocalComputeDriver

    return LocalComputeDriver(Path(config.data_dir) / "instances")


_FACTORIES: dict[str, DriverFactory] = {"local": _local_factory}


def register_driver(name: str, factory: DriverFactory) -> None:
    """Make `get_driver(name, ...)` build drivers with `factory(config)`."""
    _FACTORIES[name] = factory


def get_driver(name: str, config: DriverConfig) -> ComputeDriver:
    """The driver called `name` (`Settings.compute_driver`), built from `config`."""
    try:
        factory = _FACTORIES[name]
    except KeyError:
        known = ", ".join(sorted(_FACTORIES))
        raise ConfigError(
            f"HEATWATCH_COMPUTE_DRIVER: unknown compute driver {name!r} (known: {known})"
        ) from None
    return factory(config)
