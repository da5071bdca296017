"""What a committed alarm write asks of the watch workers, for both frontends that write alarms.

The CloudWatch handlers (web/aws/alarms.py) and the watch REST API (web/api/watch/alarms.py)
change alarms through the same services; once the change is committed they send the same
tasks, through these two functions, so neither frontend has its own copy of the rules below.

- `evaluate_soon()`: after PutMetricAlarm / PutCompositeAlarm (or a REST create, replace or
  patch), ask for an immediate evaluation of new and changed alarms, debounced.
- `send_effects(action_ids, parent_ids)`: after SetAlarmState, deliver the transition's
  actions (outbox rows) and re-evaluate the composite alarms that name the alarm.

Only after the commit, so a worker never gets an id for a row it cannot see yet. None of
these tasks stores a result, and nobody waits for one: each send says so (ignore_result),
or Celery would subscribe to the result's Redis channel, and unsubscribe later, every time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import redis

from tasks.routing import WATCH_QUEUE
from web.context import web_context

# Alarms created or changed within this window share one immediate evaluation task: one
# task per PutMetricAlarm made each put's commit contend with an evaluation's (3x slower
# on SQLite, measured), and the evaluation reads every new alarm in one pass anyway.
EVALUATION_DEBOUNCE_MS = 500
_DEBOUNCE_KEY = "heatwatch:watch:evaluate-changed"


def _send(task: str, *args: Any) -> None:
    web_context().celery.send_task(task, args=list(args), queue=WATCH_QUEUE, ignore_result=True)


def send_effects(action_ids: Sequence[int], parent_ids: Sequence[int]) -> None:
    """Send a stored transition's actions, and the re-evaluation of its parent composites."""
    for action_id in action_ids:
        _send("watch.run_action", action_id)
    if parent_ids:
        _send("watch.evaluate_alarms", sorted(set(parent_ids)))


# Within this long after this process itself sent the evaluation task, a new change needs
# no Redis round trip: that task has not started yet (its countdown is the longer
# EVALUATION_DEBOUNCE_MS), so it will see every change committed before now.
_LOCAL_WINDOW_S = EVALUATION_DEBOUNCE_MS / 1000 * 0.8
# Per Redis URL (each app of a test process has its own): the time.monotonic() before which
# this process need not ask.
_quiet_until: dict[str, float] = {}


def evaluate_soon() -> None:
    """Ask for an evaluation of new and changed alarms, at most once per window."""
    context = web_context()
    marker = context.settings.redis_url
    now = time.monotonic()
    if now < _quiet_until.get(marker, -math.inf):
        return
    try:
        with context.redis.pipeline(transaction=False) as pipe:
            pipe.set(_DEBOUNCE_KEY, "1", nx=True, px=EVALUATION_DEBOUNCE_MS)
            pipe.pttl(_DEBOUNCE_KEY)
            first, left_ms = pipe.execute()
    except redis.RedisError:
        first, left_ms = True, -1  # without the marker, ask anyway: an extra one is harmless
    if first:
        _quiet_until[marker] = now + _LOCAL_WINDOW_S
        context.celery.send_task(
            "watch.evaluate_changed", queue=WATCH_QUEUE,
            countdown=EVALUATION_DEBOUNCE_MS / 1000, ignore_result=True,
        )  # fmt: skip
    elif left_ms > 0:
        # Some process (this one, or another) set the marker and sent the task, with a
        # countdown as long as the marker lives: that task starts no sooner than the marker
        # expires, so it will see every change committed until then. Without this, every
        # request that lost the SET asked Redis again (two API workers: one of them nearly
        # always; the sender too, in the last fifth of each window).
        _quiet_until[marker] = now + left_ms / 1000
