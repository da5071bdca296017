"""cfn-init: carry out the resource's AWS::CloudFormation::Init metadata.

    cfn-init [-s NAME/ID] [-r RESOURCE] [-c SET[,SET...]] [--local]

Decisions:
- Where the metadata comes from: the API first, because it is current (an update may
  have changed it since boot). If the server cannot be reached or answers 5xx, cfn-init
  warns and uses the copy delivered at boot, as heat-cfntools did: at first boot the
  network may not be up yet, and the boot copy is exactly what the server had then.
  Auth errors (401/403), 404 and missing credentials are NOT papered over: they mean the
  instance is misconfigured and a stale copy would hide it. `--local` uses the boot copy
  only, with no network at all.
- Config sets: `-c a,b` runs those sets in order. Without `-c`, the `default` set runs
  when `configSets` has one, else the single `config`. A set lists config names and
  `{"ConfigSet": "other"}` references (expanded in place; cycles are an error).
- Inside a config, the sections run in CloudFormation's order; `files` and `commands` do
  real work (see `_init_steps`). `packages`, `groups`, `users`, `sources` and `services`
  are skipped with a warning: instances here are package-less sandboxes.
- The first failure stops cfn-init with exit 1, so `cfn-init || cfn-signal -e $?` reports it.
- Missing `AWS::CloudFormation::Init` is an error: whoever runs cfn-init expects work.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from typing import Any

from instance_tools._cli import EXIT_FAILURE, EXIT_OK, ToolError, setup_logging
from instance_tools._client import ApiError
from instance_tools._init_steps import run_commands, write_files
from instance_tools._instance import read_boot_metadata
from instance_tools._metadata import add_api_options, stack_api

PROG = "cfn-init"
LOG = logging.getLogger(__name__)

INIT_KEY = "AWS::CloudFormation::Init"
# CloudFormation's order of the sections of one config.
SKIPPED_SECTIONS = ("packages", "groups", "users", "sources")
SECTION_ORDER = (*SKIPPED_SECTIONS, "files", "commands", "services")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Apply the AWS::CloudFormation::Init metadata of a resource."
    )
    parser.add_argument(
        "-c", "--configsets", help="comma-separated config sets (default: 'default' or 'config')"
    )
    parser.add_argument(
        "--local", action="store_true", help="use the metadata delivered at boot, no network"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="report each step")
    add_api_options(parser)
    return parser


def load_metadata(args: argparse.Namespace) -> dict[str, Any]:
    if args.local:
        return read_boot_metadata()
    api, resource = stack_api(args)
    try:
        return api.metadata(resource)
    except ApiError as exc:
        if not exc.transient:
            raise
        LOG.warning("%s; using the metadata delivered at boot", exc)
        return read_boot_metadata()


def config_names(init: dict[str, Any], requested: list[str] | None) -> list[str]:
    """The configs to run, in order, for the requested config sets."""
    sets = init.get("configSets", {})
    if not isinstance(sets, dict):
        raise ToolError("'configSets' must be an object of name: [config, ...]")
    if requested is None:
        if "default" in sets:
            requested = ["default"]
        elif "config" in init:
            return ["config"]
        else:
            raise ToolError("no -c given, and there is neither a 'default' configSet nor 'config'")
    names: list[str] = []
    for set_name in requested:
        if set_name == "default" and "default" not in sets and "config" in init:
            names.append("config")
        else:
            names += _expand(set_name, sets, ())
    return names


def _expand(set_name: str, sets: dict[str, Any], seen: tuple[str, ...]) -> list[str]:
    if set_name not in sets:
        raise ToolError(f"unknown configSet {set_name!r}")
    if set_name in seen:
        raise ToolError(f"configSet {set_name!r} includes itself ({' -> '.join(seen)})")
    items = sets[set_name]
    items = [items] if isinstance(items, str) else items
    if not isinstance(items, list):
        raise ToolError(f"configSet {set_name!r} must be a list")
    names: list[str] = []
    for item in items:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict) and isinstance(item.get("ConfigSet"), str):
            names += _expand(item["ConfigSet"], sets, (*seen, set_name))
        else:
            raise ToolError(f"configSet {set_name!r}: bad entry {item!r}")
    return names


def apply_config(name: str, config: Any) -> None:
    if not isinstance(config, dict):
        raise ToolError(f"config {name!r} must be an object")
    for key in sorted(set(config) - set(SECTION_ORDER)):
        LOG.warning("config %s: unknown section %r ignored", name, key)
    for section in SECTION_ORDER:
        if section not in config:
            continue
        if section == "files":
            write_files(config["files"])
        elif section == "commands":
            run_commands(config["commands"])
        elif config[section]:
            LOG.warning(
                "config %s: %r skipped (not supported on package-less instances)", name, section
            )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(PROG, args.verbose)
    requested = None
    if args.configsets is not None:
        requested = [name.strip() for name in args.configsets.split(",") if name.strip()]
        if not requested:
            build_parser().error("-c/--configsets needs at least one config set name")
    try:
        init = load_metadata(args).get(INIT_KEY)
        if not isinstance(init, dict):
            raise ToolError(f"the metadata has no {INIT_KEY} object")
        for name in config_names(init, requested):
            if name not in init or name == "configSets":
                raise ToolError(f"config {name!r} is not in {INIT_KEY}")
            LOG.info("applying config %s", name)
            apply_config(name, init[name])
    except ToolError as exc:
        LOG.error("%s", exc)
        return EXIT_FAILURE
    return EXIT_OK
