"""GetMetricStatistics semantics: cloudwatch-api.md §3.2, §4.1-§4.3, as tables of cases."""

from __future__ import annotations

import math
import random
from collections import namedtuple
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from models.errors import (
    ConstraintViolationError,
    DomainError,
    InvalidParameterCombinationError,
    InvalidParameterError,
)
from models.watch.statistics import (
    STATISTICS,
    Bound,
    Statistic,
    Summary,
    aggregate,
    aligned_range,
    floor_time,
    min_period_for_age,
    parse_statistic,
    storage_timestamp,
    validate_statistics_request,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 1, 13, 0, 0, tzinfo=UTC)
T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
ALL = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"]
Row = namedtuple("Row", "timestamp unit sample_count sum minimum maximum distribution")


def at(h: int, m: int, s: int = 0, day: datetime = T0) -> datetime:
    return day.replace(hour=h, minute=m, second=s)


def value_row(ts: datetime, v: float, unit: str = "None") -> tuple[Any, ...]:
    return (ts, unit, 1.0, v, v, v, ((v, 1.0),))


def values_row(ts: datetime, pairs: list[tuple[float, float]], unit: str = "None") -> Row:
    kept = [(v, c) for v, c in pairs if c > 0]
    return Row(
        ts,
        unit,
        sum(c for _, c in kept),
        sum(v * c for v, c in kept),
        min(v for v, _ in kept),
        max(v for v, _ in kept),
        tuple(kept),
    )


def set_row(ts: datetime, n: float, total: float, low: float, high: float) -> Row:
    return Row(ts, "None", n, total, low, high, None)


# --- Request validation --------------------------------------------------------------------


def request(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "start": T0,
        "end": T0 + timedelta(hours=1),
        "period": 60,
        "statistics": ["Average"],
        "extended_statistics": None,
        "now": NOW,
        "dimensions_count": 0,
    }
    return {**args, **overrides}


ACCEPTED = {
    "one statistic": {},
    "five statistics": {"statistics": ALL},
    "ten extended statistics": {
        "statistics": None,
        "extended_statistics": [
            *("p0.0", "p100", "p99.9", "p50", "tm90"),
            *("IQM", "TC(1:2)", "PR(:300)", "wm99", "TS(10%:90%)"),
        ],
    },
    "30 dimensions": {"dimensions_count": 30},
    **{
        f"period {p}": {"period": p, "end": T0 + timedelta(seconds=p * 1440)}
        for p in (1, 5, 10, 20, 30, 60, 120, 300, 3600, 86400)
    },
    "exactly 1440 points": {"end": T0 + timedelta(days=1)},
    "1440 one-second points": {"period": 1, "end": T0 + timedelta(seconds=1440)},
}


