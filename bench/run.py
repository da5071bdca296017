"""`python -m bench.run [--quick] [--backends sqlite,postgres] [--repeat 3]`

Starts heatwatch (honcho on the real Procfile, one backend at a time) and a moto_server on
another loopback port, runs the same workloads against each, and prints medians over the
repeats with ours/moto ratios. Ingest is measured until the data is visible to
GetMetricStatistics, not merely accepted. Query latency is timed through boto3 and again
from a raw client that does not parse the answer (botocore's parsing of 1,440 datapoints is
most of a boto3 call). A benchmark that prints numbers, not a test.
"""

from __future__ import annotations

import argparse
import gc
import json
import signal
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ReadTimeoutError

from bench.systems import Target, start_heatwatch, start_moto, start_null_endpoint

REGION = "us-east-1"
SENDERS = 4  # client threads sending PutMetricData concurrently
HOSTS = 4  # ingest datums are spread over this many metrics (dimension Host)
VISIBLE_TIMEOUT = 180.0
WARMUP_CALLS = 2  # untimed GetMetricStatistics before the measured ones (2 API workers)
QUERY_BUDGET = 30.0  # seconds per query workload per run; fewer calls if slower
CALL_TIMEOUT = 60  # a single query call slower than this is reported as a timeout
WORKLOADS = ("ingest", "list", "query")  # what --only can pick


@dataclass
class Sizes:
    put_requests: int  # 1000 single-value datums each
    array_requests: int  # 1000 datums x 150 values each
    query_points: int  # samples loaded for the query workloads (over 1 day)
    query_calls: int  # GetMetricStatistics / GetMetricData calls per repeat
    list_metrics: int  # distinct metrics for ListMetrics paging


FULL = Sizes(put_requests=40, array_requests=8, query_points=1_000_000, query_calls=200,
             list_metrics=10_000)  # fmt: skip
QUICK = Sizes(put_requests=8, array_requests=2, query_points=200_000, query_calls=40,
              list_metrics=2_000)  # fmt: skip


def client(target: Target, read_timeout: int = 300):  # type: ignore[no-untyped-def]
    return boto3.Session().client(
        "cloudwatch", endpoint_url=target.endpoint, region_name=REGION,
        aws_access_key_id=target.access_key_id, aws_secret_access_key=target.secret_access_key,
        config=Config(retries={"max_attempts": 1}, read_timeout=read_timeout,
                      max_pool_connections=SENDERS),
    )  # fmt: skip


class RawClient:
    """JSON protocol by hand: pre-serialised bodies, botocore's SigV4 signer, one HTTP session."""

    def __init__(self, target: Target) -> None:
        self.url = target.endpoint + "/"
        self.signer = SigV4Auth(
            Credentials(target.access_key_id, target.secret_access_key), "monitoring", REGION
        )
        self.local = threading.local()

    def call(self, operation: str, body: bytes) -> requests.Response:
        request = AWSRequest(method="POST", url=self.url, data=body, headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"GraniteServiceVersion20100801.{operation}",
        })  # fmt: skip
        self.signer.add_auth(request)
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        response = self.local.session.post(self.url, data=body, headers=dict(request.headers),
                                           timeout=300)  # fmt: skip
        if response.status_code != 200:
            raise RuntimeError(f"{operation}: HTTP {response.status_code}: {response.text[:300]}")
        return response


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def single_value_datums(run: str, now: datetime) -> list[dict]:
    return [
        {"MetricName": "Put", "Dimensions": [{"Name": "Host", "Value": f"h{i % HOSTS}"}],
         "Timestamp": now - timedelta(seconds=1800 * i / 1000), "Value": float(i % 97),
         "Unit": "Milliseconds"}
        for i in range(1000)
    ]  # fmt: skip


