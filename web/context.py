"""What a frontend process holds: settings, its stores, and a Celery client to send tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import redis
from celery import Celery
from flask import Flask, current_app

from config.settings import Settings
from models.identity.crypto import SecretBox
from models.sessions import Database
from tasks.factory import make_celery


@dataclass
class WebContext:
    settings: Settings
    # Each frontend opens only the stores it owns, plus identity (read by both).
    databases: dict[str, Database]
    celery: Celery = field(init=False)
    secret_box: SecretBox = field(init=False)

    def __post_init__(self) -> None:
        self.celery = make_celery(self.settings)
        self.secret_box = SecretBox(self.settings.secret_key)

    @cached_property
    def redis(self) -> redis.Redis:
        """The Redis at REDIS_URL, for small shared markers (connections made lazily)."""
        return redis.Redis.from_url(self.settings.redis_url, socket_timeout=2)

    def dispose(self) -> None:
        for database in self.databases.values():
            database.dispose()


def install(app: Flask, context: WebContext) -> None:
    app.extensions["heatwatch"] = context


def web_context() -> WebContext:
    return current_app.extensions["heatwatch"]  # type: ignore[no-any-return]
