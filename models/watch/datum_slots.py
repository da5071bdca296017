"""Combining the datums of one batch that land in the same stored row.

A datum is stored at its storage timestamp: floored to the second for high resolution, to
the minute otherwise (statistics.storage_timestamp). Every statistic reads a stored row as a
whole (no period is shorter than the slot it is stored in, and a bucket never splits a row),
so datums with the same metric, unit, storage resolution and storage timestamp can be one
row with their counts, sums, minima, maxima and value distributions added, and no answer
changes. A 1000-datum request from an agent that batches a few metrics over half an hour
then writes a few hundred rows, not a thousand, and travels to the metrics queue smaller.

Percentiles stay exact: a group keeps (value, count) pairs when all its datums have them
(a plain Value is one pair, a single-valued statistic set is `count` copies of its value,
as statistics.Summary.add reads it). A group with another statistic set has no raw values,
which is what any bucket holding that statistic set would report anyway.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import chain
from operator import itemgetter

from models.watch.datums import Datum, Dimensions
from models.watch.statistics import storage_timestamp

_SlotKey = tuple[str, str, Dimensions, str, int, datetime]
_COUNT, _SUM, _MIN, _MAX = map(Datum._fields.index, ("sample_count", "sum", "minimum", "maximum"))


def combine_by_slot(datums: Sequence[Datum]) -> list[Datum]:
    """The batch with the datums of each storage slot added into one, in first-seen order.

    A slot's datum carries the slot's timestamp; a slot of one datum is that datum as given.
    """
    slots: dict[_SlotKey, list[Datum]] = {}
    for datum in datums:
        key = (
            datum.namespace,
            datum.metric_name,
            datum.dimensions,
            datum.unit,
            datum.storage_resolution,
            storage_timestamp(datum.timestamp, datum.storage_resolution),
        )
        group = slots.get(key)
        if group is None:
            slots[key] = [datum]
        else:
            group.append(datum)
    return [group[0] if len(group) == 1 else _added(group, key[-1]) for key, group in slots.items()]


def _added(group: list[Datum], stamp: datetime) -> Datum:
    parts = [raw_pairs(datum) for datum in group]
    pairs = None if None in parts else _merged(chain.from_iterable(parts))  # type: ignore[arg-type]
    columns = tuple(zip(*group, strict=True))  # one pass for the four summaries below
    first = group[0]
    return Datum(
        first.namespace,
        first.metric_name,
        first.dimensions,
        stamp,
        first.unit,
        first.storage_resolution,
        sample_count=sum(columns[_COUNT]),
        sum=sum(columns[_SUM]),
        minimum=min(columns[_MIN]),
        maximum=max(columns[_MAX]),
        distribution=pairs,
    )


# Below this many pairs a dict adds them faster than building a Counter (a slot of a few
# single values, the usual group); above, Counter's C loop wins (arrays of 150 values).
_COUNTER_FROM = 64


def _merged(pairs: Iterable[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """(value, count) pairs with each value once, its counts added, in first-seen order."""
    pairs = list(pairs)
    if len(pairs) >= _COUNTER_FROM and set(map(itemgetter(1), pairs)) == {1.0}:
        # Plain Values and single Values count 1 each: tallied in C, not pair by pair.
        tally = Counter(map(itemgetter(0), pairs))
        return tuple(zip(tally.keys(), map(float, tally.values()), strict=True))
    merged: dict[float, float] = {}
    for value, count in pairs:
        merged[value] = merged.get(value, 0.0) + count
    return tuple(merged.items())


def raw_pairs(datum: Datum) -> tuple[tuple[float, float], ...] | None:
    """The (value, count) pairs a datum stands for, or None for a statistic set whose
    samples are unknown. The same reading as statistics.Summary.add gives a stored row."""
    if datum.distribution is not None:
        return datum.distribution
    if datum.minimum == datum.maximum and math.isclose(
        datum.sum, datum.minimum * datum.sample_count, rel_tol=1e-9
    ):
        return ((datum.minimum, datum.sample_count),)
    return None
