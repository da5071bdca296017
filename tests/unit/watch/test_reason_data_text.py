"""StateReasonData is written as text directly (alarm_rules._reason_data, for speed); it must be
exactly what the generic writer it replaced gives: a dict of the fields in AWS's order, written
as compact JSON with floats as Java doubles. That writer stays here as the reference."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.watch.alarm_rules import (
    ALARM,
    INSUFFICIENT_DATA,
    OK,
    TREAT_MISSING_DATA,
    Criteria,
    Window,
    evaluate,
    evaluation_range,
    java_double,
)

NOW = datetime(2024, 7, 16, 13, 14, 42, 817_456, tzinfo=UTC)
E = NOW.replace(second=0, microsecond=0)


def reference_reason_data(criteria: Criteria, evaluated: list[Window], query_date: datetime) -> str:
    real = [w for w in evaluated if w.value is not None]
    data: dict[str, Any] = {"version": "1.0", "queryDate": iso(query_date)}
    if real:
        data["startDate"] = iso(real[-1].start)
    if criteria.unit:
        data["unit"] = criteria.unit
    if criteria.statistic:
        data["statistic"] = criteria.statistic
    elif criteria.extended_statistic:
        data["extendedStatistic"] = criteria.extended_statistic
    data["period"] = int(criteria.period)
    data["recentDatapoints"] = [float(w.value) for w in reversed(real)]  # type: ignore[arg-type]
    data["threshold"] = float(criteria.threshold)
    data["evaluatedDatapoints"] = [entry(w) for w in evaluated]
    return to_json(data)


def entry(window: Window) -> dict[str, Any]:
    out: dict[str, Any] = {"timestamp": iso(window.start)}
    if window.value is not None:
        if window.sample_count is not None:
            out["sampleCount"] = float(window.sample_count)
        out["value"] = float(window.value)
    return out


def to_json(obj: Any) -> str:
    if isinstance(obj, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{to_json(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, list):
        return "[" + ",".join(to_json(v) for v in obj) + "]"
    if isinstance(obj, float):
        return java_double(obj)
    return json.dumps(obj)


def iso(moment: datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}+0000"


VALUES = [0.0, -0.0, 1.0, 21.5, -3.25, 1e-4, 0.001, 1234567.0, 1e7, 1e10, -2.5e-9, 1 / 3]
STATISTICS = [
    {"statistic": "Average", "unit": None},
    {"statistic": "Sum", "unit": "Seconds"},
    {"statistic": None, "extended_statistic": "p99", "unit": "Bytes/Second"},
    {"statistic": None, "extended_statistic": "TM(10%:90%)", "unit": None},
]


def windows(pattern: str, value: float, samples: float | None) -> list[Window]:
    """'X' a real window, '-' a missing one, newest first, one minute apart."""
    return [
        Window(
            E - timedelta(minutes=k + 1), value if c == "X" else None, samples if c == "X" else None
        )
        for k, c in enumerate(pattern)
    ]


@pytest.mark.parametrize("stat", STATISTICS)
@pytest.mark.parametrize("mode", TREAT_MISSING_DATA)
def test_the_direct_text_equals_the_generic_writer(stat: dict[str, Any], mode: str) -> None:
    checked = 0
    for n, m in ((1, None), (3, None), (3, 2), (5, 5)):
        r = evaluation_range(n)
        for bits, value, samples, threshold in itertools.product(
            itertools.product("X-", repeat=r), VALUES[::3], (3, None), (VALUES[4], VALUES[8])
        ):
            criteria = Criteria(
                comparison_operator="GreaterThanThreshold", threshold=threshold,
                evaluation_periods=n, datapoints_to_alarm=m, treat_missing_data=mode,
                period=60, **stat,
            )  # fmt: skip
            decision = evaluate(criteria, windows("".join(bits), value, samples), OK, NOW)
            if decision is None:
                continue
            assert decision.state in (OK, ALARM, INSUFFICIENT_DATA)
            expected = reference_reason_data(criteria, list(decision._evaluated), NOW)
            assert decision.reason_data == expected
            checked += 1
    assert checked > 50


@pytest.mark.parametrize("value", VALUES)
def test_every_kind_of_double_is_written_the_same(value: float) -> None:
    criteria = Criteria("LessThanThreshold", value, 1, None, period=10, statistic="Maximum")
    decision = evaluate(criteria, windows("X--", value, value), OK, NOW)
    assert decision is not None
    assert decision.reason_data == reference_reason_data(criteria, list(decision._evaluated), NOW)
