"""cfn-push-stats: push this instance's metrics to the watch service (CloudWatch PutMetricData).

    cfn-push-stats [--cpu-util] [--mem-util] ... [--metric NAME=VALUE[:UNIT]]...
                   [--dimension NAME=VALUE]... [--watch ALARM] [--period SECONDS]

Decisions:
- The request is made by botocore's own CloudWatch client pointed at `watch_url`, so the
  wire format and SigV4 (service `monitoring`) are exactly what AWS SDKs send. botocore
  1.44.8 sends awsJson1_0 (`POST /`, `X-Amz-Target: GraniteServiceVersion20100801.
  PutMetricData`, `x-amzn-query-mode: true`); other versions may pick CBOR or query. The
  watch service speaks all three, so we do not pin one.
- Every datum carries the instance's dimensions: `InstanceId=<resource_name>` and
  `StackName=<stack_name>` from the endpoints file (`--no-default-dimensions` drops them),
  then `AlarmName=ALARM` for `--watch` (heat-cfntools' way of tying a datum to a watch), then
  each `--dimension`; a later dimension of the same name replaces an earlier one.
- Each datum gets the time it was read as its Timestamp, so a push delayed by retries
  still lands at the right minute.
- Safe from cron: nothing on stdout, nothing on stderr on success unless `-v`; any failure
  is one line on stderr and exit 1. Asking for nothing to push is a usage error (exit 2).
- `--period N` loops: read, push, sleep the rest of N s. A failed push is logged and the
  next period is the retry (the loop never dies of a server outage); credentials are read
  again on every push, so keys rotated by cfn-hup are picked up. `--count` bounds the loop.
- botocore retries transient failures itself (standard mode, `--retries`, default 2).
- Data goes out in batches of 20 datums, the historical PutMetricData limit, which every
  CloudWatch-compatible service accepts.
- heat-cfntools' `--haproxy` is not supported (it needed socat and an haproxy socket).
"""

from __future__ import annotations

import argparse
import logging
import math
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from instance_tools._cli import EXIT_FAILURE, EXIT_OK, ToolError, setup_logging
from instance_tools._client import check_url
from instance_tools._instance import (
    CREDENTIALS_FILE,
    ENDPOINTS_FILE,
    Endpoints,
    on_instance,
    read_credentials,
    read_endpoints,
)
from instance_tools._stats import MEMORY_UNITS, Collector, Sample, standard_unit

PROG = "cfn-push-stats"
LOG = logging.getLogger(__name__)

DEFAULT_NAMESPACE = "system/linux"
BATCH_SIZE = 20
# (flag, help): each flag is a `--flag-name` store_true option named after heat-cfntools'.
SYSTEM_METRICS = (
    ("cpu_util", "CPU utilization, percent (samples for 1 s)"),
    ("mem_util", "memory utilization, percent"),
    ("mem_used", "memory used, excluding cache and buffers"),
    ("mem_avail", "memory available, including cache and buffers"),
    ("swap_util", "swap utilization, percent"),
    ("swap_used", "swap allocated"),
    ("disk_space_util", "disk space utilization of --disk-path, percent"),
    ("disk_space_used", "disk space used on --disk-path"),
    ("disk_space_avail", "disk space available on --disk-path"),
    ("heartbeat", "a Heartbeat of 1 (Count)"),
    ("service_failure", "a ServiceFailure of 1 (Count)"),
)


def _metric(value: str) -> Sample:
    name, equals, rest = value.partition("=")
    number, colon, unit_name = rest.rpartition(":") if ":" in rest else (rest, "", "")
    if not name or not equals or not number:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE[:UNIT], got {value!r}")
    try:
        parsed = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: {number!r} is not a number") from None
    if not math.isfinite(parsed):
        raise argparse.ArgumentTypeError(f"{value!r}: the value must be finite")
    unit = standard_unit(unit_name) if colon else "None"
    if unit is None:
        raise argparse.ArgumentTypeError(
            f"{value!r}: unknown unit {unit_name!r} (CloudWatch units such as Count, "
            "Percent, Seconds, Bytes, Megabytes, Count/Second, None)"
        )
    return Sample(name, parsed, unit)


def _dimension(value: str) -> tuple[str, str]:
    name, equals, dimension_value = value.partition("=")
    if not name or not equals or not dimension_value:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {value!r}")
    return name, dimension_value


def _positive(kind: type[int] | type[float]):  # type: ignore[no-untyped-def]
    def parse(value: str) -> int | float:
        try:
            number = kind(value)
        except ValueError:
            number = 0
        if not number > 0:
            raise argparse.ArgumentTypeError(f"expected a number > 0, got {value!r}")
        return number

    return parse


