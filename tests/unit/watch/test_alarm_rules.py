"""Alarm evaluation and StateReason texts: cloudwatch-api.md §4.5 and §4.6, as tables of cases.

Ranges are written as in AWS's tables: oldest on the LEFT, newest on the RIGHT, with `0` = a
fine value (1.0), `X` = a breaching value (5.0) and `-` = a missing window. The threshold is
2.0 with GreaterThanThreshold unless a case says otherwise.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.watch.alarm_rules import (
    ALARM,
    INSUFFICIENT_DATA,
    OK,
    Criteria,
    Decision,
    Window,
    evaluate,
    evaluation_range,
    evaluation_time,
    is_breaching,
    java_double,
    window_starts,
)

pytestmark = pytest.mark.unit

KEEP = None  # evaluate() returns None when the alarm keeps its state
NOW = datetime(2024, 7, 16, 13, 14, 42, 817000, tzinfo=UTC)  # E = 13:14:00
VALUES = {"0": 1.0, "X": 5.0, "-": None}
MODES = ("missing", "ignore", "breaching", "notBreaching")


def criteria(
    n: int = 3,
    m: int | None = None,
    mode: str = "missing",
    *,
    comparison_operator: str = "GreaterThanThreshold",
    threshold: float = 2.0,
    **kwargs: Any,
) -> Criteria:
    return Criteria(comparison_operator, threshold, n, m, mode, **kwargs)


def windows(pattern: str, now: datetime = NOW, period: int = 60) -> list[Window]:
    """Windows, newest first, from a table pattern whose newest point is on the right."""
    marks = pattern.split()[::-1]
    starts = window_starts(evaluation_time(now, period), period, len(marks))
    return [
        Window(start, VALUES[mark], None if VALUES[mark] is None else 1.0)
        for start, mark in zip(starts, marks, strict=True)
    ]


def run(c: Criteria, pattern: str, current: str = OK) -> Decision | None:
    return evaluate(c, windows(pattern, period=c.period), current, NOW)


def decided(c: Criteria, pattern: str) -> Decision:
    decision = run(c, pattern)
    assert decision is not None
    return decision


def state_of(c: Criteria, pattern: str) -> str | None:
    decision = run(c, pattern)
    return None if decision is None else decision.state


# --- AWS's tables (§4.5 [doc]) ---------------------------------------------------------------

# pattern -> expected state for missing, ignore, breaching, notBreaching
TABLE_N3_M3 = {
    "0 - X - X": (OK, OK, OK, OK),
    "0 - - - -": (OK, OK, OK, OK),
    "- - - - -": (INSUFFICIENT_DATA, KEEP, ALARM, OK),
    "0 X X - X": (ALARM, ALARM, ALARM, ALARM),
    "- - X - -": (ALARM, KEEP, ALARM, OK),
    "- - - - X": (INSUFFICIENT_DATA, KEEP, ALARM, OK),  # 2017 table
    "X - - - -": (ALARM, KEEP, ALARM, OK),  # 2017 table
}
TABLE_N3_M2 = {
    "0 - X - X": (ALARM, ALARM, ALARM, ALARM),
    "0 0 X 0 X": (ALARM, ALARM, ALARM, ALARM),
    "0 - X - -": (OK, OK, ALARM, OK),
    "- - - - 0": (OK, OK, ALARM, OK),
    "- - - X -": (ALARM, KEEP, ALARM, OK),
}


TABLE_ROWS = [
    pytest.param(m, pattern, expected, id=f"N3 M{m} [{pattern}]")
    for m, table in ((3, TABLE_N3_M3), (2, TABLE_N3_M2))
    for pattern, expected in table.items()
]


@pytest.mark.parametrize(("m", "pattern", "expected"), TABLE_ROWS)
def test_aws_tables(m: int, pattern: str, expected: tuple[str | None, ...]) -> None:
    """One row of AWS's table: the state for each TreatMissingData, in the table's order."""
    assert evaluation_range(3) == len(pattern.split())
    assert tuple(state_of(criteria(3, m, mode), pattern) for mode in MODES) == expected


@pytest.mark.parametrize("mode", ["missing", "ignore"])
def test_ignore_and_missing_keep_or_decide_alike_on_full_data(mode: str) -> None:
    assert state_of(criteria(3, 3, mode), "- - X X X") == ALARM
    assert state_of(criteria(3, 3, mode), "- - X 0 X") == OK


def test_decision_is_returned_even_when_the_state_does_not_change() -> None:
    decision = run(criteria(), "0 0 0 0 0", current=OK)
    assert decision is not None
    assert decision.state == OK


# --- Windows (§4.5) --------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "r"), [(1, 3), (3, 5), (6, 8), (30, 40)])
def test_evaluation_range(n: int, r: int) -> None:
    assert evaluation_range(n) == r


@pytest.mark.parametrize(
    ("now", "period", "starts"),
    [
        pytest.param("2024-07-16 13:14:42.817", 60, ["2024-07-16 13:13:00"], id="60s"),
        pytest.param("2022-01-17 17:07:38.154", 300, ["2022-01-17 17:02:00"], id="300s"),
        pytest.param(
            "2022-01-26 13:29:29.292",
            300,
            ["2022-01-26 13:24:00", "2022-01-26 13:19:00", "2022-01-26 13:14:00"],
            id="300s-three",
        ),
        pytest.param("2022-10-09 09:39:13.827", 86400, ["2022-10-08 09:39:00"], id="1-day"),
        pytest.param(
            "2024-07-16 13:14:47.5",
            10,
            ["2024-07-16 13:14:30", "2024-07-16 13:14:20", "2024-07-16 13:14:10"],
            id="10s",
        ),
        pytest.param(
            "2024-07-16 13:14:09.999",
            30,
            ["2024-07-16 13:13:30", "2024-07-16 13:13:00"],
            id="30s",
        ),
        pytest.param("2024-07-16 13:15:00", 20, ["2024-07-16 13:14:40"], id="20s-on-the-dot"),
    ],
)
def test_window_starts(now: str, period: int, starts: list[str]) -> None:
    e = evaluation_time(datetime.fromisoformat(now).replace(tzinfo=UTC), period)
    expected = [datetime.fromisoformat(s).replace(tzinfo=UTC) for s in starts]
    assert window_starts(e, period, len(starts)) == expected


@pytest.mark.parametrize(
    ("period", "expected"),
    [(60, "13:14:00"), (300, "13:14:00"), (10, "13:14:40"), (30, "13:14:40")],
)
def test_evaluation_time(period: int, expected: str) -> None:
    assert evaluation_time(NOW, period) == datetime.fromisoformat(f"2024-07-16 {expected}+00:00")


def test_evaluation_time_converts_to_utc() -> None:
    paris = NOW.astimezone(datetime.fromisoformat("2024-07-16T15:14:42+02:00").tzinfo)
    assert evaluation_time(paris, 60) == datetime(2024, 7, 16, 13, 14, tzinfo=UTC)


def test_ten_second_alarm_evaluates_its_own_windows() -> None:
    c = criteria(3, 2, period=10)
    decision = run(c, "- - 0 X X")
    assert decision is not None
    assert decision.reason == (
        "Threshold Crossed: 2 out of the last 3 datapoints [5.0 (16/07/24 13:14:30), "
        "5.0 (16/07/24 13:14:20)] were greater than the threshold (2.0) "
        "(minimum 2 datapoints for OK -> ALARM transition)."
    )
    assert json.loads(decision.reason_data)["period"] == 10


# --- Breach test -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "below", "equal", "above"),
    [
        ("GreaterThanOrEqualToThreshold", False, True, True),
        ("GreaterThanThreshold", False, False, True),
        ("LessThanThreshold", True, False, False),
        ("LessThanOrEqualToThreshold", True, True, False),
    ],
)
def test_is_breaching_at_the_boundary(operator: str, below: bool, equal: bool, above: bool) -> None:
    assert is_breaching(9.999999, operator, 10.0) is below
    assert is_breaching(10.0, operator, 10.0) is equal
    assert is_breaching(10.000001, operator, 10.0) is above


def test_anomaly_band_operators_are_not_static_thresholds() -> None:
    with pytest.raises(ValueError, match="LessThanLowerThreshold"):
        is_breaching(1.0, "LessThanLowerThreshold", 2.0)


@pytest.mark.parametrize(
    ("operator", "phrase", "breaching", "fine"),
    [
        ("GreaterThanOrEqualToThreshold", "greater than or equal to", 2.0, 1.0),
        ("GreaterThanThreshold", "greater than", 3.0, 2.0),
        ("LessThanThreshold", "less than", 1.0, 2.0),
        ("LessThanOrEqualToThreshold", "less than or equal to", 2.0, 3.0),
    ],
)
def test_comparison_phrases(operator: str, phrase: str, breaching: float, fine: float) -> None:
    c = criteria(1, comparison_operator=operator)
    alarm = evaluate(c, [Window(NOW, breaching, 1.0)], OK, NOW)
    ok = evaluate(c, [Window(NOW, fine, 1.0)], ALARM, NOW)
    assert alarm is not None
    assert ok is not None
    assert (alarm.state, ok.state) == (ALARM, OK)
    assert f"] was {phrase} the threshold (2.0)." in alarm.reason
    assert f"] was not {phrase} the threshold (2.0)." in ok.reason


# --- StateReason texts (§4.6 [aws-rec]) ------------------------------------------------------


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def reason(c: Criteria, points: list[tuple[str, float | None]]) -> str:
    """Reason for explicit windows given newest first as (start, value)."""
    ws = [Window(at(s), v, None if v is None else 1.0) for s, v in points]
    decision = evaluate(c, ws, OK, NOW)
    assert decision is not None
    return decision.reason


def test_reason_one_datapoint_plain() -> None:
    points = [("2023-10-26 16:42", 21.5), ("2023-10-26 16:41", None), ("2023-10-26 16:40", None)]
    assert reason(criteria(1), points) == (
        "Threshold Crossed: 1 datapoint [21.5 (26/10/23 16:42:00)] was greater than the "
        "threshold (2.0)."
    )


def test_reason_two_datapoints_not_greater() -> None:
    points = [("2023-01-09 14:02", 0.0), ("2023-01-09 14:01", 1.0)]
    assert reason(criteria(2, threshold=42.0), points) == (
        "Threshold Crossed: 2 datapoints [0.0 (09/01/23 14:02:00), 1.0 (09/01/23 14:01:00)] "
        "were not greater than the threshold (42.0)."
    )


def test_reason_two_out_of_two() -> None:
    points = [("2022-01-17 14:42", 15.398333333333332), ("2022-01-17 14:37", 11.488333333333333)]
    assert reason(criteria(2, 2, threshold=10.0, period=300), points) == (
        "Threshold Crossed: 2 out of the last 2 datapoints [15.398333333333332 (17/01/22 "
        "14:42:00), 11.488333333333333 (17/01/22 14:37:00)] were greater than the threshold "
        "(10.0) (minimum 2 datapoints for OK -> ALARM transition)."
    )


def test_reason_one_out_of_the_last_one_keeps_datapoints_plural() -> None:
    assert reason(criteria(1, 1), [("2023-10-26 16:42", 21.5)]) == (
        "Threshold Crossed: 1 out of the last 1 datapoints [21.5 (26/10/23 16:42:00)] was "
        "greater than the threshold (2.0) (minimum 1 datapoint for OK -> ALARM transition)."
    )


def test_reason_three_out_of_three_not_greater_than_or_equal_to() -> None:
    c = criteria(3, 3, comparison_operator="GreaterThanOrEqualToThreshold", threshold=80)
    points = [
        ("2022-01-26 13:24", 38.395433048854194),
        ("2022-01-26 13:19", 40.25),
        ("2022-01-26 13:14", 12.0),
    ]
    assert reason(c, points) == (
        "Threshold Crossed: 3 out of the last 3 datapoints [38.395433048854194 (26/01/22 "
        "13:24:00), 40.25 (26/01/22 13:19:00), 12.0 (26/01/22 13:14:00)] were not greater than "
        "or equal to the threshold (80.0) (minimum 1 datapoint for ALARM -> OK transition)."
    )


def test_reason_ok_minimum_is_n_minus_m_plus_one() -> None:
    decision = decided(criteria(5, 2), "- - 0 0 0 0 X")  # R = 7; 1 breach of 5 < M = 2
    assert decision.reason.startswith("Threshold Crossed: 4 out of the last 5 datapoints [1.0")
    assert decision.reason.endswith("(minimum 4 datapoints for ALARM -> OK transition).")


@pytest.mark.parametrize(
    ("n", "mode", "expected"),
    [
        (
            2,
            "breaching",
            "Threshold Crossed: no datapoints were received for 2 periods and 2 missing "
            "datapoints were treated as [Breaching].",
        ),
        (
            1,
            "notBreaching",
            "Threshold Crossed: no datapoints were received for 1 period and 1 missing "
            "datapoint was treated as [NonBreaching].",
        ),
        (3, "missing", "Insufficient Data: 5 datapoints were unknown."),
        (1, "missing", "Insufficient Data: 3 datapoints were unknown."),
    ],
)
def test_reason_whole_range_missing(n: int, mode: str, expected: str) -> None:
    decision = run(criteria(n, mode=mode), " ".join("-" * evaluation_range(n)))
    assert decision is not None
    assert decision.reason == expected


def test_reason_single_unknown_datapoint() -> None:
    ws = [Window(at("2024-07-16 13:13"), None)]
    decision = evaluate(criteria(1), ws, OK, NOW)
    assert decision is not None
    assert decision.reason == "Insufficient Data: 1 datapoint was unknown."


@pytest.mark.parametrize(
    ("m", "mode", "pattern", "state", "expected"),
    [
        pytest.param(
            None, "breaching", "- - X X -", ALARM,
            "Threshold Crossed: 2 datapoints [5.0 (16/07/24 13:12:00), 5.0 (16/07/24 13:11:00)] "
            "were greater than the threshold (2.0) and 1 missing datapoint was treated as "
            "[Breaching].",
            id="plain-one-filler",
        ),
        pytest.param(
            2, "breaching", "0 - X - -", ALARM,
            "Threshold Crossed: 2 out of the last 3 datapoints [5.0 (16/07/24 13:11:00)] were "
            "greater than the threshold (2.0) (minimum 2 datapoints for OK -> ALARM transition) "
            "and 1 missing datapoint was treated as [Breaching].",
            id="count-one-filler",
        ),
        pytest.param(
            2, "breaching", "- - - - 0", ALARM,
            "Threshold Crossed: no datapoints were received for 2 periods and 2 missing "
            "datapoints were treated as [Breaching].",
            id="only-fillers-support",
        ),
        pytest.param(
            3, "notBreaching", "- - X - -", OK,
            "Threshold Crossed: no datapoints were received for 2 periods and 2 missing "
            "datapoints were treated as [NonBreaching].",
            id="only-nonbreaching-fillers-support",
        ),
        pytest.param(
            None, "notBreaching", "- - 0 - -", OK,
            "Threshold Crossed: 1 datapoint [1.0 (16/07/24 13:11:00)] was not greater than the "
            "threshold (2.0) and 2 missing datapoints were treated as [NonBreaching].",
            id="plain-nonbreaching-fillers",
        ),
        pytest.param(
            3, "breaching", "0 - - - -", OK,
            "Threshold Crossed: 1 out of the last 3 datapoints [1.0 (16/07/24 13:09:00)] was "
            "not greater than the threshold (2.0) (minimum 1 datapoint for ALARM -> OK "
            "transition).",
            id="fillers-against-the-decision-unmentioned",
        ),
        pytest.param(
            3, "missing", "- - X - -", ALARM,
            "Threshold Crossed: 1 out of the last 3 datapoints [5.0 (16/07/24 13:11:00)] was "
            "greater than the threshold (2.0) (minimum 3 datapoints for OK -> ALARM "
            "transition).",
            id="premature-alarm",
        ),
        pytest.param(
            3, "missing", "- - - - X", INSUFFICIENT_DATA,
            "Insufficient Data: 2 datapoints were unknown.",
            id="mixed-missing-insufficient",
        ),
        pytest.param(
            3, "missing", "- - - X X", INSUFFICIENT_DATA,
            "Insufficient Data: 1 datapoint was unknown.",
            id="mixed-missing-insufficient-one",
        ),
        pytest.param(
            3, "ignore", "0 - - - -", OK,
            "Threshold Crossed: 1 out of the last 3 datapoints [1.0 (16/07/24 13:09:00)] was "
            "not greater than the threshold (2.0) (minimum 1 datapoint for ALARM -> OK "
            "transition).",
            id="ignore-ok-from-old-point",
        ),
    ],
)  # fmt: skip
def test_reason_with_missing_windows(
    m: int | None, mode: str, pattern: str, state: str, expected: str
) -> None:
    decision = run(criteria(3, m, mode), pattern)
    assert decision is not None
    assert (decision.state, decision.reason) == (state, expected)


# --- StateReasonData (§4.6 [aws-rec]) --------------------------------------------------------


def test_reason_data_matches_the_aws_sample_byte_for_byte() -> None:
    c = criteria(1, threshold=12, statistic="Sum", unit="Seconds")
    ws = [
        Window(at("2024-07-16 13:13:00"), 1051, 1051),
        Window(at("2024-07-16 13:12:00"), None),
        Window(at("2024-07-16 13:11:00"), None),
    ]
    decision = evaluate(c, ws, INSUFFICIENT_DATA, NOW)
    assert decision is not None
    assert decision.reason_data == (
        '{"version":"1.0",'
        '"queryDate":"2024-07-16T13:14:42.817+0000",'
        '"startDate":"2024-07-16T13:13:00.000+0000",'
        '"unit":"Seconds",'
        '"statistic":"Sum",'
        '"period":60,'
        '"recentDatapoints":[1051.0],'
        '"threshold":12.0,'
        '"evaluatedDatapoints":[{"timestamp":"2024-07-16T13:13:00.000+0000",'
        '"sampleCount":1051.0,"value":1051.0}]}'
    )


def test_reason_data_lists_evaluated_windows_with_missing_ones_as_timestamps() -> None:
    data = json.loads(decided(criteria(3, 2, "breaching"), "0 - X - -").reason_data)
    assert data["startDate"] == "2024-07-16T13:09:00.000+0000"
    assert data["recentDatapoints"] == [1.0, 5.0]  # oldest first
    assert data["evaluatedDatapoints"] == [
        {"timestamp": "2024-07-16T13:13:00.000+0000"},  # the filler
        {"timestamp": "2024-07-16T13:11:00.000+0000", "sampleCount": 1.0, "value": 5.0},
        {"timestamp": "2024-07-16T13:09:00.000+0000", "sampleCount": 1.0, "value": 1.0},
    ]
    assert "unit" not in data
    assert "statistic" not in data


def test_reason_data_uses_the_newest_real_points_when_enough_exist() -> None:
    data = json.loads(decided(criteria(3, 3), "0 X X - X").reason_data)
    assert [p["timestamp"][11:16] for p in data["evaluatedDatapoints"]] == [
        "13:13",
        "13:11",
        "13:10",
    ]
    assert data["startDate"] == "2024-07-16T13:10:00.000+0000"


def test_reason_data_when_the_whole_range_is_missing() -> None:
    decision = run(criteria(3, statistic="Average"), "- - - - -")
    assert decision is not None
    assert decision.reason_data == (
        '{"version":"1.0","queryDate":"2024-07-16T13:14:42.817+0000","statistic":"Average",'
        '"period":60,"recentDatapoints":[],"threshold":2.0,"evaluatedDatapoints":['
        '{"timestamp":"2024-07-16T13:13:00.000+0000"},'
        '{"timestamp":"2024-07-16T13:12:00.000+0000"},'
        '{"timestamp":"2024-07-16T13:11:00.000+0000"}]}'
    )


def test_reason_data_names_a_percentile_extended_statistic() -> None:
    c = criteria(1, extended_statistic="p99")
    data = json.loads(decided(c, "- - X").reason_data)
    assert list(data)[:4] == ["version", "queryDate", "startDate", "extendedStatistic"]
    assert data["extendedStatistic"] == "p99"


def test_reason_data_writes_large_values_as_java_doubles() -> None:
    c = criteria(1, threshold=1e7)
    decision = evaluate(c, [Window(at("2024-07-16 13:13"), 1e10, 3)], OK, NOW)
    assert decision is not None
    assert '"recentDatapoints":[1.0E10],"threshold":1.0E7' in decision.reason_data
    assert '"sampleCount":3.0,"value":1.0E10' in decision.reason_data
    assert json.loads(decision.reason_data)["threshold"] == 1e7
    assert "[1.0E10 (16/07/24 13:13:00)] was greater than the threshold (1.0E7)" in decision.reason


# --- Low sample counts (§4.3, §4.5) ----------------------------------------------------------


def low_sample_windows(low_at: int) -> list[Window]:
    ws = windows("X X X X X")
    return [
        Window(w.start, w.value, w.sample_count, low_sample=i == low_at) for i, w in enumerate(ws)
    ]


@pytest.mark.parametrize(
    ("setting", "low_at", "expected"),
    [
        pytest.param("ignore", 0, KEEP, id="ignore-newest-low"),
        pytest.param("ignore", 2, KEEP, id="ignore-oldest-evaluated-low"),
        pytest.param("ignore", 4, ALARM, id="ignore-low-outside-evaluated"),
        pytest.param("evaluate", 0, ALARM, id="evaluate"),
        pytest.param(None, 0, ALARM, id="default-evaluates"),
    ],
)
def test_low_sample_percentile(setting: str | None, low_at: int, expected: str | None) -> None:
    c = criteria(3, extended_statistic="p99", evaluate_low_sample_count_percentile=setting)
    decision = evaluate(c, low_sample_windows(low_at), OK, NOW)
    assert (decision and decision.state) == expected


# --- Java doubles ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (21.5, "21.5"),
        (1, "1.0"),
        (0.0, "0.0"),
        (-2.5, "-2.5"),
        (38.395433048854194, "38.395433048854194"),
        (0.1 + 0.2, "0.30000000000000004"),
        (9999999.0, "9999999.0"),
        (1e7, "1.0E7"),
        (12345678.9, "1.23456789E7"),
        (1e10, "1.0E10"),
        (0.001, "0.001"),
        (0.0001, "1.0E-4"),
        (1.5e-5, "1.5E-5"),
        (-1e-300, "-1.0E-300"),
        (1.7976931348623157e308, "1.7976931348623157E308"),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
    ],
)
def test_java_double(value: float, text: str) -> None:
    assert java_double(value) == text


# --- Criteria the API should never let through -----------------------------------------------


@pytest.mark.parametrize(
    ("c", "count", "message"),
    [
        (criteria(3, 4), 5, "DatapointsToAlarm"),
        (criteria(3, 0), 5, "DatapointsToAlarm"),
        (criteria(0), 5, "EvaluationPeriods"),
        (criteria(3, mode="sometimes"), 5, "TreatMissingData"),
        (criteria(3, comparison_operator="GreaterThanUpperThreshold"), 5, "ComparisonOperator"),
        (criteria(3), 2, "2 windows"),
    ],
)
def test_rejects_impossible_criteria(c: Criteria, count: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        evaluate(c, windows(" ".join("0" * count)), OK, NOW)


def test_windows_are_read_newest_first() -> None:
    ws = windows("- - X 0 0")
    assert ws[0].start - ws[1].start == timedelta(minutes=1)
    assert ws[0].start == datetime(2024, 7, 16, 13, 13, tzinfo=UTC)
    assert state_of(criteria(3, 1), "- - X 0 0") == ALARM