def array_datums(now: datetime, values: int = 150, distinct: bool = False) -> list[dict]:
    """Whole milliseconds 0-9 (few distinct values, as latencies often are), or with
    `distinct` no value twice within a metric's minute: the worst case for storage, which
    keeps one (value, count) pair per distinct value of a minute. (Distinct across the whole
    request would not fit the 1 MB body limit; within a minute is all that storage sees.)"""
    return [
        {"MetricName": "Put", "Dimensions": [{"Name": "Host", "Value": f"h{i % HOSTS}"}],
         "Timestamp": now - timedelta(seconds=1800 * i / 1000),
         # A host's datums of one minute are at most 9 consecutive i // HOSTS.
         "Values": [(i // HOSTS) % 16 * values + j if distinct else (i + j) % 10
                    for j in range(values)],
         "Unit": "Milliseconds"}
        for i in range(1000)
    ]  # fmt: skip


def _json_datum(datum: dict) -> dict:
    return {**datum, "Timestamp": datum["Timestamp"].timestamp()}


def sample_count(cw, namespace: str, metric: str, dims: list[list[dict]], start: datetime,  # type: ignore[no-untyped-def]
                 end: datetime, period: int) -> float:  # fmt: skip
    total = 0.0
    for dimensions in dims:
        result = cw.get_metric_statistics(
            Namespace=namespace, MetricName=metric, Dimensions=dimensions, StartTime=start,
            EndTime=end, Period=period, Statistics=["SampleCount"],
        )  # fmt: skip
        total += sum(p["SampleCount"] for p in result["Datapoints"])
    return total


def wait_visible(cw, namespace: str, expected: float, now: datetime) -> float:  # type: ignore[no-untyped-def]
    """Poll GetMetricStatistics until the SampleCount over the ingest window equals `expected`."""
    dims = [[{"Name": "Host", "Value": f"h{h}"}] for h in range(HOSTS)]
    start = (now - timedelta(hours=2)).replace(minute=0, second=0)
    end = start + timedelta(hours=4)
    deadline = time.perf_counter() + VISIBLE_TIMEOUT
    seen = 0.0
    while time.perf_counter() < deadline:
        seen = sample_count(cw, namespace, "Put", dims, start, end, 3600)
        if seen >= expected:
            if seen > expected:
                raise RuntimeError(f"{namespace}: saw {seen} samples, sent {expected}")
            return time.perf_counter()
        time.sleep(0.05)
    raise TimeoutError(f"{namespace}: only {seen:.0f} of {expected:.0f} visible after "
                       f"{VISIBLE_TIMEOUT}s")  # fmt: skip


def ingest(target: Target, kind: str, requests_: int, *, until_visible: bool = True) -> float:
    """Datapoints (samples) per second from the first send until all are visible (or, with
    `until_visible` False, until all are sent: the client's own rate)."""
    namespace = f"Bench/{kind}/{uuid.uuid4().hex[:8]}"
    now = _now()
    if kind in ("arrays", "distinct"):
        payload = array_datums(now, distinct=kind == "distinct")
        per_request = 1000 * 150
    else:
        payload = single_value_datums(namespace, now)
        per_request = 1000
    checker = client(target)
    if kind == "raw":
        raw = RawClient(target)
        body = json.dumps({"Namespace": namespace,
                           "MetricData": [_json_datum(d) for d in payload]}).encode()  # fmt: skip

        def send(_: int) -> None:
            raw.call("PutMetricData", body)
    else:
        clients = threading.local()

        def send(_: int) -> None:
            if not hasattr(clients, "cw"):
                clients.cw = client(target)
            clients.cw.put_metric_data(Namespace=namespace, MetricData=payload)

    # Build the clients before the clock starts (boto3 client creation is not what we measure).
    with ThreadPoolExecutor(SENDERS) as pool:
        list(pool.map(lambda _: None, range(SENDERS)))
        started = time.perf_counter()
        list(pool.map(send, range(requests_)))
        if not until_visible:
            return per_request * requests_ / (time.perf_counter() - started)
    visible = wait_visible(checker, namespace, float(per_request * requests_), now)
    return per_request * requests_ / (visible - started)


def client_ceilings(sizes: Sizes) -> dict[str, float]:
    """The single-value ingest clients against bench/null_endpoint.py (median of 3): what
    they can send on this machine, with the same threads, when the server does nothing."""
    null = start_null_endpoint()
    try:
        return {
            kind: statistics.median(
                ingest(null, kind, sizes.put_requests, until_visible=False) for _ in range(3)
            )
            for kind in ("boto", "raw")
        }
    finally:
        null.stop()


def day_range(now: datetime) -> tuple[datetime, datetime]:
    end = now.replace(second=0)
    return end - timedelta(days=1), end


def load_query_data(target: Target, points: int, raw: RawClient) -> tuple[str, float]:
    """`points` samples of one metric over one day: 1000-datum requests of 100-value arrays."""
    namespace = f"Bench/Query/{uuid.uuid4().hex[:8]}"
    start, end = day_range(_now())
    datums = points // 100
    step = 86400 / datums
    bodies = []
    for first in range(0, datums, 1000):
        data = [
            {"MetricName": "Latency",
             "Timestamp": (start + timedelta(seconds=(i + 0.5) * step)).timestamp(),
             "Values": [(i * 7 + j) % 100 for j in range(100)], "Unit": "Milliseconds"}
            for i in range(first, min(first + 1000, datums))
        ]  # fmt: skip
        bodies.append(json.dumps({"Namespace": namespace, "MetricData": data}).encode())
    started = time.perf_counter()
    with ThreadPoolExecutor(SENDERS) as pool:
        list(pool.map(lambda b: raw.call("PutMetricData", b), bodies))
    cw = client(target)
    deadline = time.perf_counter() + VISIBLE_TIMEOUT * 2
    seen = 0.0
    while time.perf_counter() < deadline:
        seen = sample_count(cw, namespace, "Latency", [[]], start, end, 86400)
        if seen >= datums * 100:
            return namespace, time.perf_counter() - started
        time.sleep(0.2)
    raise TimeoutError(f"query data: {seen:.0f} of {datums * 100} visible")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def query_latencies(target: Target, namespace: str, calls: int) -> dict[str, float]:
    """Latencies; a call over CALL_TIMEOUT s ends its workload and is reported as a timeout.

    The client's own heap is frozen out of the cyclic GC while it measures (as the API
    workers freeze theirs): botocore builds thousands of objects per 1,440-datapoint
    response, and this process's full collections would otherwise land in the timings."""
    gc.collect()
    gc.freeze()
    try:
        return _query_latencies(target, namespace, calls)
    finally:
        gc.unfreeze()


def _query_latencies(target: Target, namespace: str, calls: int) -> dict[str, float]:
    cw = client(target, read_timeout=CALL_TIMEOUT)
    start, end = day_range(_now())  # the loaded day (a minute of drift is harmless)
    gms, gmd = [], []
    gms_kwargs = {
        "Namespace": namespace, "MetricName": "Latency", "StartTime": start, "EndTime": end,
        "Period": 60, "Statistics": ["SampleCount", "Average", "Sum", "Minimum", "Maximum"],
    }  # fmt: skip
    for _ in range(WARMUP_CALLS):  # not timed: every API worker's first call, on each system
        cw.get_metric_statistics(**gms_kwargs)
    budget = time.perf_counter() + QUERY_BUDGET
    for _ in range(calls):
        if len(gms) >= 2 and time.perf_counter() > budget:
            break
        t0 = time.perf_counter()
        try:
            result = cw.get_metric_statistics(**gms_kwargs)
        except ReadTimeoutError:
            gms.append(float("inf"))
            break
        gms.append(time.perf_counter() - t0)
        if len(result["Datapoints"]) < 1400:
            raise RuntimeError(f"GetMetricStatistics: {len(result['Datapoints'])} datapoints")
    metric = {"Namespace": namespace, "MetricName": "Latency"}
    queries = [
        {"Id": stat.lower(), "MetricStat": {"Metric": metric, "Period": 60, "Stat": stat}}
        for stat in ("Average", "Sum", "Minimum", "Maximum")
    ]
    budget = time.perf_counter() + QUERY_BUDGET
    for _ in range(calls):
        if len(gmd) >= 1 and time.perf_counter() > budget:
            break
        t0 = time.perf_counter()
        kwargs = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end}
        values = 0
        try:
            while True:
                result = cw.get_metric_data(**kwargs)
                values += sum(len(r["Values"]) for r in result["MetricDataResults"])
                if not result.get("NextToken"):
                    break
                kwargs["NextToken"] = result["NextToken"]
        except ReadTimeoutError:
            gmd.append(float("inf"))
            break
        gmd.append(time.perf_counter() - t0)
        if values < 4 * 1400:
            raise RuntimeError(f"GetMetricData: {values} values")
    raw = _raw_latencies(target, gms_kwargs, queries, calls, skip_gmd=float("inf") in gmd)
    return {
        "gms_p50": percentile(gms, 50) * 1000, "gms_p99": percentile(gms, 99) * 1000,
        "gmd_p50": percentile(gmd, 50) * 1000, "gmd_p99": percentile(gmd, 99) * 1000,
        **raw, "gms_calls": len(gms), "gmd_calls": len(gmd),
    }  # fmt: skip


