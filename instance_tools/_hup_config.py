"""cfn-hup's configuration: `cfn-hup.conf` and the hook files.

    <dir>/cfn-hup.conf          [main] stack=, credential-file=, region=, interval=, url=
    <dir>/hooks.conf            [hook-name] triggers=, path=, action=, runas=
    <dir>/hooks.d/*.conf        more hooks, one or several per file

Decisions:
- `cfn-hup.conf` must exist (a mistyped `-c` should fail loudly), but every key of
  `[main]` is optional: stack and region default to the endpoints file,
  credential-file to /etc/cfn/cfn-credentials.
- `interval` is in SECONDS (default 60), unlike AWS cfn-hup's minutes: the local compute
  driver and the tests want short polls, and one unit everywhere in our tools is simpler.
- Each file is parsed on its own, so the same hook name in two files is an error instead
  of configparser silently merging their keys. Hook files are read in name order.
- `path` must be `Resources.<Name>.Metadata` optionally followed by `.dotted.keys`; the
  resource named there is the one polled. `runas` is ignored with a warning: the tools
  run as one user.
- No hooks is allowed (with a warning): cfn-hup still rotates credentials.
"""

from __future__ import annotations

import configparser
import logging
from dataclasses import dataclass
from pathlib import Path

from instance_tools._cli import ToolError
from instance_tools._instance import CREDENTIALS_FILE

LOG = logging.getLogger(__name__)

MAIN_FILE = "cfn-hup.conf"
HOOKS_FILE = "hooks.conf"
HOOKS_DIR = "hooks.d"
DEFAULT_INTERVAL = 60.0
TRIGGERS = frozenset({"post.add", "post.update", "post.remove"})
MAIN_KEYS = frozenset({"stack", "credential-file", "region", "interval", "url"})
HOOK_KEYS = frozenset({"triggers", "path", "action", "runas"})


@dataclass(frozen=True)
class Hook:
    name: str
    triggers: frozenset[str]
    path: str
    resource: str
    keys: tuple[str, ...]
    action: str


@dataclass(frozen=True)
class HupConfig:
    stack: str | None
    credential_file: str
    region: str | None
    url: str | None
    interval: float
    hooks: tuple[Hook, ...]


def load_config(config_dir: Path) -> HupConfig:
    main_path = config_dir / MAIN_FILE
    if not main_path.is_file():
        raise ToolError(f"main configuration {main_path} not found")
    main_parser = _parse(main_path)
    if not main_parser.has_section("main"):
        raise ToolError(f"{main_path} has no [main] section")
    main = main_parser["main"]
    for key in sorted(set(main) - MAIN_KEYS):
        LOG.warning("%s: unknown key %r in [main] ignored", main_path, key)

    hook_files = [config_dir / HOOKS_FILE, *sorted((config_dir / HOOKS_DIR).glob("*.conf"))]
    hooks: dict[str, Hook] = {}
    sources = [(main_path, main_parser)] + [
        (path, _parse(path)) for path in hook_files if path.is_file()
    ]
    for path, parser in sources:
        for name in parser.sections():
            if name == "main":
                continue
            if name in hooks:
                raise ToolError(f"{path}: hook [{name}] is defined twice")
            hooks[name] = _hook(path, name, parser[name])
    if not hooks:
        LOG.warning("no hooks in %s or %s; only rotating credentials", HOOKS_FILE, HOOKS_DIR)
    return HupConfig(
        stack=main.get("stack") or None,
        credential_file=main.get("credential-file") or CREDENTIALS_FILE,
        region=main.get("region") or None,
        url=main.get("url") or None,
        interval=_interval(main_path, main.get("interval")),
        hooks=tuple(hooks.values()),
    )


def _parse(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as stream:
            parser.read_file(stream)
    except OSError as exc:
        raise ToolError(f"cannot read {path}: {exc.strerror or exc}") from None
    except configparser.Error as exc:
        raise ToolError(f"{path}: {exc.message}") from None
    return parser


def _interval(path: Path, value: str | None) -> float:
    if not value:
        return DEFAULT_INTERVAL
    try:
        interval = float(value)
    except ValueError:
        interval = 0.0
    if not interval > 0:
        raise ToolError(f"{path}: interval {value!r} must be a number of seconds > 0")
    return interval


def _hook(path: Path, name: str, section: configparser.SectionProxy) -> Hook:
    where = f"{path}: hook [{name}]"
    for key in sorted(set(section) - HOOK_KEYS):
        LOG.warning("%s: unknown key %r ignored", where, key)
    if section.get("runas"):
        LOG.warning("%s: runas=%s ignored (actions run as this user)", where, section["runas"])
    missing = [key for key in ("triggers", "path", "action") if not section.get(key)]
    if missing:
        raise ToolError(f"{where} needs {', '.join(missing)}")
    triggers = frozenset(t.strip() for t in section["triggers"].split(",") if t.strip())
    unknown = sorted(triggers - TRIGGERS)
    if unknown or not triggers:
        raise ToolError(
            f"{where}: unknown trigger(s) {', '.join(unknown) or '(none)'}; "
            f"expected {', '.join(sorted(TRIGGERS))}"
        )
    hook_path = section["path"].strip()
    parts = hook_path.split(".")
    if len(parts) < 3 or parts[0] != "Resources" or parts[2] != "Metadata" or "" in parts:
        raise ToolError(f"{where}: path {hook_path!r} must be Resources.<Name>.Metadata[.keys]")
    return Hook(
        name=name,
        triggers=triggers,
        path=hook_path,
        resource=parts[1],
        keys=tuple(parts[3:]),
        action=section["action"],
    )
