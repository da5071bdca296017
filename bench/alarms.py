"""`python -m bench.alarms [--quick] [--only put,describe,throughput,latency] [--backends ...]`

The watch engine's benchmark. A benchmark that prints numbers, not a test.

1. put: PutMetricAlarm through boto3 (4 client threads) against heatwatch (SQLite) and
   moto_server: alarms per second each and the ratio.
2. describe: DescribeAlarms paging through 10k alarms (MaxRecords=100, NextToken) on heatwatch;
   on moto (which ignores MaxRecords/NextToken) the calls it needs.
3. throughput: K alarms over real per-minute data (10 alarms per metric) seeded straight into
   the watch DB; every alarm made due at once; the wall time until every alarm's
   last_evaluated_at is set again, for W = 4, 2, 1 watch pool processes (one `watch` Procfile
   worker started with WATCH_CONCURRENCY=4, resized with Celery's pool_shrink between runs).
4. latency: from PutMetricData of a breaching datapoint returning 200 to DescribeAlarms
   showing ALARM, for 10-s and 60-s alarms.

Every heatwatch is the real Procfile under honcho with its own Redis on free loopback ports
(bench/systems.py); a summary table is printed at the end, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from queue import SimpleQueue
from types import SimpleNamespace
from typing import Any

import psutil
from sqlalchemy import func, select, text, update

from bench.run import RawClient, client, percentile
from bench.systems import Target, start_heatwatch, start_moto, start_null_endpoint
from models import migrate
from models.sessions import Database, session_scope
from models.watch import alarm_history, alarms
from models.watch import metrics as metric_store
from models.watch.alarm_validation import validate_put_metric_alarm
from models.watch.datums import Datum
from models.watch.tables import Alarm, AlarmHistoryItem
from tasks.factory import make_celery
from tasks.routing import WATCH_QUEUE

CLIENTS = 4  # boto3 client threads for PutMetricAlarm
# The raw client: pre-serialised JSON bodies signed with botocore's signer, from several
# processes, so that the client's GIL is not what is measured (boto3 in one process is).
RAW_PROCESSES = 3
RAW_THREADS = 2
PAGE = 100  # DescribeAlarms MaxRecords
WARMUP = 20  # alarms created (not timed) before PutMetricAlarm is measured, on both systems
DESCRIBE_REPEAT = 3
WATCH_SHARDS = 16
POOL_SIZES = (4, 2, 1)  # W, in the order they run (the pool starts at 4 and shrinks)
EVAL_NAMESPACE = "Bench/Eval"
ALARMS_PER_METRIC = 10
DATA_MINUTES = 10  # per-minute history seeded for every metric
DATA_AHEAD = 10  # minutes of data written past each pass's start (windows read only < E)
RUN_TIMEOUT = 900.0  # seconds for one evaluation pass over every alarm
SETTLE_TIMEOUT = 300.0  # seconds for freshly created alarms to be evaluated once
POLL = 0.2  # seconds between DescribeAlarms polls (latency)
PARK = datetime(2999, 1, 1, tzinfo=UTC)  # next_evaluation_at of alarms between runs
BUMP = Alarm.version + 1


@dataclass(frozen=True)
class Sizes:
    put: int
    describe: int
    throughput: tuple[int, ...]
    latency10: int
    latency60: int
    span10: float  # seconds over which the breaching datapoints are spread
    span60: float


FULL = Sizes(put=2000, describe=10_000, throughput=(10_000, 100_000), latency10=20, latency60=10,
             span10=60.0, span60=120.0)  # fmt: skip
QUICK = Sizes(put=300, describe=2000, throughput=(10_000,), latency10=5, latency60=3,
              span10=30.0, span60=60.0)  # fmt: skip


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _now() -> datetime:
    return datetime.now(UTC)


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def wait_until(condition: Callable[[], Any], timeout: float, what: str,
               interval: float = 0.5) -> Any:  # fmt: skip
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# --- 1 and 2: PutMetricAlarm and DescribeAlarms through the API -------------------------------


def api_alarm(prefix: str, i: int) -> dict[str, Any]:
    return {
        "AlarmName": f"{prefix}-{i:06d}", "Namespace": "Bench/Api", "MetricName": f"m{i % 100}",
        "Dimensions": [{"Name": "Host", "Value": f"h{i % 10}"}], "Statistic": "Average",
        "Period": 60, "EvaluationPeriods": 1, "Threshold": float(i % 50),
        "ComparisonOperator": "GreaterThanThreshold",
    }  # fmt: skip


def server_cpu_seconds(target: Target) -> float:
    """CPU seconds used so far by the target's processes and their descendants (API workers,
    task workers, beat, Redis; for moto its server). The boto3 client runs in threads of
    this process, so a difference across a put phase is the server side's cost of it."""
    total = 0.0
    for pid in target.pids:
        try:
            root = psutil.Process(pid)
            processes = [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue  # gone meanwhile
            total += times.user + times.system
    return total


def put_alarms(target: Target, prefix: str, first: int, count: int) -> float:
    """Seconds to create alarms first..first+count-1 through boto3 from CLIENTS threads."""
    clients: SimpleQueue = SimpleQueue()
    for _ in range(CLIENTS):  # built before the clock starts
        clients.put(client(target, read_timeout=60))
    local = threading.local()

    def put(i: int) -> None:
        if not hasattr(local, "cw"):
            local.cw = clients.get()
        local.cw.put_metric_alarm(**api_alarm(prefix, i))

    with ThreadPoolExecutor(CLIENTS) as pool:
        started = time.perf_counter()
        list(pool.map(put, range(first, first + count)))
        return time.perf_counter() - started


def _raw_put_chunk(endpoint: str, key: str, secret: str, prefix: str, indices: list[int]) -> int:
    """In a client process: PutMetricAlarm for `indices` from RAW_THREADS threads."""
    raw = RawClient(SimpleNamespace(endpoint=endpoint, access_key_id=key,  # type: ignore[arg-type]
                                    secret_access_key=secret))  # fmt: skip
    bodies = [json.dumps(api_alarm(prefix, i)).encode() for i in indices]
    with ThreadPoolExecutor(RAW_THREADS) as pool:
        list(pool.map(lambda body: raw.call("PutMetricAlarm", body), bodies))
    return len(bodies)


def put_alarms_raw(target: Target, prefix: str, first: int, count: int) -> float:
    """Seconds to create alarms first..first+count-1 with the raw client (RAW_PROCESSES)."""
    context = multiprocessing.get_context("fork")
    credentials = (target.endpoint, target.access_key_id, target.secret_access_key)
    with ProcessPoolExecutor(RAW_PROCESSES, mp_context=context) as pool:
        # Fork the client processes and open their connections before the clock starts.
        warm = [pool.submit(_raw_put_chunk, *credentials, f"{prefix}-warm{n}", [n])
                for n in range(RAW_PROCESSES)]  # fmt: skip
        for future in warm:
            future.result()
        indices = list(range(first, first + count))
        chunks = [indices[n::RAW_PROCESSES] for n in range(RAW_PROCESSES)]
        started = time.perf_counter()
        done = sum(pool.map(_raw_put_chunk, *zip(*[(*credentials, prefix, c) for c in chunks],
                                                 strict=True)))  # fmt: skip
        elapsed = time.perf_counter() - started
    if done != count:
        raise RuntimeError(f"{target.name}: the raw client created {done} alarms, not {count}")
    return elapsed


def page_all(target: Target) -> tuple[float, int, int]:
    """(seconds, alarms seen, calls) paging DescribeAlarms with MaxRecords=100."""
    cw = client(target, read_timeout=120)
    kwargs: dict[str, Any] = {"MaxRecords": PAGE}
    seen = calls = 0
    names: set[str] = set()
    started = time.perf_counter()
    while True:
        result = cw.describe_alarms(**kwargs)
        calls += 1
        seen += len(result["MetricAlarms"])
        names.update(a["AlarmName"] for a in result["MetricAlarms"])
        if not result.get("NextToken"):
            break
        kwargs["NextToken"] = result["NextToken"]
    elapsed = time.perf_counter() - started
    if len(names) != seen:
        raise RuntimeError(f"DescribeAlarms returned {seen} alarms but {len(names)} distinct")
    return elapsed, seen, calls


def seed_service_layer(target: Target, prefix: str, first: int, count: int) -> float:
    """Create alarms with alarms.put_metric_alarm straight into the watch DB (500 per commit)."""
    db = Database(target.settings.watch_database_url, "watch")
    deployment = alarms.Deployment(region=target.settings.region)
    started = time.perf_counter()
    try:
        for offset in range(first, first + count, 500):
            with session_scope(db) as session:
                now = _now()
                for i in range(offset, min(offset + 500, first + count)):
                    config = validate_put_metric_alarm(api_alarm(prefix, i))
                    alarms.put_metric_alarm(session, deployment, target.tenant_id, config, now)
    finally:
        db.dispose()
    return time.perf_counter() - started


def wait_all_evaluated(target: Target, timeout: float = SETTLE_TIMEOUT) -> None:
    db = Database(target.settings.watch_database_url, "watch")

    def settled() -> bool:
        with session_scope(db) as session:
            return not session.scalar(
                select(func.count()).select_from(Alarm).where(Alarm.last_evaluated_at.is_(None))
            )

    try:
        wait_until(settled, timeout, "the new alarms' first evaluation")
    finally:
        db.dispose()


def run_put_describe(ours: Target, moto: Target | None, sizes: Sizes, want_describe: bool,
                     results: dict) -> None:  # fmt: skip
    n = sizes.put
    put: dict[str, Any] = {"alarms": n, "clients": CLIENTS}
    results["put"] = put
    log(f"put: {n} alarms through the API on {ours.name} (after {WARMUP} not timed)")
    put_alarms(ours, "warmup", 0, WARMUP)
    cpu = server_cpu_seconds(ours)
    put["ours_s"] = put_alarms(ours, "api", 0, n)
    put["ours_cpu_ms"] = (server_cpu_seconds(ours) - cpu) * 1000 / n
    put["ours_per_s"] = n / put["ours_s"]
    log(f"  {put['ours_per_s']:.0f} alarms/s, {put['ours_cpu_ms']:.2f} ms server CPU each")
    if moto is not None:
        log(f"put: {n} alarms through the API on moto (after {WARMUP} not timed)")
        put_alarms(moto, "warmup", 0, WARMUP)
        cpu = server_cpu_seconds(moto)
        put["moto_s"] = put_alarms(moto, "api", 0, n)
        put["moto_cpu_ms"] = (server_cpu_seconds(moto) - cpu) * 1000 / n
        put["moto_per_s"] = n / put["moto_s"]
        put["ratio"] = put["ours_per_s"] / put["moto_per_s"]
        log(f"  {put['moto_per_s']:.0f} alarms/s, {put['moto_cpu_ms']:.2f} ms server CPU each")
    log(f"put (raw client, {RAW_PROCESSES} processes x {RAW_THREADS} threads): {n} alarms on "
        f"{ours.name}")  # fmt: skip
    put["raw_ours_s"] = put_alarms_raw(ours, "raw", 0, n)
    put["raw_ours_per_s"] = n / put["raw_ours_s"]
    log(f"  {put['raw_ours_per_s']:.0f} alarms/s")
    if moto is not None:
        log(f"put (raw client): {n} alarms on moto")
        put["raw_moto_s"] = put_alarms_raw(moto, "raw", 0, n)
        put["raw_moto_per_s"] = n / put["raw_moto_s"]
        put["raw_ratio"] = put["raw_ours_per_s"] / put["raw_moto_per_s"]
        log(f"  {put['raw_moto_per_s']:.0f} alarms/s")
    # The same clients against a server that does nothing: their own ceiling here.
    null = start_null_endpoint()
    try:
        log("put: the same clients against the null endpoint (client ceiling)")
        put["ceiling_per_s"] = n / put_alarms(null, "null", 0, n)
        put["raw_ceiling_per_s"] = n / put_alarms_raw(null, "null", 0, n)
        log(f"  boto3 {put['ceiling_per_s']:.0f}/s, raw {put['raw_ceiling_per_s']:.0f}/s")
    finally:
        null.stop()
    if not want_describe:
        return
    total = sizes.describe
    extra = max(0, total - n - WARMUP - n - RAW_PROCESSES)
    describe: dict[str, Any] = {"alarms": total, "max_records": PAGE}
    results["describe"] = describe
    log(f"describe: seeding {extra} more alarms on {ours.name} through the service layer")
    describe["ours_seed"] = (f"{total - extra} created through the API (put) + {extra} with "
                             "alarms.put_metric_alarm straight into the watch DB")  # fmt: skip
    seed_service_layer(ours, "api", n, extra)
    log("  waiting for their first evaluation (so paging does not race the first pass)")
    wait_all_evaluated(ours)
    runs = []
    for _ in range(DESCRIBE_REPEAT):
        seconds, seen, calls = page_all(ours)
        if seen != total:
            raise RuntimeError(f"{ours.name}: DescribeAlarms paged {seen} alarms, expected {total}")
        runs.append(seconds)
        log(f"  {ours.name}: {seen} alarms in {calls} calls, {seconds:.2f} s")
    describe.update(ours_s=statistics.median(runs), ours_runs=runs, ours_calls=calls)
    if moto is not None:
        log(f"describe: seeding {extra} more alarms on moto through the API")
        describe["moto_seed"] = f"{total - extra} (put) + {extra} created through the API"
        put_alarms(moto, "api", n, extra)
        runs = []
        for _ in range(DESCRIBE_REPEAT):
            seconds, seen, calls = page_all(moto)
            if seen != total:
                raise RuntimeError(f"moto: DescribeAlarms returned {seen} alarms, expected {total}")
            runs.append(seconds)
            log(f"  moto: {seen} alarms in {calls} call(s), {seconds:.2f} s")
        describe.update(moto_s=statistics.median(runs), moto_runs=runs, moto_calls=calls)
        describe["ratio"] = describe["ours_s"] / describe["moto_s"]


# --- 3: evaluation throughput -------------------------------------------------------------------

STATS = ("Average", "Sum", "Minimum", "Maximum", "SampleCount",
         "Average", "Sum", "Maximum", "Minimum", "p90")  # fmt: skip
SPREAD = (-2.0, -1.0, 0.0, 1.0, 2.0)  # every datum: 5 values around the metric's level


def level(metric: int) -> float:
    return 50.0 + metric % 7


def eval_alarm(metric: int, j: int) -> dict[str, Any]:
    """Alarm j of a metric: a mix of statistics, N=1 and N=3 (M=2), half ALARM, half OK."""
    v = level(metric)
    stat = STATS[j]
    expected = {"Average": v, "Sum": 5 * v, "Minimum": v - 2, "Maximum": v + 2,
                "SampleCount": 5.0, "p90": v + 2}[stat]  # fmt: skip
    params: dict[str, Any] = {
        "AlarmName": f"eval-{metric:06d}-{j}", "Namespace": EVAL_NAMESPACE, "MetricName": "Load",
        "Dimensions": [{"Name": "Host", "Value": f"h{metric:06d}"}], "Period": 60,
        "EvaluationPeriods": 1 if j < 5 else 3,
        "Threshold": expected * (0.5 if j % 2 == 0 else 2.0),
        "ComparisonOperator": "GreaterThanThreshold",
    }  # fmt: skip
    if stat.startswith("p"):
        params["ExtendedStatistic"] = stat
    else:
        params["Statistic"] = stat
    if j >= 5:
        params["DatapointsToAlarm"] = 2
    return params


class _Collect:
    """Stands in for a Session where the service layer only calls `add`."""

    def __init__(self) -> None:
        self.added: list[Any] = []

    def add(self, item: Any) -> None:
        self.added.append(item)


def _columns(row: Any, table: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in table.columns if c.key != "id"}


def new_alarm_rows(deployment: alarms.Deployment, tenant_id: str, params: dict[str, Any],
                   now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """The alarms row and the "created" history row alarms.put_metric_alarm would insert for a
    new alarm: the same validation, the same field mapping (_metric_fields), the same history
    code (record_configuration), for a bulk Core insert."""
    config = validate_put_metric_alarm(params)
    row = {
        "tenant_id": tenant_id, "name": config.name, "alarm_type": alarms.METRIC_ALARM,
        "state_value": "INSUFFICIENT_DATA", "state_reason": alarms.INITIAL_REASON,
        "state_reason_data": None, "state_updated_at": now, "state_transitioned_at": now,
        "config_updated_at": now, "version": 1, "next_evaluation_at": now,
        "last_evaluated_at": None,
        **alarms._metric_fields(config),
    }  # fmt: skip
    collect = _Collect()
    arn = deployment.alarm_arn(tenant_id, config.name)
    alarm_history.record_configuration(collect, Alarm(**row), arn, "Create", now)  # type: ignore[arg-type]
    (item,) = collect.added
    return row, _columns(item, AlarmHistoryItem.__table__)


def check_bulk_rows_match_service() -> None:
    """In a scratch SQLite watch DB: a bulk-inserted alarm stores exactly what
    alarms.put_metric_alarm stores (every column of alarms and alarm_history, raw SQL values)."""
    with tempfile.TemporaryDirectory(prefix="heatwatch-bench-check-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'watch.db'}"
        migrate.upgrade("watch", url)
        db = Database(url, "watch")
        deployment = alarms.Deployment(region="us-east-1")
        now = _now()
        try:
            for j in range(ALARMS_PER_METRIC):
                params = eval_alarm(j, j)
                with session_scope(db) as session:
                    alarms.put_metric_alarm(session, deployment, "t", validate_put_metric_alarm(
                        {**params, "AlarmName": "service"}), now)  # fmt: skip
                    row, item = new_alarm_rows(deployment, "t", {**params, "AlarmName": "bulk"},
                                               now)  # fmt: skip
                    connection = session.connection()
                    connection.execute(Alarm.__table__.insert(), [row])
                    connection.execute(AlarmHistoryItem.__table__.insert(), [item])
                with db.engine.connect() as connection:
                    for table, key in (("alarms", "name"), ("alarm_history", "alarm_name")):
                        got = {
                            r._mapping[key]: {k: v for k, v in r._mapping.items()
                                              if k not in ("id", key)}
                            for r in connection.execute(text(f"SELECT * FROM {table}"))
                        }  # fmt: skip
                        service = json.dumps(got["service"], default=str).replace("service", "X")
                        bulk = json.dumps(got["bulk"], default=str).replace("bulk", "X")
                        if service != bulk:
                            raise RuntimeError(
                                f"bulk {table} row differs from put_metric_alarm's:\n"
                                f"  service: {service}\n  bulk:    {bulk}"
                            )
                    connection.execute(text("DELETE FROM alarm_history"))
                    connection.execute(text("DELETE FROM alarms"))
                    connection.commit()
        finally:
            db.dispose()


def datums_for(metrics: range, minutes: list[datetime]) -> Iterator[Datum]:
    for minute in minutes:
        for m in metrics:
            v = level(m)
            yield Datum(
                namespace=EVAL_NAMESPACE, metric_name="Load", dimensions=(("Host", f"h{m:06d}"),),
                timestamp=minute, unit="None", storage_resolution=60, sample_count=5.0,
                sum=5 * v, minimum=v - 2, maximum=v + 2,
                distribution=tuple((v + d, 1.0) for d in SPREAD),
            )  # fmt: skip


def write_data(db: Database, tenant_id: str, metrics: int, minutes: list[datetime]) -> int:
    """metrics.record_batch in batches of 1000 datums, as the ingest worker stores them."""
    written = 0
    batch: list[Datum] = []

    def flush() -> None:
        with session_scope(db) as session:
            metric_store.record_batch(session, tenant_id, uuid.uuid4().hex, batch)

    for datum in datums_for(range(metrics), minutes):
        batch.append(datum)
        if len(batch) == 1000:
            flush()
            written += len(batch)
            batch = []
    if batch:
        flush()
        written += len(batch)
    return written


@dataclass
class EvalContext:
    alarms: int
    metrics: int
    data_until: datetime  # newest minute with data for every metric
    seed_s: dict[str, float] = field(default_factory=dict)


def seeder(k: int, context: dict) -> Callable[[Any, Any], None]:
    """The before_start hook: alarms and data into the watch DB before any process runs."""

    def seed(settings: Any, tenant: Any) -> None:
        db = Database(settings.watch_database_url, "watch")
        deployment = alarms.Deployment(region=settings.region)
        metrics = k // ALARMS_PER_METRIC
        try:
            started = time.perf_counter()
            now = _now()
            rows: list[dict[str, Any]] = []
            items: list[dict[str, Any]] = []

            def insert() -> None:
                with session_scope(db) as session:
                    connection = session.connection()
                    connection.execute(Alarm.__table__.insert(), rows)
                    connection.execute(AlarmHistoryItem.__table__.insert(), items)

            for m in range(metrics):
                for j in range(ALARMS_PER_METRIC):
                    row, item = new_alarm_rows(deployment, tenant.tenant_id, eval_alarm(m, j), now)
                    rows.append(row)
                    items.append(item)
                if len(rows) >= 5000:
                    insert()
                    rows, items = [], []
            if rows:
                insert()
            alarms_s = time.perf_counter() - started
            log(f"  seeded {k:,} alarms (bulk insert) in {alarms_s:.1f} s")
            started = time.perf_counter()
            newest = _minute(_now())
            minutes = [newest - timedelta(minutes=i) for i in range(DATA_MINUTES, -1, -1)]
            written = write_data(db, tenant.tenant_id, metrics, minutes)
            data_s = time.perf_counter() - started
            log(f"  seeded {written:,} datums ({metrics:,} metrics x {len(minutes)} minutes, "
                f"metrics.record_batch) in {data_s:.1f} s")  # fmt: skip
            with session_scope(db) as session:  # parked until the first run makes them due
                session.execute(update(Alarm).values(next_evaluation_at=PARK))
            context["eval"] = EvalContext(alarms=k, metrics=metrics, data_until=newest,
                                          seed_s={"alarms": alarms_s, "data": data_s})  # fmt: skip
        finally:
            db.dispose()

    return seed


def watch_pool(app: Any) -> tuple[str, int, int]:
    """(node name, pool processes, prefetch count) of the watch worker."""
    stats = app.control.inspect(timeout=5).stats() or {}
    nodes = [n for n in stats if n.startswith("watch@")]
    if len(nodes) != 1:
        raise RuntimeError(f"expected one watch worker to answer inspect stats, got {nodes}")
    node = nodes[0]
    return node, len(stats[node]["pool"]["processes"]), int(stats[node]["prefetch_count"])


def _answers(app: Any) -> bool:
    try:
        watch_pool(app)
    except RuntimeError:
        return False
    return True


def wait_workers_ready(target: Target, settle: float = 5.0) -> None:
    """Until the watch worker answers, then `settle` s more: healthz only covers the APIs, and
    the workers (and flower) burn CPU while they start."""
    app = make_celery(target.settings)
    try:
        wait_until(lambda: _answers(app), 90, "the watch worker to answer inspect stats", 1.0)
    finally:
        app.close()
    time.sleep(settle)


def wait_watch_idle(app: Any, timeout: float = 120.0) -> bool:
    """Until the watch worker runs no task and holds none reserved; False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        inspect = app.control.inspect(timeout=3)
        active, reserved = inspect.active(), inspect.reserved()
        busy = [
            task
            for found in (active, reserved)
            for node, tasks in (found or {}).items()
            if node.startswith("watch@")
            for task in tasks
        ]
        if active is not None and reserved is not None and not busy:
            return True
        time.sleep(1)
    return False


def resize_watch_pool(app: Any, want: int) -> None:
    node, have, _ = watch_pool(app)
    if want < have:
        app.control.pool_shrink(have - want, destination=[node], reply=True, timeout=5)
    elif want > have:
        app.control.pool_grow(want - have, destination=[node], reply=True, timeout=5)

    def resized() -> bool:
        _, processes, prefetch = watch_pool(app)
        return processes == want and prefetch == want

    wait_until(resized, 60, f"the watch pool to have {want} processes (prefetch {want})")


_SHARD_LINE = re.compile(r'^\{.*"shard evaluated".*\}$')


def shard_summary(log_path: Path | None, offset: int) -> dict[str, int]:
    """Totals of the watch workers' "shard evaluated" log lines written since `offset`."""
    totals = {"shard_tasks": 0, "evaluated": 0, "stored": 0, "transitions": 0,
              "lost_races": 0, "failed": 0, "empty_shard_tasks": 0}  # fmt: skip
    if log_path is None or not log_path.exists():
        return totals
    with log_path.open("rb") as handle:
        handle.seek(offset)
        for raw in handle:
            line = raw.decode(errors="replace").strip()
            if not _SHARD_LINE.match(line):
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            totals["shard_tasks"] += 1
            if not record.get("evaluated"):
                totals["empty_shard_tasks"] += 1
            for key in ("evaluated", "stored", "transitions", "lost_races", "failed"):
                totals[key] += int(record.get(key) or 0)
    return totals


def count_expired(log_path: Path | None, offset: int) -> int:
    if log_path is None or not log_path.exists():
        return 0
    with log_path.open("rb") as handle:
        handle.seek(offset)
        return sum(1 for raw in handle if b"evaluate_shard" in raw and
                   (b"expired" in raw or b"Discarding revoked" in raw))  # fmt: skip


def evaluation_pass(target: Target, db: Database, app: Any, ctx: EvalContext, w: int,
                    previous_minute: datetime | None, label: str) -> dict[str, Any]:  # fmt: skip
    """Make every alarm due at once, send a tick, time until all are evaluated again."""
    # Start in a minute after the previous pass ended: every alarm's evaluation time E is new,
    # so its StateReason (which names the window) changes, as in each minute of a real cycle.
    start_at = _minute(_now()) + timedelta(minutes=1)
    if previous_minute is not None and start_at <= previous_minute + timedelta(minutes=1):
        start_at = previous_minute + timedelta(minutes=1)
    # Data for every window of this pass (written before it starts): up to DATA_AHEAD minutes
    # past its start, so that a pass running over several minutes never runs out of data (an
    # alarm that lost its data would leave ALARM: another workload than the one measured).
    wanted = start_at + timedelta(minutes=DATA_AHEAD)
    if wanted > ctx.data_until:
        minutes = []
        minute = ctx.data_until + timedelta(minutes=1)
        while minute <= wanted:
            minutes.append(minute)
            minute += timedelta(minutes=1)
        write_data(db, target.tenant_id, ctx.metrics, minutes)
        ctx.data_until = wanted
    begin = start_at + timedelta(seconds=2)  # just after beat's tick at :01.5
    pause = (begin - _now()).total_seconds()
    if pause > 0:
        log(f"    waiting {pause:.0f} s for the next minute")
        time.sleep(pause)
    log_offset = target.log_path.stat().st_size if target.log_path else 0
    with session_scope(db) as session:
        # The version bump (the alarms' compare-and-set token) makes any evaluation still in
        # flight from before store nothing: this pass starts clean.
        session.execute(
            update(Alarm).values(next_evaluation_at=_now(), last_evaluated_at=None, version=BUMP)
        )
    marked = _now()
    started = time.perf_counter()
    app.send_task("watch.tick", queue=WATCH_QUEUE)
    last_report = started
    while True:
        with session_scope(db) as session:
            left = session.scalar(
                select(func.count()).select_from(Alarm).where(Alarm.last_evaluated_at.is_(None))
            )
        now = time.perf_counter()
        if not left:
            break
        if now - started > RUN_TIMEOUT:
            raise TimeoutError(f"{label}: {left:,} of {ctx.alarms:,} alarms still not evaluated "
                               f"after {RUN_TIMEOUT:.0f} s")  # fmt: skip
        if now - last_report >= 15:
            log(f"    {left:,} alarms left after {now - started:.0f} s")
            last_report = now
        time.sleep(0.25)
    elapsed = time.perf_counter() - started
    ended = _now()
    # Park the alarms. Shard tasks still running (duplicates sent by later ticks) read them
    # before the park: the version bump makes their writes lose the compare-and-set instead
    # of rescheduling them. Then let those tasks finish, so nothing runs between passes.
    with session_scope(db) as session:
        session.execute(update(Alarm).values(next_evaluation_at=PARK, version=BUMP))
    drained = wait_watch_idle(app)
    with session_scope(db) as session:
        rewritten = session.scalar(
            select(func.count()).select_from(Alarm).where(Alarm.state_updated_at >= marked)
        )
        grouped = select(Alarm.state_value, func.count()).group_by(Alarm.state_value)
        states = {state: count for state, count in session.execute(grouped)}
    if not drained:
        log("    WARNING: watch tasks still running 120 s after the pass; carrying on")
    summary = shard_summary(target.log_path, log_offset)
    result = {
        "label": label, "alarms": ctx.alarms, "workers": w, "seconds": elapsed,
        "per_s": ctx.alarms / elapsed, "per_s_per_worker": ctx.alarms / elapsed / w,
        "rewritten": rewritten, "states": states,
        "expired_shard_tasks": count_expired(target.log_path, log_offset), **summary,
        "ended_minute": _minute(ended).isoformat(),
    }  # fmt: skip
    log(f"    {label}: {ctx.alarms:,} alarms in {elapsed:.1f} s = {result['per_s']:,.0f}/s "
        f"({result['per_s_per_worker']:,.0f}/s per process); rows rewritten {rewritten:,}; "
        f"states {states}; shard tasks {summary['shard_tasks']} "
        f"({summary['empty_shard_tasks']} found nothing due), lost races "
        f"{summary['lost_races']}, failed {summary['failed']}")  # fmt: skip
    return result


def run_throughput(backend: str, k: int, results: list) -> None:
    log(f"throughput: {k:,} alarms on {backend}")
    context: dict[str, Any] = {}
    # Its own log file: the shard summaries are read from it, and nothing else may write there.
    log_path = Path(tempfile.gettempdir()) / f"heatwatch-bench-alarms-{backend}-{k}-honcho.log"
    target = start_heatwatch(backend, watch_concurrency=max(POOL_SIZES), watch_shards=WATCH_SHARDS,
                             log_level="INFO", before_start=seeder(k, context),
                             log_path=log_path)  # fmt: skip
    log(f"  honcho log: {log_path}")
    app = make_celery(target.settings)
    db = Database(target.settings.watch_database_url, "watch")
    try:
        ctx: EvalContext = context["eval"]
        wait_until(lambda: _answers(app), 90, "the watch worker to answer inspect stats", 1.0)
        node, processes, prefetch = watch_pool(app)
        log(f"  {node}: {processes} processes, prefetch {prefetch}")
        first = evaluation_pass(target, db, app, ctx, processes, None,
                                f"first pass, W={processes}")  # fmt: skip
        first.update(backend=backend, kind="first")
        results.append(first)
        previous = datetime.fromisoformat(first["ended_minute"])
        for w in POOL_SIZES:
            resize_watch_pool(app, w)
            one = evaluation_pass(target, db, app, ctx, w, previous, f"W={w}")
            one.update(backend=backend, kind="steady", seed_s=ctx.seed_s)
            results.append(one)
            previous = datetime.fromisoformat(one["ended_minute"])
    finally:
        db.dispose()
        app.close()
        target.stop()


# --- 4: latency from a breaching datapoint to ALARM -------------------------------------------


@dataclass
class Probe:
    name: str
    metric: str
    period: int
    due: float  # perf_counter time to push the breaching datapoint
    pushed: float | None = None
    seen: float | None = None
    phase: float | None = None  # seconds into the period when the datapoint was accepted


def run_latency(sizes: Sizes, results: dict) -> None:
    log("latency: starting heatwatch on sqlite")
    target = start_heatwatch("sqlite")
    try:
        wait_workers_ready(target)
        cw = client(target, read_timeout=60)
        run = uuid.uuid4().hex[:6]
        namespace = f"Bench/Latency/{run}"
        probes: list[Probe] = []
        for period, count in ((10, sizes.latency10), (60, sizes.latency60)):
            for i in range(count):
                probes.append(Probe(f"lat{period}-{run}-{i:02d}", f"m{period}-{i:02d}", period, 0))
        for p in probes:
            cw.put_metric_alarm(
                AlarmName=p.name, Namespace=namespace, MetricName=p.metric, Statistic="Maximum",
                Period=p.period, EvaluationPeriods=1, Threshold=100.0,
                ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching",
            )  # fmt: skip
        now = _now()
        cw.put_metric_data(Namespace=namespace, MetricData=[
            {"MetricName": p.metric, "Timestamp": now, "Value": 1.0,
             "StorageResolution": 1 if p.period < 60 else 60}
            for p in probes
        ])  # fmt: skip
        names = [p.name for p in probes]

        def states() -> dict[str, str]:
            found: dict[str, str] = {}
            for offset in range(0, len(names), 100):
                result = cw.describe_alarms(AlarmNames=names[offset : offset + 100])
                found.update({a["AlarmName"]: a["StateValue"] for a in result["MetricAlarms"]})
            return found

        log(f"  {len(probes)} alarms created, non-breaching value pushed; waiting for OK")

        def all_ok() -> bool:
            found = states()
            return len(found) == len(names) and all(s == "OK" for s in found.values())

        wait_until(all_ok, 90, "every latency alarm to be OK")
        # The non-breaching value must have been evaluated too (OK may be notBreaching's
        # "no data" OK): wait past the window of the 60-s alarms' first minute mark.
        settle = _minute(_now()) + timedelta(seconds=63)
        time.sleep(max(0.0, (settle - _now()).total_seconds()))
        if any(s != "OK" for s in states().values()):
            raise RuntimeError(f"latency alarms left OK before any breach: {states()}")
        rng = random.Random()
        base = time.perf_counter() + 1.0
        for p in probes:
            span = sizes.span10 if p.period < 60 else sizes.span60
            p.due = base + rng.uniform(0, span)
        stop = threading.Event()
        errors: list[str] = []

        def push_all() -> None:
            pusher = client(target, read_timeout=60)
            for p in sorted(probes, key=lambda q: q.due):
                time.sleep(max(0.0, p.due - time.perf_counter()))
                if stop.is_set():
                    return
                stamp = _now()
                try:
                    pusher.put_metric_data(Namespace=namespace, MetricData=[{
                        "MetricName": p.metric, "Timestamp": stamp, "Value": 1000.0,
                        "StorageResolution": 1 if p.period < 60 else 60,
                    }])  # fmt: skip
                except Exception as exc:
                    errors.append(f"PutMetricData {p.name}: {type(exc).__name__}: {exc}")
                    continue
                p.pushed = time.perf_counter()
                p.phase = stamp.timestamp() % p.period

        pusher = threading.Thread(target=push_all, daemon=True)
        pusher.start()
        limit = {10: 60.0, 60: 150.0}
        deadline = max(p.due for p in probes) + max(limit.values()) + 10
        try:
            while time.perf_counter() < deadline:
                waiting = [p for p in probes if p.seen is None]
                if not waiting:
                    break
                if all(p.pushed is not None and time.perf_counter() - p.pushed > limit[p.period]
                       for p in waiting):  # fmt: skip
                    break
                polled = states()
                at = time.perf_counter()
                for p in waiting:
                    if polled.get(p.name) == "ALARM":
                        if p.pushed is None:
                            errors.append(f"{p.name} went to ALARM before its breaching push")
                            p.seen = float("nan")
                        else:
                            p.seen = at
                time.sleep(POLL)
        finally:
            stop.set()
            pusher.join(10)
        out: dict[str, Any] = {"poll_s": POLL, "errors": errors}
        for period in (10, 60):
            group = [p for p in probes if p.period == period]
            done = [
                p.seen - p.pushed
                for p in group
                if p.seen is not None and p.pushed is not None and p.seen == p.seen
            ]
            missing = len(group) - len(done)
            row: dict[str, Any] = {"alarms": len(group), "timeouts": missing,
                                   "latencies": [round(x, 2) for x in sorted(done)]}  # fmt: skip
            if done:
                row.update(median=statistics.median(done), p99=percentile(done, 99),
                           max=max(done), min=min(done))  # fmt: skip
            out[f"{period}s"] = row
            summary = (
                f"median {row['median']:.1f} s, p99 {row['p99']:.1f} s, max {row['max']:.1f} s"
                if done
                else "no alarm reached ALARM"
            )
            log(f"  {period}-s alarms: {summary}" + (f", {missing} timed out" if missing else ""))
        results["latency"] = out
    finally:
        target.stop()


# --- Output -------------------------------------------------------------------------------------


def table(rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                        for i, c in enumerate(row)))  # fmt: skip
        if n == 0:
            print("  ".join("-" * w for w in widths))


def report(results: dict, sizes: Sizes, args: argparse.Namespace, wall: float) -> None:
    print()
    mode = "--quick" if args.quick else "full"
    print(f"heatwatch alarm benchmark ({mode}), {wall:.0f} s wall; "
          "heatwatch = honcho on the Procfile, own Redis, loopback only")  # fmt: skip
    print(f"machine: {os.cpu_count()} CPUs; load average (1/5/15 min) at start "
          f"{' '.join(f'{x:.2f}' for x in results['loadavg_start'])}, at end "
          f"{' '.join(f'{x:.2f}' for x in results['loadavg_end'])} (other processes on the "
          "machine count too)")  # fmt: skip
    put, describe = results.get("put"), results.get("describe")
    if put:
        print()
        print(f"1. PutMetricAlarm: {put['alarms']} alarms through boto3 ({WARMUP} more before, "
              f"not timed), {CLIENTS} client threads; heatwatch on SQLite, WATCH_API_WORKERS=2, "
              "WATCH_CONCURRENCY=1")  # fmt: skip

        def rate(key: str) -> str:
            return f"{put[key]:.0f}" if key in put else "n/a"

        def ratio(key: str) -> str:
            return f"{put[key]:.2f}x" if key in put else "n/a"

        rows = [["alarms/s", "heatwatch-sqlite", "moto", "heatwatch/moto",
                 "null endpoint (client ceiling)"],
                [f"boto3, {CLIENTS} threads", rate("ours_per_s"), rate("moto_per_s"),
                 ratio("ratio"), rate("ceiling_per_s")],
                [f"raw client, {RAW_PROCESSES} processes x {RAW_THREADS} threads",
                 rate("raw_ours_per_s"), rate("raw_moto_per_s"), ratio("raw_ratio"),
                 rate("raw_ceiling_per_s")],
                ["server CPU ms per alarm (boto3 run)",
                 f"{put['ours_cpu_ms']:.2f}" if "ours_cpu_ms" in put else "n/a",
                 f"{put['moto_cpu_ms']:.2f}" if "moto_cpu_ms" in put else "n/a",
                 f"{put['ours_cpu_ms'] / put['moto_cpu_ms']:.2f}x"
                 if "moto_cpu_ms" in put else "n/a", ""]]  # fmt: skip
        table(rows)
        print("   the raw client: pre-serialised JSON bodies, botocore's SigV4 signer, requests "
              "sessions; the null endpoint (bench/null_endpoint.py) answers {} and does nothing "
              "else, so its column is the most any server could show through that client on "
              "this machine (client and server share the 2 cores); server CPU = CPU time of "
              "the system's processes (API workers, task workers, beat, Redis; moto's server) "
              "during the boto3 run, per alarm")  # fmt: skip
    if describe:
        print()
        print(f"2. DescribeAlarms paging through {describe['alarms']:,} alarms, MaxRecords={PAGE}, "
              f"median of {DESCRIBE_REPEAT}")  # fmt: skip
        print(f"   heatwatch alarms: {describe['ours_seed']}")
        if "moto_seed" in describe:
            print(f"   moto alarms: {describe['moto_seed']}; moto ignores MaxRecords/NextToken")
        rows = [["", "heatwatch-sqlite", "moto", "heatwatch/moto"],
                ["seconds (all pages)", f"{describe['ours_s']:.2f}",
                 f"{describe['moto_s']:.2f}" if "moto_s" in describe else "n/a",
                 f"{describe['ratio']:.2f}" if "ratio" in describe else "n/a"],
                ["calls", str(describe["ours_calls"]), str(describe.get("moto_calls", "n/a")), ""],
                ["runs (s)", " ".join(f"{x:.2f}" for x in describe["ours_runs"]),
                 " ".join(f"{x:.2f}" for x in describe.get("moto_runs", [])), ""]]  # fmt: skip
        table(rows)
        print("   heatwatch/moto: below 1 means heatwatch pages through them faster")
    runs = results.get("throughput") or []
    if runs:
        print()
        print(f"3. Evaluation throughput: K alarms, 10 per metric (K/10 metrics), Period 60, "
              f"statistics {'/'.join(dict.fromkeys(STATS))}, N=1 or N=3 (M=2), half ALARM half "
              f"OK; per-minute data (5 values per datum) for the last {DATA_MINUTES} minutes, "
              f"topped up before each pass through {DATA_AHEAD} minutes past its start "
              "(metrics.record_batch)")  # fmt: skip
        print("   alarms bulk-inserted into the watch DB (rows checked identical to "
              "alarms.put_metric_alarm's in a scratch DB); one `watch` worker started with "
              f"WATCH_CONCURRENCY={max(POOL_SIZES)}, resized with pool_shrink; "
              f"WATCH_SHARDS={WATCH_SHARDS}; beat running")  # fmt: skip
        print("   a pass: UPDATE alarms SET next_evaluation_at=now, last_evaluated_at=NULL just "
              "after a minute mark, send watch.tick, time until no last_evaluated_at is NULL; "
              "'first pass' = INSUFFICIENT_DATA -> OK/ALARM; alarms parked (not due) between "
              "passes")  # fmt: skip
        rows = [["backend", "K", "pass", "W", "seconds", "alarms/s", "per process",
                 "rewritten", "shard tasks (empty)", "lost races", "expired"]]  # fmt: skip
        for r in runs:
            rows.append([r["backend"], f"{r['alarms']:,}", r["kind"], str(r["workers"]),
                         f"{r['seconds']:.1f}", f"{r['per_s']:,.0f}",
                         f"{r['per_s_per_worker']:,.0f}", f"{r['rewritten']:,}",
                         f"{r['shard_tasks']} ({r['empty_shard_tasks']})",
                         str(r["lost_races"]), str(r["expired_shard_tasks"])])  # fmt: skip
        table(rows)
        print("   rewritten = alarms whose row got a state write (state or StateReason changed); "
              "the rest took the bulk reschedule")  # fmt: skip
        for backend in dict.fromkeys(r["backend"] for r in runs):
            big = [r for r in runs if r["backend"] == backend and r["kind"] == "steady"
                   and r["alarms"] >= 100_000]  # fmt: skip
            for r in sorted(big, key=lambda r: r["workers"]):
                verdict = "fits" if r["seconds"] <= 60 else "does NOT fit"
                print(f"   {backend}: {r['alarms']:,} alarms with W={r['workers']}: "
                      f"{r['seconds']:.0f} s per pass, {verdict} in one 60 s cycle")  # fmt: skip
    latency = results.get("latency")
    if latency:
        print()
        print("4. Latency from PutMetricData (breaching, Timestamp=now) returning 200 to "
              f"DescribeAlarms showing ALARM (polled every {POLL} s); Maximum > 100, "
              "EvaluationPeriods=1, TreatMissingData=notBreaching, each alarm its own metric, "
              "OK before the breach; WATCH_CONCURRENCY=1, METRICS_CONCURRENCY=2")  # fmt: skip
        rows = [["alarm kind", "alarms", "median s", "p99 s", "max s", "min s", "timeouts"]]
        for key, label in (("10s", "Period=10 (1-s data)"), ("60s", "Period=60")):
            row = latency.get(key)
            if not row:
                continue
            rows.append([label, str(row["alarms"]),
                         *(f"{row[s]:.1f}" if s in row else "n/a"
                           for s in ("median", "p99", "max", "min")),
                         str(row["timeouts"])])  # fmt: skip
        table(rows)
        for error in latency.get("errors", []):
            print(f"   ERROR: {error}")
    for section, error in results.get("errors", {}).items():
        print(f"ERROR {section}: {error}")
    print(json.dumps({"mode": "quick" if args.quick else "full", "wall_s": round(wall, 1),
                      **{k: v for k, v in results.items()}}, default=str))  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--only", default="put,describe,throughput,latency")
    parser.add_argument("--backends", default="sqlite", help="for throughput: sqlite,postgres")
    parser.add_argument("--no-moto", action="store_true")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sizes = QUICK if args.quick else FULL
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - {"put", "describe", "throughput", "latency"}
    if unknown:
        parser.error(f"unknown --only sections: {sorted(unknown)}")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    begun = time.perf_counter()
    results: dict[str, Any] = {"errors": {}, "loadavg_start": os.getloadavg()}

    def attempt(section: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception as exc:
            results["errors"][section] = f"{type(exc).__name__}: {str(exc)[:500]}"
            log(f"  {section} FAILED: {results['errors'][section]}")

    try:
        run_sections(args, sizes, only, backends, results, attempt)
    except BaseException as exc:  # SIGTERM, Ctrl-C: say so in the report, then stop
        results["errors"]["interrupted"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        results["loadavg_end"] = os.getloadavg()
        report(results, sizes, args, time.perf_counter() - begun)
    return 1 if results["errors"] else 0


Attempt = Callable[[str, Callable[[], None]], None]


def run_sections(
    args: argparse.Namespace, sizes: Sizes, only: set[str], backends: list[str], results: dict,
    attempt: Attempt,
) -> None:  # fmt: skip
    if only & {"put", "describe"}:

        def api_sections() -> None:
            moto = None if args.no_moto else start_moto()
            try:
                log("starting heatwatch on sqlite")
                ours = start_heatwatch("sqlite")
                try:
                    wait_workers_ready(ours)
                    run_put_describe(ours, moto, sizes, "describe" in only, results)
                finally:
                    ours.stop()
            finally:
                if moto is not None:
                    moto.stop()

        attempt("put/describe", api_sections)
    if "throughput" in only:
        results["throughput"] = []
        log("checking that bulk-inserted alarm rows equal put_metric_alarm's")
        attempt("throughput-check", check_bulk_rows_match_service)
        if "throughput-check" not in results["errors"]:
            for backend in backends:
                for k in sizes.throughput:
                    attempt(
                        f"throughput {backend} {k}",
                        lambda b=backend, k=k: run_throughput(b, k, results["throughput"]),
                    )
    if "latency" in only:
        attempt("latency", lambda: run_latency(sizes, results))


if __name__ == "__main__":
    sys.exit(main())