def _raw_latencies(target: Target, gms_kwargs: dict, queries: list[dict], calls: int,
                   skip_gmd: bool) -> dict[str, float]:  # fmt: skip
    """The same two calls from the raw client, which does not parse the answer: the server's own
    latency (with HTTP), apart from botocore's parsing of 1,440 datapoints per answer."""
    raw = RawClient(target)
    span = {"StartTime": gms_kwargs["StartTime"].timestamp(),
            "EndTime": gms_kwargs["EndTime"].timestamp()}  # fmt: skip
    bodies = {"GetMetricStatistics": json.dumps({**gms_kwargs, **span}).encode()}
    if not skip_gmd:  # a call over CALL_TIMEOUT through boto3 is not repeated here
        bodies["GetMetricData"] = json.dumps({"MetricDataQueries": queries, **span}).encode()
    out = {}
    for operation, body in bodies.items():
        key = "gms_raw" if operation == "GetMetricStatistics" else "gmd_raw"
        first = raw.call(operation, body).json()  # checked once: the answer is complete
        got = (len(first["Datapoints"]) if key == "gms_raw"
               else sum(len(r["Values"]) for r in first["MetricDataResults"]))  # fmt: skip
        if got < (1400 if key == "gms_raw" else 4 * 1400):
            raise RuntimeError(f"{operation} (raw): {got} values")
        times: list[float] = []
        budget = time.perf_counter() + QUERY_BUDGET
        while len(times) < calls and (len(times) < 2 or time.perf_counter() < budget):
            t0 = time.perf_counter()
            raw.call(operation, body)
            times.append(time.perf_counter() - t0)
        out[f"{key}_p50"] = percentile(times, 50) * 1000
        out[f"{key}_p99"] = percentile(times, 99) * 1000
    return out