def _retries(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value!r}")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Push system and custom metrics to the watch service."
    )
    metrics = parser.add_argument_group("what to push")
    for flag, text in SYSTEM_METRICS:
        metrics.add_argument(f"--{flag.replace('_', '-')}", action="store_true", help=text)
    metrics.add_argument(
        "--metric",
        action="append",
        type=_metric,
        default=[],
        metavar="NAME=VALUE[:UNIT]",
        help="a custom value (repeatable; unit default None)",
    )
    metrics.add_argument(
        "--memory-units",
        choices=sorted(MEMORY_UNITS),
        default="megabytes",
        help="unit of memory and swap amounts (default: megabytes)",
    )
    metrics.add_argument(
        "--disk-units",
        choices=sorted(MEMORY_UNITS),
        default="megabytes",
        help="unit of disk amounts (default: megabytes)",
    )
    metrics.add_argument(
        "--disk-path", default="/", help="a path on the file system to report (default: /)"
    )

    where = parser.add_argument_group("how to push")
    where.add_argument("--watch", metavar="ALARM", help="add the dimension AlarmName=ALARM")
    where.add_argument(
        "--dimension",
        action="append",
        type=_dimension,
        default=[],
        metavar="NAME=VALUE",
        help="add a dimension (repeatable)",
    )
    where.add_argument(
        "--no-default-dimensions",
        action="store_true",
        help="leave out InstanceId=<resource> and StackName=<stack>",
    )
    where.add_argument(
        "--namespace", default=DEFAULT_NAMESPACE, help=f"default: {DEFAULT_NAMESPACE}"
    )
    where.add_argument(
        "--high-resolution", action="store_true", help="StorageResolution=1 (per second)"
    )
    where.add_argument(
        "--period", type=_positive(float), metavar="SECONDS", help="push every SECONDS, forever"
    )
    where.add_argument(
        "--count", type=_positive(int), help="with --period: stop after this many pushes"
    )
    where.add_argument(
        "--credential-file",
        default=CREDENTIALS_FILE,
        help=f"AWSAccessKeyId=/AWSSecretKey= file (default: {CREDENTIALS_FILE})",
    )
    where.add_argument("--region", help="SigV4 region (default: the endpoints file's)")
    where.add_argument("--url", help="watch service URL (default: watch_url of the endpoints)")
    where.add_argument(
        "--endpoints-file", default=ENDPOINTS_FILE, help=f"default: {ENDPOINTS_FILE}"
    )
    where.add_argument(
        "--retries",
        type=_retries,
        default=2,
        help="botocore retries of a transient failure (default: 2)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="report each push")
    return parser


def _flags(args: argparse.Namespace) -> set[str]:
    return {flag for flag, _ in SYSTEM_METRICS if getattr(args, flag)}


class Pusher:
    """Everything one run needs to push: where, as whom, with which dimensions."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        needs_endpoints = not args.url or not args.region or not args.no_default_dimensions
        endpoints = read_endpoints(args.endpoints_file) if needs_endpoints else None
        self.url = check_url(args.url or _require(endpoints, "watch_url"))
        self.region = args.region or _require(endpoints, "region")
        self.dimensions = self._dimensions(endpoints)
        self.collector = Collector(
            memory_units=args.memory_units,
            disk_units=args.disk_units,
            disk_path=str(on_instance(args.disk_path)),
        )
        self._session = botocore.session.get_session()

    def _dimensions(self, endpoints: Endpoints | None) -> list[dict[str, str]]:
        dimensions: dict[str, str] = {}
        if not self.args.no_default_dimensions:
            dimensions["InstanceId"] = _require(endpoints, "resource_name")
            dimensions["StackName"] = _require(endpoints, "stack_name")
        if self.args.watch:
            dimensions["AlarmName"] = self.args.watch
        dimensions.update(self.args.dimension)
        return [{"Name": name, "Value": value} for name, value in dimensions.items()]

    def read(self) -> list[Sample]:
        try:
            return self.collector.collect(_flags(self.args)) + list(self.args.metric)
        except OSError as exc:
            raise ToolError(f"cannot read system metrics: {exc}") from None

    def push(self) -> int:
        samples = self.read()
        now = datetime.now(UTC)
        data = [self._datum(sample, now) for sample in samples]
        credentials = read_credentials(self.args.credential_file)
        client = self._session.create_client(
            "cloudwatch",
            endpoint_url=self.url,
            region_name=self.region,
            aws_access_key_id=credentials.access_key,
            aws_secret_access_key=credentials.secret_key,
            config=Config(
                retries={"max_attempts": self.args.retries + 1, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
        )
        try:
            for start in range(0, len(data), BATCH_SIZE):
                batch = data[start : start + BATCH_SIZE]
                client.put_metric_data(Namespace=self.args.namespace, MetricData=batch)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code") or "error"
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            raise ToolError(
                f"PutMetricData to {self.url} failed: {code} (HTTP {status}): "
                f"{error.get('Message') or 'no message'}"
            ) from None
        except BotoCoreError as exc:
            raise ToolError(f"PutMetricData to {self.url} failed: {exc}") from None
        finally:
            client.close()
        for sample in samples:
            LOG.info("pushed %s = %s %s", sample.name, sample.value, sample.unit)
        return len(samples)

    def _datum(self, sample: Sample, now: datetime) -> dict[str, Any]:
        datum: dict[str, Any] = {
            "MetricName": sample.name,
            "Dimensions": self.dimensions,
            "Timestamp": now,
            "Value": sample.value,
            "Unit": sample.unit,
        }
        if self.args.high_resolution:
            datum["StorageResolution"] = 1
        return datum


def _require(endpoints: Endpoints | None, name: str) -> str:
    if endpoints is None:  # only when options made the endpoints file unnecessary
        raise ToolError(f"no {name}")
    return endpoints.require(name)


def run_periodically(pusher: Pusher, period: float, count: int | None) -> int:
    failures = pushes = 0
    while True:
        started = time.monotonic()
        try:
            pusher.push()
        except ToolError as exc:
            failures += 1
            LOG.error("%s; trying again in %.0f s", exc, period)
        pushes += 1
        if count is not None and pushes >= count:
            return EXIT_FAILURE if failures else EXIT_OK
        time.sleep(max(0.0, period - (time.monotonic() - started)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not _flags(args) and not args.metric:
        parser.error("nothing to push: give a metric option such as --mem-util or --metric")
    if args.count is not None and args.period is None:
        parser.error("--count goes with --period")
    setup_logging(PROG, args.verbose, timestamps=args.period is not None)
    try:
        pusher = Pusher(args)
        if args.period is None:
            pusher.push()
            return EXIT_OK
        return run_periodically(pusher, args.period, args.count)
    except ToolError as exc:
        LOG.error("%s", exc)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_OK
