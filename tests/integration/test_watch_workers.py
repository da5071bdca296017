"""The watch pool on real Celery worker processes: exactly-once effects under concurrency,
and no lost or duplicated transition when a worker is killed mid-shard."""

from __future__ import annotations

import itertools
import signal
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import redis
from sqlalchemy import func, select

from config.settings import Settings
from models import migrate
from models.sessions import Database, session_scope
from models.watch import alarms, metrics
from models.watch.alarm_validation import validate_put_metric_alarm
from models.watch.datums import Datum, canonical_dimensions
from models.watch.tables import Alarm, AlarmAction, AlarmHistoryItem
from tasks.factory import make_celery
from tests.support import ProcessSet, settings_env, wait_for
from tests.webhooks import WebhookReceiver

TENANT = "t-watch"
_REDIS_DBS = itertools.cycle(range(8, 16))


@pytest.fixture
def watch_settings(redis_settings: Settings, redis_url: str) -> Settings:
    url = redis_url.rsplit("/", 1)[0] + f"/{next(_REDIS_DBS)}"
    with redis.Redis.from_url(url) as client:
        client.flushdb()
    settings = replace(
        redis_settings, redis_url=url, broker_url=url, broker_visibility_timeout=30,
        watch_shards=8,
    )  # fmt: skip
    migrate.upgrade_all(settings)
    return settings


@pytest.fixture
def watch_db(watch_settings: Settings) -> Iterator[Database]:
    database = Database(watch_settings.watch_database_url, "watch")
    yield database
    database.dispose()


@pytest.fixture
def workers(watch_settings: Settings, tmp_path) -> Iterator[ProcessSet]:
    processes = ProcessSet(env=settings_env(watch_settings), log_dir=tmp_path)
    yield processes
    processes.stop_all()


def seed(database: Database, count: int, actions: list[str]) -> None:
    """`count` alarms, each on its own metric with a breaching datapoint in the last closed
    minute (the current minute is not evaluated until it closes)."""
    now = datetime.now(UTC)
    sample_at = now.replace(second=0, microsecond=0) - timedelta(seconds=30)
    deployment = alarms.Deployment(region="us-east-1")
    with session_scope(database) as session:
        datums = []
        for n in range(count):
            dimensions = canonical_dimensions([("Host", f"h{n}")])
            datums.append(
                Datum("App", "CPU", dimensions, sample_at, "Percent", 60,
                      1.0, 90.0, 90.0, 90.0, ((90.0, 1.0),))
            )  # fmt: skip
            config = validate_put_metric_alarm(
                {
                    "AlarmName": f"alarm-{n:05d}", "Namespace": "App", "MetricName": "CPU",
                    "Dimensions": [{"Name": "Host", "Value": f"h{n}"}],
                    "Statistic": "Maximum", "Period": 60, "EvaluationPeriods": 1,
                    "Threshold": 50.0, "ComparisonOperator": "GreaterThanThreshold",
                    "AlarmActions": actions,
                }
            )  # fmt: skip
            alarms.put_metric_alarm(session, deployment, TENANT, config, now)
        metrics.record_batch(session, TENANT, "seed", datums)


def counts(database: Database) -> dict[str, int]:
    with session_scope(database) as session:

        def count(query):  # type: ignore[no-untyped-def]
            return int(session.scalar(query) or 0)

        return {
            "in_alarm": count(select(func.count()).where(Alarm.state_value == "ALARM")),
            "state_updates": count(
                select(func.count()).where(AlarmHistoryItem.item_type == "StateUpdate")
            ),
            "actions": count(select(func.count()).select_from(AlarmAction)),
            "actions_done": count(select(func.count()).where(AlarmAction.status == "succeeded")),
            "action_items": count(
                select(func.count()).where(AlarmHistoryItem.item_type == "Action")
            ),
        }


