import models.orchestration.tables  # noqa: F401  (registers the tables on the metadata)
from migrations._env import run_migrations
from models.base import OrchestrationBase

run_migrations(OrchestrationBase.metadata)
