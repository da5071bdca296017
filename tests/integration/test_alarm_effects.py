"""evaluate_soon (web/alarm_effects.py) against a real Redis: one immediate evaluation per
debounce window for all API processes, and no Redis round trip per request in any of them.

"Another process" is played by setting the marker ourselves, as that process's SET NX did.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
from flask import Flask

from config.settings import Settings
from tests.integration.test_watch_rest import queued
from web.alarm_effects import _DEBOUNCE_KEY, EVALUATION_DEBOUNCE_MS, evaluate_soon


@pytest.fixture
def client(watch_settings: Settings) -> Iterator[redis.Redis]:
    with redis.Redis.from_url(watch_settings.redis_url) as connection:
        yield connection


def evaluations(settings: Settings) -> int:
    return sum(1 for task, _ in queued(settings, "watch") if task == "watch.evaluate_changed")


def sets_sent(client: redis.Redis) -> int:
    return int(client.info("commandstats").get("cmdstat_set", {}).get("calls", 0))


def test_changes_within_a_window_share_one_evaluation(
    app: Flask, watch_settings: Settings, client: redis.Redis
) -> None:
    with app.app_context():
        evaluate_soon()
        client.config_resetstat()
        evaluate_soon()
        evaluate_soon()
    assert evaluations(watch_settings) == 1
    assert sets_sent(client) == 0  # the sender knows its own task is still pending


def test_a_process_that_finds_the_marker_leaves_the_evaluation_to_its_sender(
    app: Flask, watch_settings: Settings, client: redis.Redis
) -> None:
    client.set(_DEBOUNCE_KEY, "1", px=EVALUATION_DEBOUNCE_MS)  # another API process sent one
    with app.app_context():
        evaluate_soon()
        client.config_resetstat()
        evaluate_soon()  # while that task is pending: no round trip to learn it again
        assert sets_sent(client) == 0
        assert evaluations(watch_settings) == 0
        time.sleep(EVALUATION_DEBOUNCE_MS / 1000)  # that task has started by now
        evaluate_soon()
    assert evaluations(watch_settings) == 1


def test_a_marker_about_to_expire_is_not_relied_on_for_later_changes(
    app: Flask, watch_settings: Settings, client: redis.Redis
) -> None:
    client.set(_DEBOUNCE_KEY, "1", px=30)  # the other process's task starts in 30 ms
    with app.app_context():
        evaluate_soon()
        assert evaluations(watch_settings) == 0
        time.sleep(0.05)
        evaluate_soon()  # a change after that task started: needs an evaluation of its own
    assert evaluations(watch_settings) == 1