def load_list_metrics(target: Target, count: int, raw: RawClient) -> str:
    namespace = f"Bench/List/{uuid.uuid4().hex[:8]}"
    now = _now().timestamp()
    bodies = [
        json.dumps({"Namespace": namespace, "MetricData": [
            {"MetricName": f"m{i:06d}", "Dimensions": [{"Name": "Host", "Value": f"h{i % 10}"}],
             "Timestamp": now, "Value": 1.0}
            for i in range(first, min(first + 1000, count))
        ]}).encode()
        for first in range(0, count, 1000)
    ]  # fmt: skip
    with ThreadPoolExecutor(SENDERS) as pool:
        list(pool.map(lambda b: raw.call("PutMetricData", b), bodies))
    deadline = time.perf_counter() + VISIBLE_TIMEOUT
    listed = 0
    while time.perf_counter() < deadline:
        listed = list_all(client(target), namespace)
        if listed >= count:
            return namespace
        time.sleep(0.5)
    raise TimeoutError(f"ListMetrics: {listed} of {count} metrics listed")


def list_all(cw, namespace: str) -> int:  # type: ignore[no-untyped-def]
    listed = 0
    kwargs = {"Namespace": namespace}
    while True:
        result = cw.list_metrics(**kwargs)
        listed += len(result["Metrics"])
        if not result.get("NextToken"):
            return listed
        kwargs["NextToken"] = result["NextToken"]


def timed_list(cw, namespace: str, expected: int) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    listed = list_all(cw, namespace)
    elapsed = time.perf_counter() - t0
    if listed != expected:
        raise RuntimeError(f"ListMetrics listed {listed}, expected {expected}")
    return elapsed


