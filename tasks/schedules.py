"""Beat schedules aligned to the clock.

A plain `schedule(10)` fires 10 s after beat started, at an arbitrary phase. Alarm windows end
on 10-second (and minute) marks, so a tick that runs just after each mark evaluates a window
as soon as it has closed: a datapoint is judged at most one step plus `offset` after its window
ends, instead of up to two steps later.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from celery.schedules import schedstate, schedule


class AlignedEvery(schedule):
    """Due at `offset` seconds past every multiple of `seconds` since the epoch."""

    def __init__(self, seconds: float, offset: float = 0.0, **kwargs: Any) -> None:
        super().__init__(run_every=timedelta(seconds=seconds), **kwargs)
        self.step = float(seconds)
        self.offset = float(offset)

    def _last_slot(self, now: datetime) -> float:
        stamp = now.timestamp()
        return stamp - ((stamp - self.offset) % self.step)

    def is_due(self, last_run_at: datetime) -> schedstate:
        now = self.now()
        last_slot = self._last_slot(now)
        wait = last_slot + self.step - now.timestamp()
        if self.maybe_make_aware(last_run_at).timestamp() < last_slot:
            return schedstate(is_due=True, next=wait)
        return schedstate(is_due=False, next=wait)

    def __reduce__(self) -> tuple[Any, ...]:
        return self.__class__, (self.step, self.offset)

    def __repr__(self) -> str:
        return f"<aligned every {self.step:g}s +{self.offset:g}s>"