def test_three_workers_and_a_duplicated_tick_give_one_transition_and_one_action_each(
    watch_settings: Settings, watch_db: Database, workers: ProcessSet
) -> None:
    alarm_count = 40
    with WebhookReceiver() as receiver:
        seed(watch_db, alarm_count, [f"{receiver.url}/hook"])
        for n in range(3):
            workers.celery_worker("watch", node=f"watch{n}@%h")
        celery = make_celery(watch_settings)
        # Two ticks (as two beats by mistake would send), and every shard sent twice more
        # by hand with the same tick time: duplicates race each other on three workers.
        tick_at = datetime.now(UTC).isoformat()
        celery.send_task("watch.tick", queue="watch")
        celery.send_task("watch.tick", queue="watch")
        for shard in range(watch_settings.watch_shards):
            for _ in range(2):
                celery.send_task(
                    "watch.evaluate_shard", args=[shard, watch_settings.watch_shards, tick_at],
                    queue="watch",
                )  # fmt: skip
        wait_for(
            lambda: counts(watch_db)["actions_done"] == alarm_count,
            timeout=120, interval=0.5, what="every alarm's action to be delivered",
        )  # fmt: skip
        time.sleep(3)  # any duplicate would have arrived by now
        posts = receiver.posts("/hook")
    assert counts(watch_db) == {
        "in_alarm": alarm_count,
        "state_updates": alarm_count,
        "actions": alarm_count,
        "actions_done": alarm_count,
        "action_items": alarm_count,
    }
    per_alarm = Counter(post["body"]["alarm_name"] for post in posts)
    assert len(per_alarm) == alarm_count
    assert set(per_alarm.values()) == {1}
    # The shards really were evaluated more than once, by more than one worker.
    logs = "".join(workers.log(f"watch{n}-worker") for n in range(3))
    assert logs.count("shard evaluated") > watch_settings.watch_shards


def test_a_watch_worker_killed_mid_shard_leaves_the_work_to_the_next_tick(
    watch_settings: Settings, watch_db: Database, workers: ProcessSet
) -> None:
    settings = replace(watch_settings, watch_shards=1)  # one big shard, so it takes a while
    workers.env["WATCH_SHARDS"] = "1"
    workers.env["WATCH_SHARD_LEASE_SECONDS"] = "4"  # the killed worker's lease lapses soon
    alarm_count = 6000
    seed(watch_db, alarm_count, [])
    celery = make_celery(settings)
    workers.celery_worker("watch")
    celery.send_task("watch.tick", queue="watch")
    wait_for(
        lambda: "Task watch.evaluate_shard" in workers.log("watch-worker"),
        timeout=60, interval=0.05, what="the shard to reach the worker",
    )  # fmt: skip
    time.sleep(0.5)
    with redis.Redis.from_url(settings.redis_url) as client:
        leases = client.keys("heatwatch:watch:shard-lease:*")
    assert len(leases) == 1, "the tick holds the shard it sent until the evaluation ends"
    workers.stop("watch-worker", sig=signal.SIGKILL)
    before = counts(watch_db)
    assert before["in_alarm"] == 0, "the shard finished before the kill; enlarge it"
    assert before["state_updates"] == 0  # the killed transaction left nothing behind

    workers.celery_worker("watch")

    def tick_and_check() -> bool:
        # Ticks skip the shard while the dead worker's lease lasts; a tick after it lapses
        # finds the alarms still due and sends the shard again.
        celery.send_task("watch.tick", queue="watch")
        return counts(watch_db)["in_alarm"] == alarm_count

    wait_for(
        tick_and_check, timeout=120, interval=1.0,
        what="every alarm to reach ALARM after the restart",
    )  # fmt: skip
    celery.send_task("watch.tick", queue="watch")  # a later tick must not transition again
    time.sleep(3)
    after = counts(watch_db)
    assert after["in_alarm"] == alarm_count
    assert after["state_updates"] == alarm_count
