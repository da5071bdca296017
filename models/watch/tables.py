"""Watch store tables (metrics, alarms, alarm history: issues 3 and 4)."""

from models.base import WatchBase

__all__ = ["WatchBase"]
