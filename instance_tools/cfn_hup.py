"""cfn-hup: watch the stack's metadata and run hooks when it changes; rotate credentials.

    cfn-hup [-c CONFIG_DIR] [--once] [-v]

Each poll (every `interval` seconds of cfn-hup.conf):
1. `GET .../resources/<this resource>/credentials`; a 200 carries a new key, which
   replaces the credentials file atomically (mode 0400) and signs the rest of the poll.
2. For each resource named by a hook path, `GET .../resources/<name>/metadata` (once per
   poll). For each hook, the part of the metadata at its path is compared with the copy
   cached at the previous poll: appeared -> post.add, changed -> post.update,
   vanished -> post.remove. The hook's action runs (through the shell, in the instance
   root) when the event is among its triggers.

Decisions:
- The cache is one JSON file per hook in /var/lib/heat-cfntools/cfn-hup-cache/, holding
  the hook's path and the last value seen. A hook whose path changed starts afresh.
- The first poll has no cache. For the instance's own resource the baseline is the
  metadata delivered at boot (what cfn-init applied), so a change made between boot and
  cfn-hup's start is not missed, and what was there at boot fires nothing. For any other
  resource the first value seen is only recorded.
- The cache moves on even if an action fails: a broken action would otherwise run again
  every interval. The failure is logged (and `--once` exits 1).
- A failed poll (server down, auth error) is logged; the next interval is the retry. The
  daemon only stops on a bad configuration at start-up or a signal. There is no forking:
  run it under systemd or the compute driver; `-f/--no-daemon` is accepted and ignored.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import re
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from instance_tools._cli import EXIT_FAILURE, EXIT_OK, ToolError, setup_logging
from instance_tools._client import StackApi, check_url
from instance_tools._hup_config import Hook, HupConfig, load_config
from instance_tools._instance import (
    BOOT_METADATA_FILE,
    CONFIG_DIR,
    ENDPOINTS_FILE,
    HUP_CACHE_DIR,
    Endpoints,
    atomic_write,
    instance_root,
    on_instance,
    read_boot_metadata,
    read_credentials,
    read_endpoints,
    write_credentials,
)
from instance_tools._metadata import MISSING, lookup, resolve_stack

PROG = "cfn-hup"
LOG = logging.getLogger(__name__)
# "No previous value known" (no cache, no baseline); MISSING means "known to be absent".
UNKNOWN: Any = object()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Run hooks when the stack's metadata changes."
    )
    parser.add_argument(
        "-c",
        "--config",
        default=CONFIG_DIR,
        help=f"directory of cfn-hup.conf, hooks.conf, hooks.d/ (default: {CONFIG_DIR})",
    )
    parser.add_argument("--once", action="store_true", help="poll once and exit (for cron)")
    parser.add_argument("-f", "--no-daemon", action="store_true", help="accepted; never forks")
    parser.add_argument("--endpoints-file", default=ENDPOINTS_FILE, help=f"{ENDPOINTS_FILE}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every poll")
    return parser


class Poller:
    def __init__(self, config: HupConfig, endpoints: Endpoints) -> None:
        self.config = config
        stack_name, stack_id = resolve_stack(config.stack, endpoints)
        self.own_resource = endpoints.require("resource_name")
        self.base = dict(
            heat_url=check_url(config.url or endpoints.require("heat_url")),
            tenant_id=endpoints.require("tenant_id"),
            stack_name=stack_name,
            stack_id=stack_id,
            region=config.region or endpoints.require("region"),
        )
        self.cache_dir = on_instance(HUP_CACHE_DIR)

    def poll(self) -> bool:
        """One poll; False if anything failed (already logged)."""
        try:
            api = StackApi(**self.base, credentials=read_credentials(self.config.credential_file))
        except ToolError as exc:
            LOG.error("%s", exc)
            return False
        api, ok = self.rotate_credentials(api)
        fetched: dict[str, dict[str, Any] | None] = {}
        for hook in self.config.hooks:
            if hook.resource not in fetched:
                try:
                    fetched[hook.resource] = api.metadata(hook.resource)
                except ToolError as exc:
                    LOG.error("%s", exc)
                    fetched[hook.resource] = None
                    ok = False
            metadata = fetched[hook.resource]
            if metadata is not None:
                ok = self.check_hook(hook, metadata) and ok
        return ok

    def rotate_credentials(self, api: StackApi) -> tuple[StackApi, bool]:
        try:
            new = api.new_credentials(self.own_resource)
            if new is None:
                return api, True
            location = write_credentials(self.config.credential_file, new)
        except (ToolError, OSError) as exc:
            LOG.error("credential rotation: %s", exc)
            return api, False
        LOG.info("credentials rotated to access key %s in %s", new.access_key, location)
        return dataclasses.replace(api, credentials=new), True

    def check_hook(self, hook: Hook, metadata: dict[str, Any]) -> bool:
        current = lookup(metadata, list(hook.keys))
        previous = self._load_cache(hook)
        if previous is UNKNOWN:
            previous = self._baseline(hook)
        if previous is UNKNOWN:
            LOG.info("hook %s: first look at %s; recorded", hook.name, hook.path)
            self._store_cache(hook, current)
            return True
        event = _event(previous, current)
        ok = True
        if event is None:
            LOG.debug("hook %s: %s unchanged", hook.name, hook.path)
        elif event not in hook.triggers:
            LOG.info("hook %s: %s is not among its triggers", hook.name, event)
        else:
            ok = self._run_action(hook, event)
        self._store_cache(hook, current)
        return ok

    def _baseline(self, hook: Hook) -> Any:
        """The value at boot for our own resource (MISSING if absent), else UNKNOWN."""
        if hook.resource != self.own_resource or not on_instance(BOOT_METADATA_FILE).exists():
            return UNKNOWN
        try:
            return lookup(read_boot_metadata(), list(hook.keys))
        except ToolError as exc:
            LOG.warning("hook %s: no baseline from the boot copy: %s", hook.name, exc)
            return UNKNOWN

    def _cache_file(self, hook: Hook) -> Path:
        return self.cache_dir / (re.sub(r"[^A-Za-z0-9_.-]", "_", hook.name) + ".json")

    def _load_cache(self, hook: Hook) -> Any:
        """The last value seen at the hook's path (MISSING if absent), or UNKNOWN."""
        try:
            cached = json.loads(self._cache_file(hook).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return UNKNOWN
        except (OSError, ValueError) as exc:
            LOG.warning("hook %s: unreadable cache (%s); starting afresh", hook.name, exc)
            return UNKNOWN
        if not isinstance(cached, dict) or cached.get("path") != hook.path:
            return UNKNOWN
        return cached.get("value") if cached.get("present") else MISSING

    def _store_cache(self, hook: Hook, value: Any) -> None:
        present = value is not MISSING
        record = {"path": hook.path, "present": present, "value": value if present else None}
        try:
            data = json.dumps(record, sort_keys=True).encode("utf-8")
            atomic_write(self._cache_file(hook), data, mode=0o600)
        except OSError as exc:
            LOG.error("hook %s: cannot write the cache: %s", hook.name, exc)

    def _run_action(self, hook: Hook, event: str) -> bool:
        LOG.info("hook %s: %s at %s; running %s", hook.name, event, hook.path, hook.action)
        try:
            status = subprocess.run(
                hook.action, shell=True, cwd=instance_root(), check=False
            ).returncode
        except OSError as exc:
            LOG.error("hook %s: cannot run the action: %s", hook.name, exc)
            return False
        if status != 0:
            LOG.error("hook %s: action exited with %d", hook.name, status)
            return False
        return True


def _event(previous: Any, current: Any) -> str | None:
    if previous is MISSING and current is MISSING:
        return None
    if previous is MISSING:
        return "post.add"
    if current is MISSING:
        return "post.remove"
    return "post.update" if previous != current else None


def run_forever(poller: Poller, interval: float) -> None:
    while True:
        started = time.monotonic()
        try:
            poller.poll()
        except Exception:
            # The daemon must outlive any surprise in one poll; the next one is the retry.
            LOG.exception("poll failed unexpectedly")
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(PROG, args.verbose, timestamps=not args.once)
    try:
        config = load_config(on_instance(args.config))
        poller = Poller(config, read_endpoints(args.endpoints_file))
    except ToolError as exc:
        LOG.error("%s", exc)
        return EXIT_FAILURE
    if args.once:
        return EXIT_OK if poller.poll() else EXIT_FAILURE
    LOG.info("polling every %.0f s", config.interval)
    with contextlib.suppress(KeyboardInterrupt):
        run_forever(poller, config.interval)
    return EXIT_OK
