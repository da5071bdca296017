"""cfn-get-metadata: print a resource's metadata as JSON.

    cfn-get-metadata [-s NAME/ID] [-r RESOURCE] [-k DOTTED.KEY] [--local]

Fetches `GET {heat_url}/v1/{tenant}/stacks/{name}/{id}/resources/{resource}/metadata`,
signed with the instance's key (SigV4, service `cloudformation`).

Decisions:
- Output is always JSON (a string value prints with its quotes), so a script can feed
  it to `jq` or `python -m json.tool` without guessing.
- `--local` prints the copy delivered at boot (`/var/lib/heat-cfntools/cfn-init-data`)
  and needs neither network nor credentials. Without it there is no silent fallback: this
  tool exists to show what the server says now.
- A `-k` key that is not there is an error (exit 1), not an empty output.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from instance_tools._cli import EXIT_FAILURE, EXIT_OK, ToolError, setup_logging
from instance_tools._instance import read_boot_metadata
from instance_tools._metadata import MISSING, add_api_options, lookup, parse_key, stack_api

PROG = "cfn-get-metadata"
LOG = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Print a resource's metadata.")
    parser.add_argument("-k", "--key", help="print only this dotted part, e.g. a.b.c")
    parser.add_argument(
        "--local", action="store_true", help="print the copy delivered at boot instead"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="say where it came from")
    add_api_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(PROG, args.verbose)
    try:
        keys = parse_key(args.key) if args.key else []
        if args.local:
            metadata = read_boot_metadata()
            LOG.info("metadata from the boot copy")
        else:
            api, resource = stack_api(args)
            metadata = api.metadata(resource)
            LOG.info("metadata of %s from %s", resource, api.heat_url)
        value = lookup(metadata, keys)
        if value is MISSING:
            raise ToolError(f"key {args.key!r} not found in the metadata")
    except ToolError as exc:
        LOG.error("%s", exc)
        return EXIT_FAILURE
    json.dump(value, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return EXIT_OK
