"""What a worker process needs besides Celery: its settings and its stores.

Stores are opened lazily and dropped after fork (`worker_process_init`), so no pooled
connection ever crosses a fork.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import redis

from config.settings import Settings
from models.sessions import Database


@dataclass
class WorkerContext:
    settings: Settings
    orchestration_db: Database = field(init=False)
    watch_db: Database = field(init=False)
    identity_db: Database = field(init=False)

    def __post_init__(self) -> None:
        self.orchestration_db = Database(self.settings.orchestration_database_url, "orchestration")
        self.watch_db = Database(self.settings.watch_database_url, "watch")
        self.identity_db = Database(self.settings.identity_database_url, "identity")

    @cached_property
    def redis(self) -> redis.Redis:
        # redis-py's pool notices a fork and reconnects in the child.
        return redis.Redis.from_url(self.settings.redis_url, socket_timeout=2)

    def dispose(self, *, after_fork: bool = False) -> None:
        for database in (self.orchestration_db, self.watch_db, self.identity_db):
            database.dispose(after_fork=after_fork)
