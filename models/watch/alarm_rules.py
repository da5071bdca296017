"""Metric alarm evaluation (cloudwatch-api.md §4.5) and its StateReason texts (§4.6), pure.

The evaluator computes `E = evaluation_time(now, period)`, reads the alarm's statistic for the
windows starting at `window_starts(E, period, evaluation_range(N))` and passes them to
`evaluate`, newest first. `evaluate` returns a Decision, or None for "keep the current state".
Comparing with the stored state, storing, history and actions are the caller's business.

Decisions on points the reference leaves open:
- R = N + max(2, N // 3) (§4.5 [?]); `evaluate` treats whatever it is given as the range.
- E is `now` floored to the minute when Period >= 60 and to 10 s for any shorter period.
  Naive datetimes are taken as UTC.
- The evaluated points are always N windows:
  - the newest N when none of them is missing (also when the whole range is missing);
  - otherwise the newest N real points, if the range holds N;
  - otherwise every real point plus the newest missing windows to make N. For breaching and
    notBreaching those missing windows are the fillers. For missing and ignore they stay
    unknown.
  StateReasonData lists exactly these windows (evaluatedDatapoints, newest first). Its
  recentDatapoints are their real values and its startDate is the oldest real one among them.
- EvaluateLowSampleCountPercentile=ignore keeps the state only when a low-sample window is
  among the evaluated points. An older low-sample window in the range does not count.
- `current_state` is not consulted: no rule of §4.5 depends on it, and "keep" is None.
- The reason lists the evaluated real points that support the decision: breaching ones for
  ALARM, non-breaching ones for OK. The plain shape counts the points listed. The count shape
  ("K out of the last N datapoints") counts every supporting point, fillers included, and
  its denominator is always N.
- Fillers are mentioned (" and K missing datapoint(s) was/were treated as [...]") only when
  they support the decision: Breaching fillers for ALARM, NonBreaching fillers for OK. When
  only fillers support it, the reason is the "no datapoints were received for K periods"
  text with K = number of fillers.
- "missing" with too few points:
  - INSUFFICIENT_DATA says "Insufficient Data: K datapoints were unknown.", where K is the
    number of missing windows among the N evaluated.
  - A premature ALARM uses the usual ALARM text, even though it lists fewer than M points.
- Whole range missing:
  - INSUFFICIENT_DATA counts all R windows, as AWS's "5 datapoints were unknown" for N=3
    does.
  - Breaching and NonBreaching count N periods.
- Doubles are printed like Java's Double.toString (JDK 19+): the shortest round-trip digits,
  in plain form for 1e-3 <= |x| < 1e7 and as "d.dddE<exp>" otherwise. The same form is used
  inside the StateReasonData JSON, so 1e10 is written 1.0E10, as Jackson would write it.
- Dates are written in UTC and truncated to the millisecond.
- A criteria or window list no caller should build (unknown operator, M > N, fewer windows
  than N) raises ValueError. The API validates PutMetricAlarm long before this runs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property

OK, ALARM, INSUFFICIENT_DATA = "OK", "ALARM", "INSUFFICIENT_DATA"
TREAT_MISSING_DATA: tuple[str, ...] = ("missing", "ignore", "breaching", "notBreaching")

# ComparisonOperator -> (breach test, phrase used in StateReason). Only static thresholds:
# anomaly-band operators need the band at each timestamp, which a Window doesn't carry.
_COMPARISONS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}
COMPARISON_OPERATORS: tuple[str, ...] = tuple(_COMPARISONS)


@dataclass(frozen=True)
class Window:
    start: datetime  # aware UTC start of the window
    value: float | None  # the alarm's statistic over the window; None = missing (no samples)
    sample_count: float | None = None  # samples in the window (None when missing)
    low_sample: bool = False  # percentile statistic with too few samples for it (caller decides)


@dataclass(frozen=True)
class Criteria:
    comparison_operator: str
    threshold: float
    evaluation_periods: int  # N
    datapoints_to_alarm: int | None  # M; None = not set: M = N and the plain reason shape
    treat_missing_data: str = "missing"
    period: int = 60
    statistic: str | None = None  # a standard statistic ("Average") ...
    extended_statistic: str | None = None  # ... or a percentile-type one ("p99")
    unit: str | None = None
    evaluate_low_sample_count_percentile: str | None = None  # None/"evaluate" | "ignore"


@dataclass(frozen=True)
class Decision:
    state: str  # OK | ALARM | INSUFFICIENT_DATA
    reason: str  # StateReason text
    # StateReasonData is built only when asked for: most evaluations store nothing (same
    # state, same reason), and building the JSON is the larger part of an evaluation's cost.
    _criteria: Criteria = field(repr=False)
    _evaluated: tuple[Window, ...] = field(repr=False)
    _query_date: datetime = field(repr=False)

    @cached_property
    def reason_data(self) -> str:
        """StateReasonData JSON text."""
        return _reason_data(self._criteria, list(self._evaluated), self._query_date)


# --- Windows (§4.5) -----------------------------------------------------------------------


def evaluation_range(evaluation_periods: int) -> int:
    """R = N + max(2, N // 3): LocalStack's rule, the only one matching AWS's N=3 -> R=5."""
    return evaluation_periods + max(2, evaluation_periods // 3)


def evaluation_time(now: datetime, period: int) -> datetime:
    """E: `now` floored to the minute, or to 10 s for high-resolution periods (< 60 s),
    because those alarms are evaluated every 10 seconds."""
    now = _utc(now)
    step = 60 if period >= 60 else 10
    return now.replace(second=now.second - now.second % step, microsecond=0)


def window_starts(evaluation_time: datetime, period: int, count: int) -> list[datetime]:
    """Starts of the windows [E-kP, E-(k-1)P) for k = 1..count, newest first. They slide with
    E and are deliberately not aligned to multiples of the period (§4.5 [aws-rec])."""
    return [evaluation_time - timedelta(seconds=k * period) for k in range(1, count + 1)]


def is_breaching(value: float, comparison_operator: str, threshold: float) -> bool:
    try:
        test = _COMPARISONS[comparison_operator][0]
    except KeyError:
        raise ValueError(f"unsupported ComparisonOperator {comparison_operator!r}") from None
    return test(value, threshold)


# --- Decision (§4.5) ----------------------------------------------------------------------


def evaluate(
    criteria: Criteria, windows: Sequence[Window], current_state: str, query_date: datetime
) -> Decision | None:
    """Decide the alarm state from the R windows of the evaluation range, NEWEST FIRST.

    None means the alarm keeps its current state untouched. Otherwise the Decision is
    returned even when its state equals `current_state`, because the reason or its data may
    have changed and the caller decides what to store."""
    _check(criteria, windows)
    chosen = _evaluated_indexes(windows, criteria.evaluation_periods)
    evaluated = [windows[i] for i in chosen]
    if criteria.evaluate_low_sample_count_percentile == "ignore" and any(
        w.low_sample for w in evaluated if w.value is not None
    ):
        return None
    outcome = _decide(criteria, windows, chosen)
    if outcome is None:
        return None
    state, reason = outcome
    return Decision(state, reason, criteria, tuple(evaluated), query_date)


def _check(criteria: Criteria, windows: Sequence[Window]) -> None:
    n, m = criteria.evaluation_periods, criteria.datapoints_to_alarm
    if n < 1:
        raise ValueError(f"EvaluationPeriods must be >= 1, got {n}")
    if m is not None and not 1 <= m <= n:
        raise ValueError(f"DatapointsToAlarm must be between 1 and {n}, got {m}")
    if criteria.treat_missing_data not in TREAT_MISSING_DATA:
        raise ValueError(f"unsupported TreatMissingData {criteria.treat_missing_data!r}")
    if criteria.comparison_operator not in _COMPARISONS:
        raise ValueError(f"unsupported ComparisonOperator {criteria.comparison_operator!r}")
    if len(windows) < n:
        raise ValueError(f"{len(windows)} windows given for {n} evaluation periods")


def _evaluated_indexes(windows: Sequence[Window], n: int) -> list[int]:
    """Positions (0 = newest) of the N windows the decision looks at; see the module notes."""
    present = [i for i, w in enumerate(windows) if w.value is not None]
    absent = [i for i, w in enumerate(windows) if w.value is None]
    if not present or all(windows[i].value is not None for i in range(n)):
        return list(range(n))
    if len(present) >= n:
        return present[:n]
    return sorted(present + absent[: n - len(present)])


def _decide(
    criteria: Criteria, windows: Sequence[Window], chosen: list[int]
) -> tuple[str, str] | None:
    n = criteria.evaluation_periods
    m = criteria.datapoints_to_alarm or n
    mode = criteria.treat_missing_data
    real = [i for i in chosen if windows[i].value is not None]
    unknown = len(chosen) - len(real)
    if not real:
        return _whole_range_missing(mode, n, len(windows))
    breaching = [i for i in real if _breaches(criteria, windows[i])]
    fine = [i for i in real if i not in breaching]

    def supported(state: str, filled: int = 0) -> tuple[str, str]:
        points = breaching if state == ALARM else fine
        return state, _threshold_reason(criteria, state, [windows[i] for i in points], filled)

    if not unknown:
        return supported(ALARM if len(breaching) >= m else OK)
    if mode in ("breaching", "notBreaching"):
        fill_breaching = mode == "breaching"
        state = ALARM if len(breaching) + (unknown if fill_breaching else 0) >= m else OK
        return supported(state, unknown if fill_breaching == (state == ALARM) else 0)
    if len(breaching) >= m:
        return supported(ALARM)
    # "Premature alarm": with no fine point, a breach that is already M windows old alarms and
    # a fresher one waits. Only this reproduces AWS's rows `- - X - -` (M=3, ALARM),
    # `- - - - X` (M=3, INSUFFICIENT_DATA) and `- - - X -` (M=2, ALARM).
    if mode == "missing" and not fine and breaching[-1] + 1 >= m:
        return supported(ALARM)
    if fine:
        return supported(OK)
    if mode == "missing":
        return INSUFFICIENT_DATA, _unknown_reason(unknown)
    return None


def _breaches(criteria: Criteria, window: Window) -> bool:
    return is_breaching(_value(window), criteria.comparison_operator, criteria.threshold)


def _value(window: Window) -> float:
    """The value of a window already known to be real (narrows the Optional for the checker)."""
    if window.value is None:
        raise ValueError(f"window {window.start} is missing")
    return float(window.value)


def _whole_range_missing(mode: str, n: int, r: int) -> tuple[str, str] | None:
    if mode == "missing":
        return INSUFFICIENT_DATA, _unknown_reason(r)
    if mode == "breaching":
        return ALARM, _no_datapoints_reason(n, ALARM)
    if mode == "notBreaching":
        return OK, _no_datapoints_reason(n, OK)
    return None  # ignore


# --- StateReason (§4.6) -------------------------------------------------------------------


def _threshold_reason(criteria: Criteria, state: str, supporting: list[Window], filled: int) -> str:
    """`supporting`: the real points backing `state`, newest first; `filled`: how many
    fillers back it too."""
    if not supporting:
        return _no_datapoints_reason(filled, state)
    alarm = state == ALARM
    listed = ", ".join(f"{java_double(_value(w))} ({_reason_time(w.start)})" for w in supporting)
    m = criteria.datapoints_to_alarm
    if m is None:
        count = len(supporting)
        head = _counted(count, "datapoint")
    else:
        count = len(supporting) + filled
        head = f"{count} out of the last {criteria.evaluation_periods} datapoints"
    phrase = ("" if alarm else "not ") + _COMPARISONS[criteria.comparison_operator][1]
    text = (
        f"Threshold Crossed: {head} [{listed}] {_was(count)} {phrase} the threshold "
        f"({java_double(criteria.threshold)})"
    )
    if m is not None:
        minimum = m if alarm else criteria.evaluation_periods - m + 1
        transition = "OK -> ALARM" if alarm else "ALARM -> OK"
        text += f" (minimum {_counted(minimum, 'datapoint')} for {transition} transition)"
    if filled:
        text += f" and {_treated(filled, state)}"
    return text + "."


def _no_datapoints_reason(periods: int, state: str) -> str:
    return (
        f"Threshold Crossed: no datapoints were received for {_counted(periods, 'period')} "
        f"and {_treated(periods, state)}."
    )


def _treated(count: int, state: str) -> str:
    label = "Breaching" if state == ALARM else "NonBreaching"
    return f"{_counted(count, 'missing datapoint')} {_was(count)} treated as [{label}]"


def _unknown_reason(count: int) -> str:
    return f"Insufficient Data: {_counted(count, 'datapoint')} {_was(count)} unknown."


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _was(count: int) -> str:
    return "was" if count == 1 else "were"


def java_double(x: float) -> str:
    """`x` as Java's Double.toString writes it (21.5, 1.0, 1.0E10, 1.0E-4)."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    sign = "-" if x < 0 else ""
    digits, exponent = _shortest_digits(abs(x))
    if -3 <= exponent < 7:  # 1e-3 <= |x| < 1e7
        return sign + _plain(digits, exponent)
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exponent}"


def _shortest_digits(x: float) -> tuple[str, int]:
    """Significant digits of repr(x) (x > 0, shortest round-trip) and the decimal exponent
    of the first one: 0.0125 -> ("125", -2)."""
    mantissa, _, exponent = repr(x).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    leading_zeros = len(whole) + len(fraction) - len(digits)
    return digits.rstrip("0"), len(whole) - 1 - leading_zeros + int(exponent or 0)


def _plain(digits: str, exponent: int) -> str:
    point = exponent + 1  # digits before the decimal point
    if point <= 0:
        return "0." + "0" * -point + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits)) + ".0"
    return f"{digits[:point]}.{digits[point:]}"


# --- StateReasonData (§4.6) ---------------------------------------------------------------


def _reason_data(criteria: Criteria, evaluated: list[Window], query_date: datetime) -> str:
    """The JSON text, written directly: it is stored for every decision that changes a
    reason (each new alarm's first evaluation among them), and a generic dict-to-JSON walk
    was the larger part of deciding one. Compact JSON with floats as Java doubles (AWS's
    serializer: 1.0E10, not 1e+10); tests/unit/watch/test_reason_data_text.py checks it
    against a generic dict-to-JSON writer."""
    real = [w for w in evaluated if w.value is not None]
    parts = ['"version":"1.0"', f'"queryDate":"{_iso(query_date)}"']
    if real:
        parts.append(f'"startDate":"{_iso(real[-1].start)}"')
    if criteria.unit:
        parts.append(f'"unit":{json.dumps(criteria.unit)}')
    if criteria.statistic:
        parts.append(f'"statistic":{json.dumps(criteria.statistic)}')
    elif criteria.extended_statistic:
        parts.append(f'"extendedStatistic":{json.dumps(criteria.extended_statistic)}')
    recent = ",".join(java_double(_value(w)) for w in reversed(real))
    entries = ",".join(_evaluated_entry(w) for w in evaluated)
    parts += [
        f'"period":{int(criteria.period)}',
        f'"recentDatapoints":[{recent}]',
        f'"threshold":{java_double(criteria.threshold)}',
        f'"evaluatedDatapoints":[{entries}]',
    ]
    return "{" + ",".join(parts) + "}"


def _evaluated_entry(window: Window) -> str:
    entry = f'{{"timestamp":"{_iso(window.start)}"'
    if window.value is None:
        return entry + "}"
    if window.sample_count is not None:
        entry += f',"sampleCount":{java_double(window.sample_count)}'
    return entry + f',"value":{java_double(window.value)}}}'


# --- Dates --------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _reason_time(moment: datetime) -> str:
    return f"{_utc(moment):%d/%m/%y %H:%M:%S}"


def _iso(moment: datetime) -> str:
    """yyyy-MM-dd'T'HH:mm:ss.SSS+0000, truncated to the millisecond as Java's Date is."""
    moment = _utc(moment)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}+0000"
