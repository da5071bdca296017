"""The files an instance keeps for its cfn tools: where they are and how to read and write them.

Files (heat-cfntools layout):
- `/etc/cfn/cfn-credentials` (mode 0400): `AWSAccessKeyId=...` and `AWSSecretKey=...` lines.
- `/etc/cfn/cfn-endpoints` (JSON): heat_url, watch_url, region, stack_id, stack_name,
  tenant_id, resource_name.
- `/var/lib/heat-cfntools/cfn-init-data`: the resource's metadata as delivered at boot.

Decisions:
- Every absolute path the tools handle (defaults, options, config values, cfn-init file
  paths) is taken relative to `$HEATWATCH_INSTANCE_ROOT` when it is set, the way a chroot
  would: the local compute driver runs each instance in a sandbox directory, and templates
  keep saying `/etc/cfn/...`. Relative paths stay relative to the working directory.
- Credentials are read again on every use and never cached: cfn-hup may rotate them
  between two pushes of a long-running cfn-push-stats.
- The credentials file is replaced atomically: a temporary file is created with mode 0400
  in the same directory, written, fsynced, then renamed over the old one. A reader sees the
  old key or the new one, never half of each; the secret is never world-readable, not even
  for a moment. Lines other than the two keys (comments) are kept.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from instance_tools._cli import ToolError

ROOT_ENV = "HEATWATCH_INSTANCE_ROOT"
CONFIG_DIR = "/etc/cfn"
CREDENTIALS_FILE = "/etc/cfn/cfn-credentials"
ENDPOINTS_FILE = "/etc/cfn/cfn-endpoints"
BOOT_METADATA_FILE = "/var/lib/heat-cfntools/cfn-init-data"
HUP_CACHE_DIR = "/var/lib/heat-cfntools/cfn-hup-cache"

ACCESS_KEY_FIELD = "AWSAccessKeyId"
SECRET_KEY_FIELD = "AWSSecretKey"
ENDPOINT_FIELDS = (
    "heat_url",
    "watch_url",
    "region",
    "stack_id",
    "stack_name",
    "tenant_id",
    "resource_name",
)


def instance_root() -> Path:
    """The directory that stands for `/` on this instance."""
    return Path(os.environ.get(ROOT_ENV) or "/")


def on_instance(path: str | os.PathLike[str]) -> Path:
    """`path` as seen from the instance: absolute paths are moved under the instance root."""
    candidate = Path(path)
    if not candidate.is_absolute():
        return candidate
    return instance_root() / candidate.relative_to(candidate.anchor)


def confine(path: str) -> Path:
    """The real location of the instance path `path`, refusing anything outside the root.

    `..` components and symbolic links are resolved first, so neither can lead out.
    """
    if not path or not path.startswith("/"):
        raise ToolError(f"path {path!r} must be absolute")
    root = instance_root().resolve()
    target = (root / path.lstrip("/")).resolve()
    if not target.is_relative_to(root) or target == root:
        raise ToolError(f"path {path!r} leads outside the instance root {root}")
    return target


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str = field(repr=False)


@dataclass(frozen=True)
class Endpoints:
    """The instance's view of its stack; any field may be missing from the file."""

    values: dict[str, str]
    path: Path

    def get(self, name: str) -> str | None:
        value = self.values.get(name)
        return value or None

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise ToolError(f"{self.path} has no {name!r}")
        return value


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ToolError(f"{what} {path} not found") from None
    except OSError as exc:
        raise ToolError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def read_json_file(path: Path, what: str) -> Any:
    text = _read_text(path, what)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ToolError(f"{what} {path} is not valid JSON: {exc}") from None


def read_credentials(path: str | os.PathLike[str] = CREDENTIALS_FILE) -> Credentials:
    location = on_instance(path)
    values = _parse_key_values(_read_text(location, "credentials file"))
    missing = [name for name in (ACCESS_KEY_FIELD, SECRET_KEY_FIELD) if not values.get(name)]
    if missing:
        raise ToolError(f"credentials file {location} has no {' or '.join(missing)}")
    return Credentials(values[ACCESS_KEY_FIELD], values[SECRET_KEY_FIELD])


def _parse_key_values(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or "=" not in stripped:
            continue
        name, _, value = stripped.partition("=")
        values[name.strip()] = value.strip()
    return values


def write_credentials(path: str | os.PathLike[str], credentials: Credentials) -> Path:
    """Replace the credentials file atomically with mode 0400; returns where it went."""
    location = on_instance(path)
    try:
        old_lines = location.read_text(encoding="utf-8").splitlines()
    except OSError:
        old_lines = []
    kept = [
        line
        for line in old_lines
        if line.partition("=")[0].strip() not in (ACCESS_KEY_FIELD, SECRET_KEY_FIELD)
    ]
    text = "\n".join(
        [
            f"{ACCESS_KEY_FIELD}={credentials.access_key}",
            f"{SECRET_KEY_FIELD}={credentials.secret_key}",
            *kept,
        ]
    )
    atomic_write(location, (text + "\n").encode("utf-8"), mode=0o400)
    return location


def atomic_write(location: Path, data: bytes, mode: int) -> None:
    """Write `data` to a temporary file created with `mode`, then rename it to `location`."""
    location.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{location.name}.", dir=location.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, location)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_endpoints(path: str | os.PathLike[str] = ENDPOINTS_FILE) -> Endpoints:
    location = on_instance(path)
    data = read_json_file(location, "endpoints file")
    if not isinstance(data, dict):
        raise ToolError(f"endpoints file {location} must hold a JSON object")
    values = {name: str(data[name]) for name in ENDPOINT_FIELDS if data.get(name) is not None}
    return Endpoints(values, location)


def read_boot_metadata() -> dict[str, Any]:
    location = on_instance(BOOT_METADATA_FILE)
    data = read_json_file(location, "boot metadata")
    if not isinstance(data, dict):
        raise ToolError(f"boot metadata {location} must hold a JSON object")
    return data
