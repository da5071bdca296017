from celery import Celery

from tasks import routing
from tasks.factory import TASK_MODULES, make_celery
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
    assert schedule["schedule"] == 10.0
    assert routing.queue_for("watch.tick") == "watch"
    assert routing.queue_for("unknown.task") is None
