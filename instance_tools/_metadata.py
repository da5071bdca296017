"""Reaching a resource's metadata: the shared options, the stack's identity, dotted keys.

Decisions:
- Stack, resource, region and URL default to the instance's endpoints file, so on an
  instance `cfn-get-metadata` and `cfn-init` need no arguments. heat-cfntools' options
  (`-s`, `-r`, `--region`, `--credential-file`, `--access-key`, `--secret-key`, `-u`) still
  override them.
- The API addresses a stack by name AND id. `--stack` takes `NAME/ID`, or just the name or
  just the id of the instance's own stack (completed from the endpoints file). A bare name
  of some other stack is refused with a clear message: guessing its id is not possible.
- Dotted keys split on `.` only, so `AWS::CloudFormation::Init.config` works; a key that
  walks into a list takes a decimal index (`Servers.0.Name`).
"""

from __future__ import annotations

import argparse
from typing import Any

from instance_tools._cli import ToolError
from instance_tools._client import StackApi, check_url
from instance_tools._instance import (
    CREDENTIALS_FILE,
    ENDPOINTS_FILE,
    Credentials,
    Endpoints,
    read_credentials,
    read_endpoints,
)


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def parse_key(dotted: str) -> list[str]:
    keys = dotted.split(".")
    if not dotted or any(not key for key in keys):
        raise ToolError(f"bad key {dotted!r}: expected names separated by single dots")
    return keys


def lookup(data: Any, keys: list[str]) -> Any:
    """The value at `keys` inside `data`, or MISSING."""
    for key in keys:
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        else:
            return MISSING
    return data


def add_api_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("stack API (defaults from the endpoints file)")
    group.add_argument("-s", "--stack", help="stack as NAME/ID (or this instance's name or id)")
    group.add_argument("-r", "--resource", help="logical resource name (default: this instance)")
    group.add_argument("--region", help="SigV4 region (default: the endpoints file's)")
    group.add_argument(
        "--credential-file",
        default=CREDENTIALS_FILE,
        help=f"AWSAccessKeyId=/AWSSecretKey= file (default: {CREDENTIALS_FILE})",
    )
    group.add_argument("--access-key", help="access key id (instead of the credentials file)")
    group.add_argument("--secret-key", help="secret key (with --access-key)")
    group.add_argument("-u", "--url", help="heat API URL (default: heat_url of the endpoints)")
    group.add_argument(
        "--endpoints-file",
        default=ENDPOINTS_FILE,
        help=f"endpoints JSON (default: {ENDPOINTS_FILE})",
    )


def resolve_stack(value: str | None, endpoints: Endpoints) -> tuple[str, str]:
    """(name, id) of the stack named by `value`, completed from the endpoints file."""
    own_name, own_id = endpoints.get("stack_name"), endpoints.get("stack_id")
    if value is None:
        return endpoints.require("stack_name"), endpoints.require("stack_id")
    name, slash, stack_id = value.partition("/")
    if slash:
        if not name or not stack_id or "/" in stack_id:
            raise ToolError(f"bad stack {value!r}: expected NAME/ID")
        return name, stack_id
    if value == own_name and own_id:
        return value, own_id
    if value == own_id and own_name:
        return own_name, value
    raise ToolError(f"stack {value!r} is not this instance's stack; give it as NAME/ID")


def api_credentials(args: argparse.Namespace) -> Credentials:
    if bool(args.access_key) != bool(args.secret_key):
        raise ToolError("--access-key and --secret-key go together")
    if args.access_key:
        return Credentials(args.access_key, args.secret_key)
    return read_credentials(args.credential_file)


def stack_api(args: argparse.Namespace) -> tuple[StackApi, str]:
    """The API client and the resource name that `add_api_options` arguments point to."""
    endpoints = read_endpoints(args.endpoints_file)
    stack_name, stack_id = resolve_stack(args.stack, endpoints)
    api = StackApi(
        heat_url=check_url(args.url or endpoints.require("heat_url")),
        tenant_id=endpoints.require("tenant_id"),
        stack_name=stack_name,
        stack_id=stack_id,
        region=args.region or endpoints.require("region"),
        credentials=api_credentials(args),
    )
    return api, args.resource or endpoints.require("resource_name")
