import models.watch.tables  # noqa: F401  (registers the tables on the metadata)
from migrations._env import run_migrations
from models.base import WatchBase

run_migrations(WatchBase.metadata)
