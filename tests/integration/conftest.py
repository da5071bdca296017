"""Fixtures shared by the watch app's integration tests (test_watch_rest, test_alarm_effects)."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
import redis
from flask import Flask

from config.settings import Settings
from models import migrate
from web import alarm_effects
from web.watch_app import create_watch_app

_REDIS_DBS = itertools.cycle(range(1, 16))  # db 0 is left to other tests


@pytest.fixture
def watch_settings(redis_settings: Settings, redis_url: str) -> Settings:
    """Settings on a Redis database of the test's own, emptied, so what a request queued (an
    alarm evaluation, a batch of datapoints) can be read back off the queue."""
    url = redis_url.rsplit("/", 1)[0] + f"/{next(_REDIS_DBS)}"
    with redis.Redis.from_url(url) as client:
        client.flushdb()
    # evaluate_soon remembers, per Redis URL, when this process need not ask again; the
    # database was just emptied, so an earlier test's window on this URL no longer holds.
    alarm_effects._quiet_until.pop(url, None)
    settings = replace(redis_settings, redis_url=url, broker_url=url)
    migrate.upgrade_all(settings)
    return settings


@pytest.fixture
def app(watch_settings: Settings, make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(create_watch_app, watch_settings)