ROWS = [
    ("put_boto", "PutMetricData 1000x1 value, boto3 (dp/s visible)", "higher"),
    ("put_raw", "PutMetricData 1000x1 value, raw client (dp/s visible)", "higher"),
    ("put_arrays", "PutMetricData 1000x150 values, boto3 (dp/s visible)", "higher"),
    ("put_distinct", "  the same, every value distinct (dp/s visible)", "higher"),
    ("query_load_s", "load query data, raw client (s to visible)", "lower"),
    ("gms_p50", "GetMetricStatistics 1 day/60 s p50 (ms)", "lower"),
    ("gms_p99", "GetMetricStatistics 1 day/60 s p99 (ms)", "lower"),
    ("gmd_p50", "GetMetricData 4 stats 1 day/60 s p50 (ms)", "lower"),
    ("gmd_p99", "GetMetricData 4 stats 1 day/60 s p99 (ms)", "lower"),
    ("gms_raw_p50", "GetMetricStatistics, raw client p50 (ms)", "lower"),
    ("gms_raw_p99", "GetMetricStatistics, raw client p99 (ms)", "lower"),
    ("gmd_raw_p50", "GetMetricData, raw client p50 (ms)", "lower"),
    ("gmd_raw_p99", "GetMetricData, raw client p99 (ms)", "lower"),
    ("list_s", "ListMetrics paging all metrics (s total)", "lower"),
]


def measure(target: Target, sizes: Sizes, repeat: int, log: Callable[[str], None],
            only: frozenset[str] = frozenset(WORKLOADS)) -> dict:  # fmt: skip
    runs: dict[str, list[float]] = {key: [] for key, _, _ in ROWS}
    errors: dict[str, str] = {}
    notes: list[str] = []

    def attempt(key: str, fn: Callable[[], object]) -> object:
        try:
            return fn()
        except Exception as exc:
            errors[key] = f"{type(exc).__name__}: {str(exc)[:200]}"
            log(f"    {key} FAILED: {errors[key]}")
            return None

    raw = RawClient(target)
    for r in range(repeat if "ingest" in only else 0):
        for key, kind, n in (("put_boto", "boto", sizes.put_requests),
                             ("put_raw", "raw", sizes.put_requests),
                             ("put_arrays", "arrays", sizes.array_requests),
                             ("put_distinct", "distinct", sizes.array_requests)):  # fmt: skip
            if key in errors:
                continue
            value = attempt(key, lambda kind=kind, n=n: ingest(target, kind, n))
            if value is not None:
                runs[key].append(value)
                log(f"    run {r + 1}: {key} = {value:,.0f} dp/s")
    listing = None
    if "list" in only:
        listing = attempt("list_s", lambda: load_list_metrics(target, sizes.list_metrics, raw))
    if listing is not None:
        cw = client(target)
        for r in range(repeat):
            value = attempt("list_s", lambda: timed_list(cw, listing, sizes.list_metrics))
            if value is None:
                break
            runs["list_s"].append(value)
            log(f"    run {r + 1}: list_s = {value:.2f} s")
    loaded = None
    if "query" in only:
        loaded = attempt("query_load_s", lambda: load_query_data(target, sizes.query_points, raw))
    if loaded is not None:
        namespace, seconds = loaded
        runs["query_load_s"].append(seconds)
        log(f"    loaded {sizes.query_points:,} samples in {seconds:.1f} s")
        for r in range(repeat):
            lat = attempt("gms_p50", lambda: query_latencies(target, namespace, sizes.query_calls))
            if lat is None:
                break
            calls_done = (lat.pop("gms_calls"), lat.pop("gmd_calls"))
            for key, value in lat.items():
                runs[key].append(value)
            notes.append(f"run {r + 1}: {calls_done[0]} GetMetricStatistics and "
                         f"{calls_done[1]} GetMetricData calls")  # fmt: skip
            log(
                f"    run {r + 1}: "
                + ", ".join(f"{k}={v:.1f} ms" for k, v in lat.items())
                + f" ({notes[-1]})"
            )
            if float("inf") in lat.values():
                notes.append(f"a query call took over {CALL_TIMEOUT} s (shown as 'timeout'); "
                             f"query runs stopped after run {r + 1}")  # fmt: skip
                break
            if calls_done[1] < 3 and r + 1 < repeat:
                notes.append(f"query runs stopped after run {r + 1}: over the time budget")
                break
    return {
        "median": {k: statistics.median(v) for k, v in runs.items() if v},
        "errors": errors,
        "notes": notes,
    }


def fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value == float("inf"):
        return f">{CALL_TIMEOUT}s timeout"
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.2f}" if value < 100 else f"{value:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-moto", action="store_true")
    parser.add_argument("--only", default=",".join(WORKLOADS),
                        help=f"workloads to run, of {','.join(WORKLOADS)}")  # fmt: skip
    args = parser.parse_args(argv)
    only = frozenset(w.strip() for w in args.only.split(",") if w.strip())
    if not only <= set(WORKLOADS):
        parser.error(f"--only takes {','.join(WORKLOADS)}")
    # SIGTERM (timeout, Ctrl-C from make) unwinds through the finally blocks that stop processes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sizes = QUICK if args.quick else FULL
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    begun = time.perf_counter()
    results: dict[str, dict] = {}
    names = [f"ours-{b}" for b in backends] + ([] if args.no_moto else ["moto"])
    moto = None
    ceilings: dict[str, float] = {}
    try:
        if "ingest" in only:
            ceilings = client_ceilings(sizes)
        if not args.no_moto:
            log("starting moto_server")
            moto = start_moto()
        for backend in backends:
            log(f"starting heatwatch on {backend}")
            target = start_heatwatch(backend)
            try:
                log(f"measuring ours-{backend}")
                results[f"ours-{backend}"] = measure(target, sizes, args.repeat, log, only)
            finally:
                target.stop()
        if moto is not None:
            # The same workloads with the same sizes, in the same run: moto side by side.
            log("measuring moto")
            results["moto"] = measure(moto, sizes, args.repeat, log, only)
    finally:
        if moto is not None:
            moto.stop()

    print()
    print(f"heatwatch benchmark ({'--quick' if args.quick else 'full'}), medians of "
          f"{args.repeat} runs; {SENDERS} client threads; METRICS_CONCURRENCY=2, "
          f"WATCH_API_WORKERS=2; {time.perf_counter() - begun:.0f} s wall")  # fmt: skip
    print(f"sizes: PutMetricData {sizes.put_requests} x 1000 single-value datums "
          f"({sizes.put_requests * 1000:,} dp) per run; {sizes.array_requests} x 1000 x 150-value "
          f"datums ({sizes.array_requests * 150_000:,} dp) per run; query data "
          f"{sizes.query_points:,} samples of one metric over 1 day (loaded as 1000-datum "
          f"requests of 100-value arrays through the API, {sizes.query_points // 100:,} "
          f"datums); {sizes.query_calls} query calls per run; ListMetrics over "
          f"{sizes.list_metrics:,} metrics")  # fmt: skip
    if args.quick or sizes.query_points < 1_000_000 or sizes.list_metrics < 10_000:
        print("NOTE: sizes reduced from the issue's (1M datapoints, 10k metrics) by --quick")
    header = ["workload", *names]
    ratio_names = [f"{n}/moto" for n in names if n.startswith("ours")] if "moto" in names else []
    header += ratio_names
    table = [header]
    for key, label, _better in ROWS:
        row = [label] + [fmt(results.get(n, {}).get("median", {}).get(key)) for n in names]
        for n in names:
            if n.startswith("ours") and "moto" in names:
                ours = results.get(n, {}).get("median", {}).get(key)
                theirs = results["moto"]["median"].get(key)
                if theirs == float("inf") and ours:
                    row.append(f"<{ours / (CALL_TIMEOUT * 1000):.4f}")
                else:
                    row.append(f"{ours / theirs:.2f}" if ours and theirs else "n/a")
        table.append(row)
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for i, row in enumerate(table):
        print("  ".join(c.ljust(widths[0]) if j == 0 else c.rjust(widths[j])
                        for j, c in enumerate(row)))  # fmt: skip
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print("ratios are ours/moto: above 1 is better for dp/s rows, below 1 is better for s/ms rows")
    print(
        f"query calls stop after {QUERY_BUDGET:.0f} s per workload per run (at least 2 "
        "GetMetricStatistics and 1 GetMetricData); p99 is the value at rank "
        "round(0.99 x (calls - 1)): the 3rd slowest of 200 calls, the slowest of 51 or fewer"
    )
    if ceilings:
        print("client ceiling, PutMetricData 1000x1 value against the null endpoint (a server "
              f"that stores nothing): boto3 {ceilings['boto']:,.0f} dp/s, raw client "
              f"{ceilings['raw']:,.0f} dp/s; the ingest rows cannot exceed it")  # fmt: skip
    for name in names:
        for note in results.get(name, {}).get("notes", []):
            print(f"note {name}: {note}")
    for name in names:
        for key, error in results.get(name, {}).get("errors", {}).items():
            print(f"ERROR {name} {key}: {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
