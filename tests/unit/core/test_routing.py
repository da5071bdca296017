import pickle
from datetime import UTC, datetime

from celery import Celery

from tasks import routing
from tasks.factory import TASK_MODULES, make_celery
from tasks.schedules import AlignedEvery
from tests.conftest import build_settings


def _registered_heatwatch_tasks(app: Celery) -> list[str]:
    app.loader.import_default_modules()
    for module in TASK_MODULES:
        __import__(module)
    app.finalize(auto=True)
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def test_every_task_has_an_explicit_route_to_one_of_the_three_queues(tmp_path) -> None:
    app = make_celery(build_settings(tmp_path))
    names = _registered_heatwatch_tasks(app)
    assert {"engine.ping", "metrics.ping", "watch.ping", "watch.tick"} <= set(names)
    for name in names:
        assert routing.queue_for(name) in routing.QUEUES, name
        route = app.amqp.router.route({}, name)
        assert route["queue"].name == routing.queue_for(name)


def test_queues_are_separate_and_beat_schedules_the_watch_tick(tmp_path) -> None:
    app = make_celery(build_settings(tmp_path, watch_tick_seconds=10.0))
    assert [q.name for q in app.conf.task_queues] == ["engine", "metrics", "watch"]
    schedule = app.conf.beat_schedule["watch-tick"]
    assert schedule["task"] == "watch.tick"
    assert isinstance(schedule["schedule"], AlignedEvery)
    assert schedule["schedule"].step == 10.0
    assert routing.queue_for("watch.tick") == "watch"
    assert routing.queue_for("unknown.task") is None


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=UTC)


def test_the_aligned_tick_is_due_just_after_each_ten_second_mark() -> None:
    now = _at("2026-11-24T10:00:23.000")
    schedule = AlignedEvery(10, offset=1.5, nowfun=lambda: now)
    # Last ran at :11.6 (after the :11.5 slot): the next slot is :21.5, which has passed.
    due, wait = schedule.is_due(_at("2026-11-24T10:00:11.600"))
    assert due
    assert wait == 8.5  # until :31.5
    # Already ran in this slot: not due, and beat sleeps until the next slot.
    due, wait = schedule.is_due(_at("2026-11-24T10:00:21.600"))
    assert not due
    assert wait == 8.5


def test_the_aligned_schedule_survives_beats_shelve() -> None:
    copy = pickle.loads(pickle.dumps(AlignedEvery(10, offset=1.5)))
    assert (copy.step, copy.offset) == (10.0, 1.5)
