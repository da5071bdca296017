"""`python -m bench.stacks [--quick] [--stacks N] [--engine-concurrency C] [--backend sqlite]`

The orchestration engine pool's benchmark. A benchmark that prints numbers, not a test.

Starts heatwatch (honcho on the real Procfile, its own Redis, free loopback ports;
bench/systems.py) with ENGINE_CONCURRENCY=C (default 2) and INFO logs, then:

1. baseline: one stack alone, created and deleted, for the unloaded creation time;
2. create: N stacks (default 100, --quick 20) of the same 10-resource template, created
   concurrently through python-heatclient (8 client threads), polled with stacks.list()
   until every one is CREATE_COMPLETE (any CREATE_FAILED ends the run with its reason);
3. delete: all N deleted concurrently, polled until every one is DELETE_COMPLETE and every
   local instance is DELETED (its process tree gone).

The template: 2 local AWS::EC2::Instance (one runs `sleep 300`, the other first signals a
WaitConditionHandle with curl), a WaitConditionHandle and a WaitCondition (Timeout 120) and 6
OS::Heat::None in chains and fan-out/fan-in, so a stack has 5 dependency levels.

Numbers: wall time to all COMPLETE, per-stack time (p50/p99/max, from just before the create
or delete call to the first poll that shows the stack COMPLETE; polls every 0.5 s), engine
steps (`stacks.run_operation` tasks from the workers' "task finished" log lines, and the
claimed steps in stack_operations.steps) and engine utilisation = the engine tasks' run time
(their "task finished" duration_ms, clipped to the phase) / (wall time x C).
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from heatclient import client as heat_client

from bench.run import percentile
from bench.systems import Target, start_heatwatch

CLIENTS = 8  # heatclient threads sending create/delete calls
POLL = 0.5  # seconds between stacks.list() polls
FULL_STACKS = 100
QUICK_STACKS = 20
INSTANCES_PER_STACK = 2
STEP_TASK = "stacks.run_operation"

_SIGNAL_BODY = '{"Status":"SUCCESS","Reason":"ok","UniqueId":"1","Data":"x"}'

# 10 resources, 5 levels: L0 Base, Handle; L1 FanA, FanB, Signaller (refs Handle);
# L2 Worker, Join, Wait (after Signaller); L3 Tail1 (after Join, Wait, Worker); L4 Tail2.
TEMPLATE: dict[str, Any] = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Description": "bench.stacks: 10 resources, 2 local instances, a signalled wait condition",
    "Resources": {
        "Base": {"Type": "OS::Heat::None", "Properties": {"level": 0}},
        "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
        "FanA": {"Type": "OS::Heat::None", "DependsOn": "Base",
                 "Properties": {"after": {"Ref": "Base"}}},
        "FanB": {"Type": "OS::Heat::None", "DependsOn": "Base",
                 "Properties": {"after": {"Ref": "Base"}}},
        "Signaller": {
            "Type": "AWS::EC2::Instance",
            "Properties": {
                "ImageId": "local",
                "InstanceType": "m1.small",
                # The handle may be briefly unknown to the API: retry until a 200.
                "UserData": {"Fn::Base64": {"Fn::Join": ["", [
                    "#!/bin/sh\n",
                    "i=0\n",
                    "while [ $i -lt 30 ]; do\n",
                    "  code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT",
                    " -H 'Content-Type: application/json' --data-binary '", _SIGNAL_BODY, "' '",
                    {"Ref": "Handle"}, "')\n",
                    "  echo \"signal attempt $i: HTTP $code\"\n",
                    "  [ \"$code\" = 200 ] && break\n",
                    "  i=$((i+1))\n",
                    "  sleep 1\n",
                    "done\n",
                    "sleep 300\n",
                ]]}},
            },
        },
        "Worker": {
            "Type": "AWS::EC2::Instance",
            "DependsOn": "FanA",
            "Properties": {"ImageId": "local", "InstanceType": "m1.small",
                           "UserData": {"Fn::Base64": "#!/bin/sh\nsleep 300\n"}},
        },
        "Wait": {
            "Type": "AWS::CloudFormation::WaitCondition",
            "DependsOn": "Signaller",
            "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": 120},
        },
        "Join": {"Type": "OS::Heat::None", "DependsOn": ["FanA", "FanB"]},
        "Tail1": {"Type": "OS::Heat::None", "DependsOn": ["Join", "Wait", "Worker"]},
        "Tail2": {"Type": "OS::Heat::None", "DependsOn": "Tail1",
                  "Properties": {"after": {"Ref": "Tail1"}}},
    },
}  # fmt: skip
LEVELS = 5


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class Heat:
    """One heatclient per thread (their HTTP sessions are not shared)."""

    def __init__(self, target: Target) -> None:
        self.endpoint = f"{target.heat_url}/v1/{target.tenant_id}"
        self.token = target.auth_token
        self.local = threading.local()

    @property
    def client(self):  # type: ignore[no-untyped-def]
        if not hasattr(self.local, "client"):
            self.local.client = heat_client.Client("1", endpoint=self.endpoint, token=self.token)
        return self.local.client


class StackFailed(RuntimeError):
    pass


@dataclass
class Phase:
    """One create or delete round over a set of stacks."""

    name: str
    started: float = 0.0  # time.time() just before the first call
    calls_done: float = 0.0  # every create/delete call has returned
    ended: float = 0.0  # every stack seen COMPLETE
    call_seconds: list[float] = field(default_factory=list)
    per_stack: list[float] = field(default_factory=list)  # call start -> seen COMPLETE

    @property
    def wall(self) -> float:
        return self.ended - self.started


def _failure_detail(heat: Heat, stack_id: str) -> str:
    try:
        failed = [
            f"{r.resource_name} ({r.resource_type}): {r.resource_status}: "
            f"{r.resource_status_reason}"
            for r in heat.client.resources.list(stack_id)
            if r.resource_status.endswith("FAILED")
        ]
    except Exception as exc:
        return f"(resources not readable: {type(exc).__name__}: {exc})"
    return "; ".join(failed) or "(no failed resource)"


def run_phase(
    heat: Heat,
    phase: Phase,
    items: list[str],
    call: Callable[[str], str],
    action: str,
    timeout: float,
) -> dict[str, str]:
    """Call `call(item)` (returns a stack id) for every item on CLIENTS threads while the main
    thread polls stacks.list() until every stack shows `{action}_COMPLETE`; name -> id."""
    ids: dict[str, str] = {}
    started_at: dict[str, float] = {}
    errors: list[str] = []
    lock = threading.Lock()

    def one(item: str) -> None:
        t0 = time.time()
        with lock:
            started_at[item] = t0
        try:
            stack_id = call(item)
        except Exception as exc:
            with lock:
                errors.append(f"{action} {item}: {type(exc).__name__}: {str(exc)[:300]}")
            return
        t1 = time.time()
        with lock:
            ids[item] = stack_id
            phase.call_seconds.append(t1 - t0)

    seen: dict[str, float] = {}
    phase.started = time.time()
    pool = ThreadPoolExecutor(CLIENTS)
    futures = [pool.submit(one, item) for item in items]
    deadline = time.time() + timeout
    try:
        while True:
            if phase.calls_done == 0.0 and all(f.done() for f in futures):
                phase.calls_done = time.time()
            if errors:
                raise StackFailed(errors[0] + (f" (and {len(errors) - 1} more)"
                                               if len(errors) > 1 else ""))  # fmt: skip
            listed = list(heat.client.stacks.list(show_deleted=action == "DELETE"))
            now = time.time()
            by_name = {s.stack_name: s for s in listed if s.stack_name in items}
            if action == "DELETE":
                # A deleted stack's name may be reused by the baseline's: match by id.
                by_name = {}
                wanted_ids = {v: k for k, v in ids.items()}
                for s in listed:
                    if s.id in wanted_ids:
                        by_name[wanted_ids[s.id]] = s
            for name, stack in by_name.items():
                status = stack.stack_status
                if status == f"{action}_COMPLETE" and name not in seen and name in ids:
                    seen[name] = now
                elif status.endswith("FAILED") or (action == "CREATE" and
                                                    status.startswith("ROLLBACK")):  # fmt: skip
                    detail = _failure_detail(heat, stack.id)
                    raise StackFailed(f"stack {name} ({stack.id}) is {status}: "
                                      f"{stack.stack_status_reason}; {detail}")  # fmt: skip
            if len(seen) == len(items):
                break
            if now > deadline:
                pending = Counter(s.stack_status for n, s in by_name.items() if n not in seen)
                raise TimeoutError(f"{action}: {len(seen)} of {len(items)} COMPLETE after "
                                   f"{timeout:.0f} s; the others: {dict(pending)}")  # fmt: skip
            time.sleep(POLL)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    phase.ended = max(seen.values())
    if phase.calls_done == 0.0:
        phase.calls_done = time.time()
    phase.per_stack = [seen[name] - started_at[name] for name in items]
    return ids


# -- the engine's own records ------------------------------------------------------------------


@dataclass
class TaskRun:
    name: str
    finished: float  # epoch seconds
    duration: float  # seconds
    state: str
    task_id: str = ""
    due: float | None = None  # its ETA (a countdown step) or, without one, when it was received

    @property
    def lag(self) -> float | None:
        """Seconds from due to started: how long a step waited for a free engine process."""
        return None if self.due is None else self.finished - self.duration - self.due


def read_task_runs(log_path: Path) -> tuple[list[TaskRun], Counter, list[str]]:
    """Every "task finished" line of an engine task (stacks.*, the engine queue's), plus a count
    of WARNING/ERROR lines by (level, logger, message) and the first few unparsed tracebacks."""
    runs: list[TaskRun] = []
    problems: Counter = Counter()
    tracebacks: list[str] = []
    due: dict[str, float] = {}
    for line in log_path.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            if "Traceback" in line or "Error" in line:
                problems[("raw", "-", line.strip()[:160])] += 1
                if len(tracebacks) < 5:
                    tracebacks.append(line.strip()[:300])
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        level = record.get("level", "")
        if level in ("WARNING", "ERROR", "CRITICAL"):
            problems[(level, record.get("logger", ""), str(record.get("message", ""))[:160])] += 1
        data = record.get("data")
        if record.get("logger") == "celery.worker.strategy" and isinstance(data, dict):
            if str(data.get("name", "")).startswith("stacks."):
                eta = data.get("eta")
                due[str(data.get("id"))] = (
                    datetime.fromisoformat(eta).timestamp() if eta else _ts(record["ts"])
                )
            continue
        if record.get("message") != "task finished":
            continue
        name = str(record.get("task_name", ""))
        if not name.startswith("stacks."):
            continue
        duration = record.get("duration_ms")
        if duration is None:
            continue
        task_id = str(record.get("task_id", ""))
        runs.append(TaskRun(name, _ts(record["ts"]), float(duration) / 1000,
                            str(record.get("state")), task_id))  # fmt: skip
    for run in runs:
        run.due = due.get(run.task_id)
    return runs, problems, tracebacks


def _ts(value: str) -> float:
    """A log line's `ts` (logging's asctime, local time) as epoch seconds."""
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def busy_in(runs: list[TaskRun], start: float, end: float) -> tuple[float, Counter]:
    """Seconds of engine task run time inside [start, end] (clipped); tasks by name that
    finished in it."""
    busy = 0.0
    names: Counter = Counter()
    for run in runs:
        began = run.finished - run.duration
        overlap = min(end, run.finished) - max(start, began)
        if overlap > 0:
            busy += overlap
        if start <= run.finished <= end + 0.05:
            names[run.name] += 1
    return busy, names


def claimed_steps(target: Target, stack_ids: list[str]) -> dict[str, tuple[int, int, int]]:
    """action -> (operations, claimed steps in total, max steps of one) for these stacks."""
    engine = sa.create_engine(target.settings.orchestration_database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT action, COUNT(*), SUM(steps), MAX(steps) FROM stack_operations "
                    "WHERE stack_id IN :ids GROUP BY action"
                ).bindparams(sa.bindparam("ids", expanding=True)),
                {"ids": stack_ids},
            ).all()
    finally:
        engine.dispose()
    return {row[0]: (int(row[1]), int(row[2] or 0), int(row[3] or 0)) for row in rows}


# -- local instances ---------------------------------------------------------------------------


def instance_states(target: Target) -> Counter:
    from models.orchestration.compute.local import LocalComputeDriver

    base = Path(target.settings.data_dir) / "instances"
    driver = LocalComputeDriver(base)
    states: Counter = Counter()
    if base.is_dir():
        for control in base.iterdir():
            if (control / "state.json").exists():
                states[driver.status(control.name).state] += 1
    return states


def kill_leftover_instances(data_dir: Path) -> int:
    """Delete (SIGTERM, then SIGKILL, the process tree of) every instance not yet deleted."""
    from models.orchestration.compute.local import LocalComputeDriver

    base = data_dir / "instances"
    if not base.is_dir():
        return 0
    driver = LocalComputeDriver(base)
    killed = 0
    for control in base.iterdir():
        if not (control / "state.json").exists():
            continue
        if driver.status(control.name).state != "DELETED":
            try:
                driver.delete(control.name)
                killed += 1
            except Exception as exc:
                log(f"  [could not delete instance {control.name}: {exc}]")
    return killed


# -- the run -----------------------------------------------------------------------------------


def create_call(heat: Heat) -> Callable[[str], str]:
    def create(name: str) -> str:
        created = heat.client.stacks.create(
            stack_name=name, template=TEMPLATE, parameters={}, disable_rollback=True
        )
        return str(created["stack"]["id"])

    return create


def delete_call(heat: Heat, ids: dict[str, str]) -> Callable[[str], str]:
    def delete(name: str) -> str:
        heat.client.stacks.delete(ids[name])
        return ids[name]

    return delete


def wait_instances_gone(target: Target, timeout: float = 60.0) -> tuple[float, Counter]:
    deadline = time.time() + timeout
    while True:
        states = instance_states(target)
        if set(states) <= {"DELETED"} or time.time() > deadline:
            return time.time(), states
        time.sleep(0.2)


def fmt_s(values: list[float]) -> str:
    return (f"p50 {statistics.median(values):.1f} s, p99 {percentile(values, 99):.1f} s, "
            f"max {max(values):.1f} s")  # fmt: skip


def report_phase(
    phase: Phase, runs: list[TaskRun], concurrency: int, stacks: int
) -> dict[str, Any]:
    busy, names = busy_in(runs, phase.started, phase.ended)
    steps = names.get(STEP_TASK, 0)
    window = (phase.started, phase.ended + 0.05)
    steps_in = [r for r in runs if r.name == STEP_TASK and window[0] <= r.finished <= window[1]]
    step_ms = [r.duration * 1000 for r in steps_in] or [0.0]
    lags = [max(0.0, r.lag) * 1000 for r in steps_in if r.lag is not None] or [0.0]
    return {
        "wall_s": round(phase.wall, 2),
        "calls_s": round(phase.calls_done - phase.started, 2),
        "call_p50_ms": round(statistics.median(phase.call_seconds) * 1000, 1),
        "call_max_ms": round(max(phase.call_seconds) * 1000, 1),
        "stack_p50_s": round(statistics.median(phase.per_stack), 2),
        "stack_p99_s": round(percentile(phase.per_stack, 99), 2),
        "stack_max_s": round(max(phase.per_stack), 2),
        "stacks_per_s": round(stacks / phase.wall, 2),
        "step_tasks": steps,
        "steps_per_s": round(steps / phase.wall, 1),
        "engine_tasks": dict(names),
        "engine_busy_s": round(busy, 1),
        "utilisation": round(busy / (phase.wall * concurrency), 3),
        "step_ms_p50": round(percentile(step_ms, 50), 1),
        "step_ms_p99": round(percentile(step_ms, 99), 1),
        "lag_ms_p50": round(percentile(lags, 50), 1),
        "lag_ms_p99": round(percentile(lags, 99), 1),
        "lag_ms_max": round(max(lags), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_STACKS} stacks")
    parser.add_argument("--stacks", type=int, default=None, help=f"default {FULL_STACKS}")
    parser.add_argument("--engine-concurrency", type=int, default=2)
    parser.add_argument("--backend", default="sqlite", choices=("sqlite", "postgres"))
    parser.add_argument("--no-baseline", action="store_true", help="skip the one-stack run")
    args = parser.parse_args(argv)
    # SIGTERM (timeout, Ctrl-C from make) unwinds through the finally blocks that stop processes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    count = args.stacks or (QUICK_STACKS if args.quick else FULL_STACKS)
    concurrency = args.engine_concurrency
    run_id = uuid.uuid4().hex[:6]
    log_path = Path(tempfile.gettempdir()) / f"heatwatch-bench-stacks-{run_id}-honcho.log"
    begun = time.time()

    log(f"starting heatwatch on {args.backend} with ENGINE_CONCURRENCY={concurrency} "
        f"(log: {log_path})")  # fmt: skip
    target = start_heatwatch(
        args.backend, log_level="INFO", engine_concurrency=concurrency, log_path=log_path
    )
    data_dir = Path(target.settings.data_dir)
    leftovers: list[int] = []
    # Runs after honcho (so no engine boots another instance) and before the data dir goes.
    target._cleanups.insert(1, lambda: leftovers.append(kill_leftover_instances(data_dir)))
    heat = Heat(target)
    created: dict[str, str] = {}
    deleted = False
    results: dict[str, Any] = {}
    error: str | None = None
    try:
        if not args.no_baseline:
            log("baseline: one stack alone")
            base = Phase("baseline")
            ids = run_phase(heat, base, [f"base-{run_id}"], create_call(heat), "CREATE", 120)
            created.update(ids)
            results["baseline_s"] = round(base.per_stack[0], 2)
            del_base = Phase("baseline-delete")
            run_phase(heat, del_base, list(ids), delete_call(heat, ids), "DELETE", 120)
            for name in ids:
                created.pop(name)
            results["baseline_delete_s"] = round(del_base.per_stack[0], 2)
            log(f"  created in {base.per_stack[0]:.1f} s, deleted in {del_base.per_stack[0]:.1f} s")
            time.sleep(2)  # let the engine go idle before the measured phase

        names = [f"bench-{run_id}-{i:03d}" for i in range(count)]
        log(f"creating {count} stacks ({count * 10} resources, {count * 2} local instances)")
        create = Phase("create")
        try:
            ids = run_phase(heat, create, names, create_call(heat), "CREATE",
                            timeout=max(300.0, count * 6.0))  # fmt: skip
        finally:
            # Whatever was created (even on failure) is deleted below.
            try:
                for stack in heat.client.stacks.list():
                    if stack.stack_name in names:
                        created[stack.stack_name] = stack.id
            except Exception as exc:
                log(f"  [cannot list stacks: {type(exc).__name__}: {exc}]")
        log(f"  all CREATE_COMPLETE in {create.wall:.1f} s")
        results["instances_after_create"] = dict(instance_states(target))

        log(f"deleting {count} stacks")
        delete = Phase("delete")
        run_phase(heat, delete, names, delete_call(heat, ids), "DELETE",
                  timeout=max(300.0, count * 6.0))  # fmt: skip
        gone_at, states = wait_instances_gone(target)
        deleted = True
        created.clear()
        results["instances_after_delete"] = dict(states)
        results["instances_gone_s"] = round(gone_at - delete.started, 2)
        log(f"  all DELETE_COMPLETE in {delete.wall:.1f} s")
        time.sleep(1.5)  # the last "task finished" lines reach the log
        runs, problems, tracebacks = read_task_runs(log_path)
        results["create"] = report_phase(create, runs, concurrency, count)
        results["delete"] = report_phase(delete, runs, concurrency, count)
        results["db_steps"] = claimed_steps(target, list(ids.values()))
        results["problems"] = problems
        results["tracebacks"] = tracebacks
    except (StackFailed, TimeoutError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        log(f"FAILED: {error}")
    finally:
        if created and not deleted:
            log(f"cleaning up: deleting {len(created)} stacks")
            # A stack still in progress refuses (409): retry until it ends, for up to 120 s.
            pending = set(created.values())
            deadline = time.time() + 120
            while time.time() < deadline:
                try:
                    live = {s.id for s in heat.client.stacks.list()} & set(created.values())
                except Exception as exc:
                    log(f"  [cannot list stacks: {type(exc).__name__}: {str(exc)[:120]}]")
                    break
                if not live:
                    break
                for stack_id in live & pending:
                    try:
                        heat.client.stacks.delete(stack_id)
                        pending.discard(stack_id)
                    except Exception as exc:
                        if type(exc).__name__ != "HTTPConflict":  # 409: still in progress
                            log(f"  [delete {stack_id}: {type(exc).__name__}: {str(exc)[:120]}]")
                time.sleep(1)
        target.stop()
        if leftovers and leftovers[0]:
            log(f"killed {leftovers[0]} leftover instance(s) under {data_dir}")

    print()
    print(f"heatwatch stacks benchmark ({'--quick' if args.quick else 'full'}): {count} stacks x "
          f"10 resources ({count * INSTANCES_PER_STACK} local instances), {CLIENTS} heatclient "
          f"threads, ENGINE_CONCURRENCY={concurrency}, HEAT_API_WORKERS=1, {args.backend}; "
          f"{time.time() - begun:.0f} s wall in all")  # fmt: skip
    if error:
        print(f"ERROR: {error}")
        print(f"log: {log_path}")
        return 1
    if "baseline_s" in results:
        print(f"baseline, one stack alone: CREATE_COMPLETE in {results['baseline_s']:.1f} s, "
              f"DELETE_COMPLETE in {results['baseline_delete_s']:.1f} s "
              f"({LEVELS} dependency levels; steps every 1 s)")  # fmt: skip
    c, d = results["create"], results["delete"]
    db = results["db_steps"]
    for label, r, action in (("create", c, "CREATE"), ("delete", d, "DELETE")):
        ops, total, most = db.get(action, (0, 0, 0))
        print(f"{label}: all {action}_COMPLETE in {r['wall_s']:.1f} s "
              f"({r['stacks_per_s']:.2f} stacks/s); {action.lower()} calls all returned after "
              f"{r['calls_s']:.1f} s (per call p50 {r['call_p50_ms']:.0f} ms, max "
              f"{r['call_max_ms']:.0f} ms)")  # fmt: skip
        print(f"  per stack, call to {action}_COMPLETE: p50 {r['stack_p50_s']:.1f} s, "
              f"p99 {r['stack_p99_s']:.1f} s, max {r['stack_max_s']:.1f} s")  # fmt: skip
        print(f"  engine steps: {r['step_tasks']} {STEP_TASK} tasks ({r['steps_per_s']:.1f}/s; "
              f"run time p50 {r['step_ms_p50']:.0f} ms, p99 {r['step_ms_p99']:.0f} ms); "
              f"claimed steps in stack_operations: {total} over {ops} operations "
              f"(max {most} for one stack)")  # fmt: skip
        print(f"  step start lag behind its due time (countdown ETA, or receipt): p50 "
              f"{r['lag_ms_p50']:.0f} ms, p99 {r['lag_ms_p99']:.0f} ms, max "
              f"{r['lag_ms_max']:.0f} ms")  # fmt: skip
        print(f"  engine worker utilisation: {r['utilisation'] * 100:.0f}% "
              f"({r['engine_busy_s']:.1f} s of task run time / ({r['wall_s']:.1f} s x "
              f"{concurrency} processes)); engine tasks: {r['engine_tasks']}")  # fmt: skip
    print(f"instances: after create {results['instances_after_create']}; after delete "
          f"{results['instances_after_delete']}, all gone {results['instances_gone_s']:.1f} s "
          f"after the first delete call")  # fmt: skip
    problems: Counter = results["problems"]
    if problems:
        print(f"log lines at WARNING or above during the whole run ({sum(problems.values())}):")
        for (level, logger, message), n in problems.most_common(8):
            print(f"  {n} x {level} {logger}: {message}")
    for line in results["tracebacks"]:
        print(f"  unstructured: {line}")
    print(f"log: {log_path}")
    summary = {k: v for k, v in results.items() if k not in ("problems", "tracebacks")}
    print(json.dumps({"stacks": count, "engine_concurrency": concurrency,
                      "backend": args.backend, **summary}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
