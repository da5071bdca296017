"""The two AWS::CloudFormation::Init sections cfn-init carries out: `files` and `commands`.

Decisions:
- A file path is an instance path: it is placed under the instance root and must stay
  there once `..` and symbolic links are resolved, else the config fails. On a sandboxed
  instance nothing may write outside the sandbox.
- Files are written whole and atomically (temporary file with the final mode, then rename),
  so a service reading its config never sees half of it. `mode` is an octal string as in
  CloudFormation (`"000644"`, default 0644) and is applied exactly (no umask).
- `content` may be a string or a JSON object/list (written as JSON), with `encoding: base64`
  for binary; `source` downloads a URL instead (plain GET, no credentials). `owner` and
  `group` are ignored with a warning: the tools run as one user and will not chown.
  Symbolic links (mode 120xxx) and `context` templates are not supported (warning).
- Commands run in name order (CloudFormation's documented order). A string runs through
  the shell, a list runs as argv. `env` is added to our environment (CloudFormation
  replaces it, which drops PATH; adding is what templates expect). `cwd` is an instance
  path; the default is the instance root. A `test` command gates its command: exit 0 runs
  it, anything else skips it. A failing command stops cfn-init unless `ignoreErrors`.
  Command output goes straight to our stdout/stderr, i.e. the boot log.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import subprocess
from pathlib import Path
from typing import Any

from instance_tools._cli import ToolError
from instance_tools._client import check_response, check_url, send
from instance_tools._instance import atomic_write, confine, instance_root, on_instance

LOG = logging.getLogger(__name__)

DEFAULT_FILE_MODE = 0o644
SYMLINK_TYPE = 0o120000
FILE_TYPE_MASK = 0o170000


def write_files(files: Any) -> None:
    if not isinstance(files, dict):
        raise ToolError("'files' must be an object of path: {content, mode, ...}")
    for path in sorted(files):
        write_file(path, files[path])


def write_file(path: str, spec: Any) -> None:
    if not isinstance(spec, dict):
        raise ToolError(f"file {path!r}: expected an object")
    mode = file_mode(path, spec.get("mode"))
    if mode & FILE_TYPE_MASK == SYMLINK_TYPE:
        LOG.warning("file %s: symbolic links (mode 120xxx) are not supported; skipped", path)
        return
    for ignored in ("owner", "group"):
        if ignored in spec:
            LOG.warning("file %s: %s %r ignored (no chown here)", path, ignored, spec[ignored])
    if "context" in spec:
        LOG.warning("file %s: 'context' templates are not supported; content written as is", path)
    target = confine(path)
    data = file_content(path, spec)
    if target.is_dir():
        raise ToolError(f"file {path!r}: a directory is in the way")
    try:
        atomic_write(target, data, mode & 0o7777)
    except OSError as exc:
        raise ToolError(f"file {path!r}: cannot write {target}: {exc.strerror or exc}") from None
    LOG.info("wrote %s (mode %04o, %d bytes)", path, mode & 0o7777, len(data))


def file_mode(path: str, value: Any) -> int:
    if value is None:
        return DEFAULT_FILE_MODE
    text = str(value).strip()
    try:
        return int(text, 8)
    except ValueError:
        raise ToolError(f"file {path!r}: mode {value!r} is not an octal number") from None


def file_content(path: str, spec: dict[str, Any]) -> bytes:
    if "content" in spec and "source" in spec:
        raise ToolError(f"file {path!r}: give 'content' or 'source', not both")
    if "source" in spec:
        return _download(path, spec["source"])
    if "content" not in spec:
        raise ToolError(f"file {path!r}: needs 'content' or 'source'")
    content = spec["content"]
    if isinstance(content, dict | list):
        return (json.dumps(content, indent=2) + "\n").encode("utf-8")
    if not isinstance(content, str):
        raise ToolError(f"file {path!r}: 'content' must be a string or a JSON object")
    encoding = spec.get("encoding", "plain")
    if encoding == "plain":
        return content.encode("utf-8")
    if encoding == "base64":
        try:
            return base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise ToolError(f"file {path!r}: content is not valid base64") from None
    raise ToolError(f"file {path!r}: unknown encoding {encoding!r} (plain or base64)")


def _download(path: str, source: Any) -> bytes:
    if not isinstance(source, str):
        raise ToolError(f"file {path!r}: 'source' must be a URL")
    url = check_url(source)
    return check_response(send("GET", url), f"file {path!r} from {url}").content


def run_commands(commands: Any) -> None:
    if not isinstance(commands, dict):
        raise ToolError("'commands' must be an object of name: {command, ...}")
    for name in sorted(commands):
        run_command(name, commands[name])


def run_command(name: str, spec: Any) -> None:
    if not isinstance(spec, dict) or "command" not in spec:
        raise ToolError(f"command {name!r}: expected an object with a 'command'")
    command = _command_line(name, "command", spec["command"])
    env = _environment(name, spec.get("env"))
    cwd = _working_directory(name, spec.get("cwd"))
    ignore_errors = _flag(name, spec.get("ignoreErrors", False))
    if "test" in spec:
        test = _command_line(name, "test", spec["test"])
        status = _run(test, env, cwd)
        if status != 0:
            LOG.info("command %s skipped: its test exited with %d", name, status)
            return
    LOG.info("running command %s", name)
    status = _run(command, env, cwd)
    if status == 0:
        return
    if ignore_errors:
        LOG.warning("command %s failed with exit code %d (ignored)", name, status)
        return
    raise ToolError(f"command {name!r} failed with exit code {status}")


def _command_line(name: str, field: str, value: Any) -> str | list[str]:
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, list) and value and all(isinstance(part, str) for part in value):
        return value
    raise ToolError(f"command {name!r}: {field!r} must be a string or a list of strings")


def _environment(name: str, value: Any) -> dict[str, str]:
    env = dict(os.environ)
    if value is None:
        return env
    if not isinstance(value, dict):
        raise ToolError(f"command {name!r}: 'env' must be an object")
    env.update({str(key): str(item) for key, item in value.items()})
    return env


def _working_directory(name: str, value: Any) -> Path:
    if value is None:
        return instance_root()
    if not isinstance(value, str) or not value.startswith("/"):
        raise ToolError(f"command {name!r}: 'cwd' must be an absolute path")
    root = instance_root().resolve()
    cwd = on_instance(value).resolve()
    if not cwd.is_relative_to(root):
        raise ToolError(f"command {name!r}: cwd {value!r} leads outside the instance root")
    if not cwd.is_dir():
        raise ToolError(f"command {name!r}: cwd {value!r} is not a directory")
    return cwd


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ToolError(f"command {name!r}: 'ignoreErrors' must be true or false")


def _run(command: str | list[str], env: dict[str, str], cwd: Path) -> int:
    try:
        return subprocess.run(
            command, shell=isinstance(command, str), env=env, cwd=cwd, check=False
        ).returncode
    except OSError as exc:  # a list command that does not exist or cannot run
        LOG.error("cannot run %s: %s", command, exc.strerror or exc)
        return 127
