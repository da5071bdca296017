"""Combining a batch's datums by storage slot: fewer rows, and every statistic unchanged."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from models.watch.datum_slots import combine_by_slot, raw_pairs
from models.watch.datums import Datum
from models.watch.statistics import aggregate, storage_timestamp

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)


def value(v: float, *, at: datetime = NOW, name: str = "Lat", host: str = "a",
          unit: str = "Milliseconds", resolution: int = 60) -> Datum:  # fmt: skip
    return Datum("App", name, (("Host", host),), at, unit, resolution,
                 1.0, v, v, v, ((v, 1.0),))  # fmt: skip


def stats(count: float, total: float, low: float, high: float, *, at: datetime = NOW) -> Datum:
    return Datum("App", "Lat", (("Host", "a"),), at, "Milliseconds", 60,
                 count, total, low, high, None)  # fmt: skip


def test_a_datum_alone_in_its_slot_is_passed_on_as_given() -> None:
    only = value(3.0, at=NOW + timedelta(seconds=7))
    assert combine_by_slot([only]) == [only]


def test_datums_of_one_minute_become_one_row_with_their_values_added() -> None:
    batch = [value(1.0, at=NOW + timedelta(seconds=s)) for s in (0, 10, 59)] + [value(1.0)]
    (row,) = combine_by_slot(batch)
    assert row.timestamp == NOW
    assert (row.sample_count, row.sum, row.minimum, row.maximum) == (4.0, 4.0, 1.0, 1.0)
    assert row.distribution == ((1.0, 4.0),)


@pytest.mark.parametrize("size", [10, 100], ids=["added in a dict", "tallied by Counter"])
def test_a_slots_values_are_counted_once_each_in_first_seen_order(size: int) -> None:
    values = [float((i * 3) % 7) for i in range(size)]
    (row,) = combine_by_slot([value(v, at=NOW + timedelta(seconds=i % 60)) for i, v in
                              enumerate(values)])  # fmt: skip
    assert row.distribution == tuple((v, float(values.count(v))) for v in dict.fromkeys(values))
    assert (row.sample_count, row.sum) == (float(size), sum(values))


@pytest.mark.parametrize(
    "other",
    [
        value(1.0, at=NOW + timedelta(seconds=60)),  # next minute
        value(1.0, unit="Seconds"),
        value(1.0, host="b"),
        value(1.0, name="Other"),
        value(1.0, resolution=1),  # high resolution is stored per second, its own slot
    ],
    ids=["minute", "unit", "dimensions", "name", "resolution"],
)
def test_a_different_slot_stays_a_different_row(other: Datum) -> None:
    assert len(combine_by_slot([value(1.0), other])) == 2


def test_high_resolution_datums_share_a_row_only_within_one_second() -> None:
    half = timedelta(milliseconds=500)
    batch = [value(1.0, at=NOW, resolution=1), value(2.0, at=NOW + half, resolution=1),
             value(3.0, at=NOW + 2 * half, resolution=1)]  # fmt: skip
    rows = combine_by_slot(batch)
    assert [(r.timestamp, r.sample_count) for r in rows] == [
        (NOW, 2.0),
        (NOW + 2 * half, 1.0),
    ]


def test_a_statistic_set_with_spread_leaves_the_row_without_raw_values() -> None:
    (row,) = combine_by_slot([value(5.0), stats(4.0, 10.0, 1.0, 4.0)])
    assert (row.sample_count, row.sum, row.minimum, row.maximum) == (5.0, 15.0, 1.0, 5.0)
    assert row.distribution is None


def test_a_single_valued_statistic_set_counts_as_copies_of_its_value() -> None:
    assert raw_pairs(stats(3.0, 6.0, 2.0, 2.0)) == ((2.0, 3.0),)
    (row,) = combine_by_slot([value(2.0), stats(3.0, 6.0, 2.0, 2.0), value(7.0)])
    assert row.distribution == ((2.0, 4.0), (7.0, 1.0))


STATISTICS = ["SampleCount", "Sum", "Minimum", "Maximum", "Average"]
EXTENDED = ["p50", "p90", "p99", "p99.9", "tm90", "TM(10%:90%)", "wm90", "tc90", "ts90",
            "PR(2:8)", "IQM"]  # fmt: skip


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("period", [1, 60, 300])
def test_every_statistic_reads_the_same_from_combined_rows(seed: int, period: int) -> None:
    """Random batches of the shapes clients send (plain values, histograms, statistic sets,
    both resolutions) answer every statistic the same before and after combining."""
    rng = random.Random(seed)
    batch = []
    for _ in range(300):
        at = NOW + timedelta(seconds=rng.uniform(0, 600))
        resolution = rng.choice([1, 60, 60])
        shape = rng.random()
        if shape < 0.6:
            batch.append(value(float(rng.randint(0, 9)), at=at, resolution=resolution,
                               host=rng.choice("ab")))  # fmt: skip
        elif shape < 0.9:
            pairs = {float(rng.randint(0, 9)): float(rng.randint(1, 3)) for _ in range(5)}
            count, total = sum(pairs.values()), sum(v * c for v, c in pairs.items())
            batch.append(Datum("App", "Lat", (("Host", "a"),), at, "Milliseconds", resolution,
                               count, total, min(pairs), max(pairs),
                               tuple(pairs.items())))  # fmt: skip
        else:
            batch.append(stats(2.0, 7.0, 3.0, 4.0, at=at))
    combined = combine_by_slot(batch)
    assert len(combined) < len(batch)

    def answers(datums: list[Datum], host: str) -> list[dict]:
        # As the worker stores them: a single (value, count) pair is not kept.
        rows = [(d.timestamp, d.unit, d.sample_count, d.sum, d.minimum, d.maximum,
                 d.distribution_to_store) for d in datums
                if d.dimensions == (("Host", host),)]  # fmt: skip
        return aggregate(rows, NOW, NOW + timedelta(seconds=660), period, STATISTICS, EXTENDED,
                         None)  # fmt: skip

    stored = [_stored(d) for d in batch]
    for host in "ab":
        before, after = answers(stored, host), answers([_stored(d) for d in combined], host)
        assert len(before) == len(after)
        if host == "b":  # plain values only: percentiles are there to compare
            assert all("ExtendedStatistics" in point for point in before)
        for b, a in zip(before, after, strict=True):
            assert b.keys() == a.keys()
            for key in STATISTICS:
                assert a[key] == pytest.approx(b[key], rel=1e-12), key
            assert a.get("ExtendedStatistics", {}).keys() == b.get("ExtendedStatistics", {}).keys()
            for key, expected in b.get("ExtendedStatistics", {}).items():
                assert a["ExtendedStatistics"][key] == pytest.approx(expected, rel=1e-12), key


def _stored(datum: Datum) -> Datum:
    """The datum at its storage timestamp, where the worker stores it."""
    stamp = storage_timestamp(datum.timestamp, datum.storage_resolution)
    return Datum(datum.namespace, datum.metric_name, datum.dimensions, stamp, datum.unit,
                 datum.storage_resolution, datum.sample_count, datum.sum, datum.minimum,
                 datum.maximum, datum.distribution)  # fmt: skip