@pytest.mark.parametrize("overrides", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_valid_requests(overrides: dict[str, Any]) -> None:
    validate_statistics_request(**request(**overrides))


LIMIT_TEXT = (
    "You have requested up to {} datapoints, which exceeds the limit of 1440. You may reduce "
    "the datapoints requested by increasing Period, or decreasing the time range."
)
COMBO = InvalidParameterCombinationError
INVALID = InvalidParameterError

REFUSED = {
    "both statistic kinds": (
        {"extended_statistics": ["p99"]},
        COMBO,
        "The parameters Statistics and ExtendedStatistics are mutually exclusive and you have "
        "specified both.",
    ),
    "no statistics": (
        {"statistics": None},
        COMBO,
        "Must specify either Statistics or ExtendedStatistics.",
    ),
    "empty lists count as none": (
        {"statistics": [], "extended_statistics": []},
        COMBO,
        "Must specify either Statistics or ExtendedStatistics.",
    ),
    "six statistics": (
        {"statistics": [*ALL, "Sum"]},
        INVALID,
        "The collection Statistics must not have a size greater than 5.",
    ),
    "unknown statistic (second)": (
        {"statistics": ["Sum", "Mean"]},
        INVALID,
        "The parameter Statistics.member.2 must be a value in the set "
        "[ Minimum, Maximum, Average, SampleCount, Sum ].",
    ),
    "percentile in Statistics": (
        {"statistics": ["p99"]},
        INVALID,
        "The parameter Statistics.member.1 must be a value in the set "
        "[ Minimum, Maximum, Average, SampleCount, Sum ].",
    ),
    "eleven extended statistics": (
        {"statistics": None, "extended_statistics": [f"p{i}" for i in range(11)]},
        INVALID,
        "The collection ExtendedStatistics must not have a size greater than 10.",
    ),
    "percentile above 100": (
        {"statistics": None, "extended_statistics": ["p100.1"]},
        INVALID,
        "The value p100.1 for parameter ExtendedStatistics.member.1 is not a valid statistic.",
    ),
    "standard name in ExtendedStatistics": (
        {"statistics": None, "extended_statistics": ["p50", "Average"]},
        INVALID,
        "The value Average for parameter ExtendedStatistics.member.2 is not a valid statistic.",
    ),
    "31 dimensions": (
        {"dimensions_count": 31},
        INVALID,
        "The collection Dimensions must not have a size greater than 30.",
    ),
    "period 0": (
        {"period": 0},
        INVALID,
        "The parameter Period must be greater than or equal to 1.",
    ),
    **{
        f"period {p}": ({"period": p}, INVALID, "The parameter Period must be a multiple of 60.")
        for p in (2, 7, 45, 90, 3601)
    },
    "start equals end": (
        {"end": T0},
        INVALID,
        "The parameter StartTime must be less than the parameter EndTime.",
    ),
    "start after end": (
        {"end": T0 - timedelta(seconds=1)},
        INVALID,
        "The parameter StartTime must be less than the parameter EndTime.",
    ),
    "one day at period 1": (
        {"period": 1, "end": T0 + timedelta(days=1)},
        COMBO,
        LIMIT_TEXT.format(86400),
    ),
    "1441 minutes at period 60": (
        {"end": T0 + timedelta(minutes=1441)},
        COMBO,
        LIMIT_TEXT.format(1441),
    ),
    "a partial period counts as one point": (
        {"end": T0 + timedelta(days=1, seconds=1)},
        COMBO,
        LIMIT_TEXT.format(1441),
    ),
}


@pytest.mark.parametrize(("overrides", "error", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_invalid_requests(
    overrides: dict[str, Any], error: type[DomainError], message: str
) -> None:
    with pytest.raises(DomainError) as caught:
        validate_statistics_request(**request(**overrides))
    assert (type(caught.value), caught.value.message) == (error, message)


def test_an_unknown_unit_is_a_model_enum_failure_reported_first() -> None:
    with pytest.raises(DomainError) as caught:
        validate_statistics_request(**request(period=7), unit="Furlongs")
    assert type(caught.value) is ConstraintViolationError
    assert caught.value.message.startswith(
        "1 validation error detected: Value 'Furlongs' at 'unit' failed to satisfy constraint: "
        "Member must satisfy enum value set: [Seconds, Microseconds, "
    )
    validate_statistics_request(**request(), unit="Count")


def test_request_problems_are_joined_and_the_first_sets_the_class() -> None:
    with pytest.raises(DomainError) as caught:
        validate_statistics_request(
            **request(statistics=None, period=7, end=T0 - timedelta(minutes=1))
        )
    assert type(caught.value) is InvalidParameterCombinationError
    assert caught.value.message.split("\n") == [
        "Must specify either Statistics or ExtendedStatistics.",
        "The parameter Period must be a multiple of 60.",
        "The parameter StartTime must be less than the parameter EndTime.",
    ]


# --- Statistic strings ---------------------------------------------------------------------

PARSED = {
    "Average": Statistic("Average", "Average"),
    "SampleCount": Statistic("SampleCount", "SampleCount"),
    "p99": Statistic("p99", "p", None, Bound(99.0, True)),
    "p99.9": Statistic("p99.9", "p", None, Bound(99.9, True)),
    "p0.0": Statistic("p0.0", "p", None, Bound(0.0, True)),
    "p100": Statistic("p100", "p", None, Bound(100.0, True)),
    "p12.0123456789": Statistic("p12.0123456789", "p", None, Bound(12.0123456789, True)),
    "tm99": Statistic("tm99", "TM", None, Bound(99.0, True)),
    "wm98": Statistic("wm98", "WM", None, Bound(98.0, True)),
    "tc90": Statistic("tc90", "TC", None, Bound(90.0, True)),
    "ts50": Statistic("ts50", "TS", None, Bound(50.0, True)),
    "IQM": Statistic("IQM", "TM", Bound(25.0, True), Bound(75.0, True)),
    "TM(10%:90%)": Statistic("TM(10%:90%)", "TM", Bound(10.0, True), Bound(90.0, True)),
    "TM(:95%)": Statistic("TM(:95%)", "TM", None, Bound(95.0, True)),
    "TC(0.005:0.030)": Statistic("TC(0.005:0.030)", "TC", Bound(0.005, False), Bound(0.03, False)),
    "WM(150:)": Statistic("WM(150:)", "WM", Bound(150.0, False), None),
    "TS(-5:5)": Statistic("TS(-5:5)", "TS", Bound(-5.0, False), Bound(5.0, False)),
    "PR(:300)": Statistic("PR(:300)", "PR", None, Bound(300.0, False)),
    "PR(100:2000)": Statistic("PR(100:2000)", "PR", Bound(100.0, False), Bound(2000.0, False)),
}


@pytest.mark.parametrize(("text", "expected"), PARSED.items(), ids=PARSED.keys())
def test_parse_statistic(text: str, expected: Statistic) -> None:
    assert parse_statistic(text) == expected
    assert expected.is_percentile_type is (expected.kind not in ALL)


NOT_STATISTICS = [
    "average", "Mean", "", "p", "P99", "p100.1", "p101", "p-1", "p99.", "p99.12345678901",
    "p 99", "tm", "tm101", "TM", "TM()", "TM(:)", "TM(90%:10%)", "TM(50%:50%)", "TM(5:1)",
    "TM(10%:101%)", "PR(10%:90%)", "tm(10%:90%)", "TM(10%;90%)", "XX(1:2)", "iqm", "p99 ",
]  # fmt: skip


@pytest.mark.parametrize("text", NOT_STATISTICS)
def test_not_a_statistic(text: str) -> None:
    with pytest.raises(ConstraintViolationError) as caught:
        parse_statistic(text, "MetricDataQueries.member.3.MetricStat.Stat")
    assert caught.value.message == (
        f"The value {text} for parameter MetricDataQueries.member.3.MetricStat.Stat "
        "is not a valid statistic."
    )


# --- Retention and alignment (§4.1, §4.2) --------------------------------------------------

AGES = [
    (timedelta(0), 1),
    (timedelta(hours=3), 1),
    (timedelta(hours=3, seconds=1), 60),
    (timedelta(days=15), 60),
    (timedelta(days=15, seconds=1), 300),
    (timedelta(days=63), 300),
    (timedelta(days=63, seconds=1), 3600),
    (timedelta(days=455), 3600),
]


@pytest.mark.parametrize(("age", "period"), AGES, ids=[str(age) for age, _ in AGES])
def test_min_period_for_age(age: timedelta, period: int) -> None:
    assert min_period_for_age(age) == period


ROUNDING = {
    "recent: to the minute": (at(12, 32, 34), 60, at(12, 32)),
    "recent, period 300: still to the minute": (at(12, 3, 10), 300, at(12, 3)),
    "period 10: to 10 s within the minute": (at(12, 5, 23), 10, at(12, 5, 20)),
    "period 5": (at(12, 5, 23), 5, at(12, 5, 20)),
    "period 30": (at(12, 5, 41), 30, at(12, 5, 30)),
    "period 1": (at(12, 5, 41), 1, at(12, 5, 41)),
    "just under 15 days: to the minute": (
        NOW - timedelta(days=15) + timedelta(minutes=2, seconds=34),
        300,
        NOW - timedelta(days=15) + timedelta(minutes=2),
    ),
    "just over 15 days: to 5 minutes": (
        NOW - timedelta(days=15) - timedelta(minutes=2, seconds=34),
        300,
        NOW - timedelta(days=15, minutes=5),
    ),
    "just under 63 days: still to 5 minutes": (
        NOW - timedelta(days=63) + timedelta(minutes=7, seconds=34),
        300,
        NOW - timedelta(days=63) + timedelta(minutes=5),
    ),
    "just over 63 days: to the hour": (
        NOW - timedelta(days=63, seconds=1),
        3600,
        NOW - timedelta(days=63, hours=1),
    ),
    "20 days: to 5 minutes": (
        NOW - timedelta(days=20) - timedelta(minutes=27, seconds=26),
        300,
        NOW - timedelta(days=20, minutes=30),
    ),
    "70 days: to the hour": (
        NOW - timedelta(days=70) - timedelta(minutes=27, seconds=26),
        3600,
        NOW - timedelta(days=70, hours=1),
    ),
}


@pytest.mark.parametrize(("start", "period", "rounded"), ROUNDING.values(), ids=ROUNDING.keys())
def test_start_is_rounded_down(start: datetime, period: int, rounded: datetime) -> None:
    end = start + timedelta(hours=2)
    assert aligned_range(start, end, period, NOW) == (rounded, end)


RETENTION = {
    "period 1 reads 3 hours back": (NOW - timedelta(hours=5), 1, NOW - timedelta(hours=3)),
    "period 10 reads 3 hours back": (NOW - timedelta(hours=5), 10, NOW - timedelta(hours=3)),
    "period 60 reads 15 days back": (NOW - timedelta(days=20), 60, NOW - timedelta(days=15)),
    "period 120 reads 15 days back": (NOW - timedelta(days=20), 120, NOW - timedelta(days=15)),
    "period 300 reads 63 days back": (NOW - timedelta(days=70), 300, NOW - timedelta(days=63)),
    "period 3600 reads everything": (
        NOW - timedelta(days=400),
        3600,
        NOW - timedelta(days=400),
    ),
    "period 60 inside 15 days: untouched": (
        NOW - timedelta(days=2),
        60,
        NOW - timedelta(days=2),
    ),
}


@pytest.mark.parametrize(("start", "period", "first"), RETENTION.values(), ids=RETENTION.keys())
def test_buckets_too_old_for_the_period_are_skipped_on_the_same_grid(
    start: datetime, period: int, first: datetime
) -> None:
    end = NOW
    got, got_end = aligned_range(start, end, period, NOW)
    assert (got, got_end) == (first, end)
    assert (got - start) % timedelta(seconds=period) == timedelta(0)


def test_skipping_keeps_the_grid_of_the_rounded_start() -> None:
    start = NOW - timedelta(days=20, seconds=17)  # rounds to NOW - 20 d - 5 min
    got, _ = aligned_range(start, NOW, 120, NOW)
    assert got >= NOW - timedelta(days=15)
    assert got - (NOW - timedelta(days=15)) < timedelta(seconds=120)
    assert (got - (NOW - timedelta(days=20, minutes=5))) % timedelta(minutes=2) == timedelta(0)


def test_a_range_entirely_too_old_for_the_period_has_no_buckets() -> None:
    start, end = NOW - timedelta(days=2), NOW - timedelta(days=1)
    first, last = aligned_range(start, end, 1, NOW)
    assert first >= last
    assert aggregate([value_row(start, 1.0)], first, last, 1, ["Sum"], None, None) == []


def test_floor_and_storage_timestamps() -> None:
    moment = datetime(2026, 3, 1, 12, 32, 37, 678000, tzinfo=UTC)
    assert floor_time(moment, 3600) == at(12, 0)
    assert storage_timestamp(moment, 1) == at(12, 32, 37)
    assert storage_timestamp(moment, 60) == at(12, 32)


@pytest.mark.parametrize("seconds", [1, 60])
def test_second_and_minute_floors_agree_with_epoch_arithmetic(seconds: int) -> None:
    """floor_time clears fields for 1 and 60 s; that must be the epoch-multiple floor, for
    moments before 1970 and in other time zones too."""
    rng = random.Random(seconds)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    zones = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-7))]
    for _ in range(2000):
        moment = epoch + timedelta(microseconds=rng.randint(-(10**16), 4 * 10**16))
        moment = moment.astimezone(rng.choice(zones))
        step = timedelta(seconds=seconds)
        expected = epoch + ((moment - epoch) // step) * step
        floored = floor_time(moment, seconds)
        assert floored == expected
        assert floored.tzinfo is UTC


# --- Aggregation ---------------------------------------------------------------------------

WORKED = {  # §4.2's worked example: value 5 published at 12:32:37
    "S=12:00:00, P=60": (at(12, 0), 60, at(12, 32)),
    "S=12:00:00, P=300": (at(12, 0), 300, at(12, 30)),
    "S=12:03:10, P=300": (at(12, 3, 10), 300, at(12, 28)),
    "high-res, S=12:32:23, P=10": (at(12, 32, 23), 10, at(12, 32, 30)),
}


@pytest.mark.parametrize(("start", "period", "stamp"), WORKED.values(), ids=WORKED.keys())
def test_datapoints_are_stamped_with_their_bucket_start(
    start: datetime, period: int, stamp: datetime
) -> None:
    first, end = aligned_range(start, start + timedelta(hours=1), period, NOW)
    points = aggregate([value_row(at(12, 32, 37), 5.0)], first, end, period, ["Sum"], None, None)
    assert points == [{"Timestamp": stamp, "Unit": "None", "Sum": 5.0}]


def test_standard_statistics_per_bucket_from_every_input_form() -> None:
    rows = [
        value_row(at(12, 0, 5), 4.0),
        values_row(at(12, 0, 59), [(1.0, 2.0), (10.0, 4.0)]),  # SampleCount 6, Sum 42
        set_row(at(12, 0, 30), 4.0, 8.0, 0.5, 3.5),
        value_row(at(12, 1, 0), -2.0),
        value_row(at(12, 1, 30), 6.0),
    ]
    points = aggregate(rows, at(12, 0), at(12, 5), 60, ALL, None, None)
    assert points == [
        {
            "Timestamp": at(12, 0),
            "Unit": "None",
            "SampleCount": 11.0,
            "Average": 54.0 / 11.0,
            "Sum": 54.0,
            "Minimum": 0.5,
            "Maximum": 10.0,
        },
        {
            "Timestamp": at(12, 1),
            "Unit": "None",
            "SampleCount": 2.0,
            "Average": 2.0,
            "Sum": 4.0,
            "Minimum": -2.0,
            "Maximum": 6.0,
        },
    ]


def test_values_counts_weighting_matches_the_recorded_aws_example() -> None:
    rows = [values_row(at(12, 0), [(1.0, 2.0), (10.0, 4.0)])]
    (point,) = aggregate(rows, at(12, 0), at(12, 1), 60, ALL, None, None)
    assert (point["SampleCount"], point["Sum"], point["Maximum"]) == (6.0, 42.0, 10.0)
    assert (point["Average"], point["Minimum"]) == (7.0, 1.0)


def test_only_requested_statistics_appear_and_output_is_sorted() -> None:
    rows = [value_row(at(12, m), float(m)) for m in (4, 0, 2)]
    points = aggregate(rows, at(12, 0), at(12, 5), 60, ["Maximum"], None, None)
    assert points == [
        {"Timestamp": at(12, m), "Unit": "None", "Maximum": float(m)} for m in (0, 2, 4)
    ]


def test_start_inclusive_end_exclusive_and_final_partial_bucket() -> None:
    rows = [value_row(at(11, 59, 59), 1.0), value_row(at(12, 0), 2.0)]
    rows += [value_row(at(12, 2, 29), 3.0), value_row(at(12, 2, 30), 4.0)]
    points = aggregate(rows, at(12, 0), at(12, 2, 30), 60, ["Sum"], None, None)
    assert [(p["Timestamp"], p["Sum"]) for p in points] == [(at(12, 0), 2.0), (at(12, 2), 3.0)]


def test_rows_may_be_objects_or_tuples_and_empty_rows_are_ignored() -> None:
    rows = [
        Row(at(12, 0), "None", 1.0, 2.0, 2.0, 2.0, ((2.0, 1.0),)),
        (at(12, 0), "None", 1.0, 3.0, 3.0, 3.0, ((3.0, 1.0),)),
        Row(at(12, 0), "None", 0.0, 0.0, 0.0, 0.0, ()),
    ]
    (point,) = aggregate(rows, at(12, 0), at(12, 1), 60, ["SampleCount", "Minimum"], None, None)
    assert (point["SampleCount"], point["Minimum"]) == (2.0, 2.0)


def test_mixed_units_give_one_datapoint_per_unit_and_the_filter_keeps_one() -> None:
    rows = [
        value_row(at(12, 0, 1), 10.0, "None"),
        value_row(at(12, 0, 2), 5.0, "Count"),
        value_row(at(12, 0, 3), 1.0, "Seconds"),
    ]
    points = aggregate(rows, at(12, 0), at(12, 1), 60, ["Average"], None, None)
    assert [(p["Unit"], p["Average"]) for p in points] == [
        ("Count", 5.0),
        ("None", 10.0),
        ("Seconds", 1.0),
    ]
    filtered = aggregate(rows, at(12, 0), at(12, 1), 60, ["Average"], None, "Seconds")
    assert filtered == [{"Timestamp": at(12, 0), "Unit": "Seconds", "Average": 1.0}]
    assert aggregate(rows, at(12, 0), at(12, 1), 60, ["Average"], None, "Bytes") == []


# --- Percentile-type statistics --------------------------------------------------------------


def nearest_rank(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


PERCENTILES = [0.0, 0.1, 1.0, 10.0, 25.0, 33.3, 50.0, 66.6, 90.0, 99.0, 99.9, 100.0]


@pytest.mark.parametrize("seed", range(8))
def test_percentiles_match_brute_force_nearest_rank(seed: int) -> None:
    rng = random.Random(seed)
    rows, samples = [], []
    for _ in range(rng.randint(1, 12)):
        pairs = [
            (round(rng.uniform(0, 1000), 3), float(rng.randint(0, 5)))
            for _ in range(rng.randint(1, 150))
        ]
        if not any(c for _, c in pairs):
            pairs[0] = (pairs[0][0], 1.0)
        rows.append(values_row(at(12, 0, rng.randint(0, 59)), pairs))
        samples += [v for v, c in pairs for _ in range(int(c))]
    for v in (rng.uniform(0, 1000) for _ in range(3)):
        rows.append(value_row(at(12, 0, rng.randint(0, 59)), v))
        samples.append(v)
    texts = [f"p{p:g}" for p in PERCENTILES[:10]]
    (point,) = aggregate(rows, at(12, 0), at(12, 1), 60, None, texts, None)
    # Tolerance: exact for integer counts (nearest rank); rel 1e-12 allows for float noise only.
    for text in texts:
        expected = nearest_rank(samples, float(text[1:]))
        assert point["ExtendedStatistics"][text] == pytest.approx(expected, rel=1e-12)
    assert "Average" not in point


UNIFORM = [(float(v), 1.0) for v in range(1, 101)]  # 1..100, once each

BOUNDED = {
    "p50": 50.0,
    "p0.0": 1.0,
    "p100": 100.0,
    "p99.5": 100.0,
    "TM(10%:90%)": sum(range(11, 91)) / 80,
    "IQM": sum(range(26, 76)) / 50,
    "tm99": sum(range(1, 100)) / 99,
    "TC(10%:90%)": 80.0,
    "tc90": 90.0,
    "TS(10%:90%)": float(sum(range(11, 91))),
    "ts10": float(sum(range(1, 11))),
    "WM(10%:90%)": (sum(range(11, 91)) + 10 * 11 + 10 * 90) / 100,
    "wm99": (sum(range(1, 100)) + 99) / 100,
    "WM(10:90)": (10 * 10 + sum(range(11, 91)) + 10 * 90) / 100,
    "TM(10:20)": sum(range(11, 21)) / 10,
    "TC(0.5:10)": 10.0,
    "TS(95:)": float(sum(range(96, 101))),
    "PR(:50)": 50.0,
    "PR(10:20)": 10.0,
    "PR(100:)": 0.0,
}


@pytest.mark.parametrize(("text", "expected"), BOUNDED.items(), ids=BOUNDED.keys())
def test_percentile_type_statistics_on_known_data(text: str, expected: float) -> None:
    (point,) = aggregate(
        [values_row(at(12, 0), UNIFORM)], at(12, 0), at(12, 1), 60, None, [text], None
    )
    assert point["ExtendedStatistics"][text] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_trimmed_statistics_match_brute_force_on_integer_positions(seed: int) -> None:
    rng = random.Random(100 + seed)
    counts = [rng.randint(1, 10) for _ in range(rng.randint(5, 15))]
    counts[-1] += 100 - sum(counts) % 100  # total a multiple of 100: positions are whole
    pairs = [(float(rng.randint(0, 500)), float(c)) for c in counts]
    samples = sorted(v for v, c in pairs for _ in range(int(c)))
    n = len(samples)
    lo, hi = n * 20 // 100, n * 70 // 100
    kept = samples[lo:hi]
    summary = Summary()
    summary.add(n, sum(samples), samples[0], samples[-1], pairs)

    def value(text: str) -> float | None:
        return summary.value(parse_statistic(text))

    assert value("TM(20%:70%)") == pytest.approx(sum(kept) / len(kept), rel=1e-12)
    assert value("TC(20%:70%)") == pytest.approx(len(kept))
    assert value("TS(20%:70%)") == pytest.approx(sum(kept), rel=1e-12)
    clamped = [kept[0]] * lo + kept + [kept[-1]] * (n - hi)
    assert value("WM(20%:70%)") == pytest.approx(sum(clamped) / n, rel=1e-12)
    assert value("PR(100:300)") == pytest.approx(
        100 * sum(1 for v in samples if 100 < v <= 300) / n
    )


def test_statistic_sets_feed_percentiles_only_as_copies_of_one_value() -> None:
    one_value = [set_row(at(12, 0), 3.0, 6.0, 2.0, 2.0), value_row(at(12, 0, 1), 9.0)]
    (point,) = aggregate(one_value, at(12, 0), at(12, 1), 60, None, ["p50", "p100"], None)
    assert point["ExtendedStatistics"] == {"p50": 2.0, "p100": 9.0}

    spread = [set_row(at(12, 0), 2.0, 3.0, 1.0, 2.0), value_row(at(12, 0, 1), 9.0)]
    points = aggregate(spread, at(12, 0), at(12, 1), 60, None, ["p50"], None)
    assert points == [{"Timestamp": at(12, 0), "Unit": "None"}]
    (mixed,) = aggregate(spread, at(12, 0), at(12, 1), 60, ["Sum"], ["p50"], None)
    assert mixed == {"Timestamp": at(12, 0), "Unit": "None", "Sum": 12.0}


def test_percentiles_are_left_out_when_the_period_has_a_negative_value() -> None:
    rows = [value_row(at(12, 0), -1.0), value_row(at(12, 0, 5), 3.0), value_row(at(12, 1), 4.0)]
    points = aggregate(rows, at(12, 0), at(12, 2), 60, ["Minimum"], ["p90", "TM(:90%)"], None)
    assert points == [
        {"Timestamp": at(12, 0), "Unit": "None", "Minimum": -1.0},
        {
            "Timestamp": at(12, 1),
            "Unit": "None",
            "Minimum": 4.0,
            "ExtendedStatistics": {"p90": 4.0, "TM(:90%)": 4.0},
        },
    ]


def test_fractional_counts_weigh_percentiles() -> None:
    rows = [values_row(at(12, 0), [(1.0, 0.5), (2.0, 0.25), (3.0, 0.25)])]
    (point,) = aggregate(rows, at(12, 0), at(12, 1), 60, None, ["p50", "p51", "p76"], None)
    assert point["ExtendedStatistics"] == {"p50": 1.0, "p51": 2.0, "p76": 3.0}


def test_summary_of_nothing_has_no_statistics() -> None:
    assert Summary().value(parse_statistic("Average")) is None
    assert Summary().value(parse_statistic("p50")) is None


@pytest.mark.parametrize("period", [1, 10, 60, 300, 3600])
def test_standard_statistics_read_the_same_with_and_without_percentiles(period: int) -> None:
    """Without percentiles, aggregate keeps four running totals per bucket instead of a
    Summary: every standard statistic must come out exactly as the Summary path gives it."""
    rng = random.Random(period)
    start = at(10, 0, 7)  # not aligned to the minute: buckets are anchored on the start
    rows = []
    for _ in range(3000):
        ts = start + timedelta(seconds=rng.uniform(-100, 7300))
        low, high = sorted((rng.uniform(-1e6, 1e6), rng.uniform(-1e6, 1e6)))
        count = float(rng.randint(0, 5))
        rows.append((ts, rng.choice(["None", "Bytes"]), count, rng.uniform(-1e9, 1e9), low, high,
                     None))  # fmt: skip
    end = start + timedelta(seconds=7200)
    plain = aggregate(rows, start, end, period, list(STATISTICS), None, "Bytes")
    summed = aggregate(rows, start, end, period, list(STATISTICS), ["p50"], "Bytes")
    assert plain
    assert [{k: v for k, v in p.items() if k != "ExtendedStatistics"} for p in summed] == plain
