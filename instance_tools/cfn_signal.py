"""cfn-signal: tell a wait condition handle that this instance succeeded or failed.

    cfn-signal [-s true|false] [-e EXIT_CODE] [-r REASON] [-d DATA] [-i ID] URL

`PUT URL` with `{"Status", "Reason", "UniqueId", "Data"}` as JSON. The URL is pre-signed by
the stack service, so no credentials are needed or sent.

Decisions:
- Options and defaults follow heat-cfntools' bin/cfn-signal; `-e` wins over `-s` (0 means
  SUCCESS, anything else FAILURE). A failure without `-r` gets a reason of its own instead
  of heat-cfntools' "Configuration Complete", and a non-zero exit code is always quoted in
  the reason, because the stack event shows the reason and nothing else.
- `-s` accepts only true/false (any case): heat-cfntools turned a typo into FAILURE.
- The UniqueId defaults to the resource name from the endpoints file, then the hostname.
  heat-cfntools used the instance id then the FQDN; on the local compute driver every
  sandbox shares the host's name, while resource names are unique within a stack.
- Transient failures (unreachable, timeout, 5xx, 429) are retried with exponential backoff
  (`--retries`, default 4, so 5 attempts; `--retry-delay`, default 2 s): the handle is often
  signalled early at boot, while networking settles. 4xx are never retried: the handle is
  wrong or expired and will stay so.
- The deprecated `--exit` of heat-cfntools is kept as an alias of `-e`.
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
from collections.abc import Sequence

from instance_tools._cli import EXIT_FAILURE, EXIT_OK, ToolError, setup_logging
from instance_tools._client import check_response, check_url, send, with_retries
from instance_tools._instance import ENDPOINTS_FILE, read_endpoints

PROG = "cfn-signal"
LOG = logging.getLogger(__name__)

DEFAULT_SUCCESS_REASON = "Configuration Complete"
DEFAULT_DATA = "Application has completed configuration."


def _url(value: str) -> str:
    try:
        return check_url(value)
    except ToolError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")
    return lowered == "true"


def _exit_code(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {value!r}") from None


def _non_negative(kind: type[int] | type[float]):  # type: ignore[no-untyped-def]
    def parse(value: str) -> int | float:
        try:
            number = kind(value)
        except ValueError:
            number = -1
        if number < 0:
            raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value!r}")
        return number

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Signal a wait condition handle (a pre-signed URL)."
    )
    parser.add_argument("url", type=_url, help="the wait condition handle URL")
    parser.add_argument(
        "-s", "--success", type=_boolean, default=True, help="true (default) or false"
    )
    parser.add_argument(
        "-e",
        "--exit-code",
        type=_exit_code,
        help="a process exit code: 0 means success, anything else failure (wins over -s)",
    )
    parser.add_argument("--exit", dest="exit_alias", type=_exit_code, help=argparse.SUPPRESS)
    parser.add_argument("-r", "--reason", help="reason shown in the stack's events")
    parser.add_argument("-d", "--data", default=DEFAULT_DATA, help="data for the handle")
    parser.add_argument("-i", "--id", dest="unique_id", help="UniqueId (default: this instance)")
    parser.add_argument(
        "--retries",
        type=_non_negative(int),
        default=4,
        help="retries after a transient failure (default: 4)",
    )
    parser.add_argument(
        "--retry-delay",
        type=_non_negative(float),
        default=2.0,
        help="seconds before the first retry, doubled each time (default: 2)",
    )
    parser.add_argument(
        "-k", "--insecure", action="store_true", help="do not verify the server's certificate"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="say what is sent")
    return parser


def signal_body(args: argparse.Namespace) -> dict[str, str]:
    exit_code = args.exit_code if args.exit_code is not None else args.exit_alias
    success = args.success if exit_code is None else exit_code == 0
    if args.reason is not None:
        reason = args.reason
        if exit_code:
            reason = f"{reason} (exit code {exit_code})"
    elif exit_code:
        reason = f"Configuration failed with exit code {exit_code}"
    else:
        reason = DEFAULT_SUCCESS_REASON if success else "Configuration failed"
    return {
        "Status": "SUCCESS" if success else "FAILURE",
        "Reason": reason,
        "UniqueId": args.unique_id or default_unique_id(),
        "Data": args.data,
    }


def default_unique_id() -> str:
    try:
        resource = read_endpoints(ENDPOINTS_FILE).get("resource_name")
    except ToolError as exc:
        LOG.debug("no resource name for the UniqueId (%s); using the hostname", exc)
        resource = None
    return resource or socket.gethostname()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(PROG, args.verbose)
    if args.exit_alias is not None:
        LOG.warning("--exit is deprecated; use -e/--exit-code")
    body = signal_body(args)
    payload = json.dumps(body).encode("utf-8")
    LOG.info("signalling %s: %s", body["Status"], body["Reason"])

    def put() -> None:
        response = send(
            "PUT",
            args.url,
            body=payload,
            headers={"Content-Type": "application/json"},
            verify=not args.insecure,
        )
        check_response(response, "signal")

    try:
        with_retries(put, args.retries, args.retry_delay)
    except ToolError as exc:
        LOG.error("%s", exc)
        return EXIT_FAILURE
    LOG.info("signal accepted")
    return EXIT_OK
