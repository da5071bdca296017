"""Metric and alarm graphs (models/watch/metric_graphs.py) on a migrated SQLite watch DB.

The graphs read "now" from the clock (their interface has no clock), so the data here is
placed relative to the minute the test starts. Where a test says what is drawn, it compares
with `graphs.render` of the series it expects: same input, same bytes.
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import insert

from config.settings import Settings
from models.errors import InvalidInputError, NotFoundError
from models.sessions import Database, session_scope
from models.watch import alarm_history, alarms, evaluation, graphs, metric_graphs, metrics
from models.watch.alarm_history import StateSpan
from models.watch.alarm_validation import (
    ManualState,
    validate_put_composite_alarm,
    validate_put_metric_alarm,
)
from models.watch.datums import Datum, canonical_dimensions
from models.watch.tables import Alarm, AlarmHistoryItem

pytestmark = pytest.mark.unit

TENANT = "t1"
DEPLOYMENT = alarms.Deployment(region="us-east-1")
HOST = (("Host", "a"),)
MINUTE = timedelta(minutes=1)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SERIES_RGB_HEX = graphs.PALETTE[0]
SERIES_RGB = (0x1F, 0x77, 0xB4)  # graphs.PALETTE[0]
THRESHOLD_RGB = (0xD6, 0x27, 0x28)  # STATE_COLORS["ALARM"], opaque
RED_BAND_RGB = (248, 222, 222)  # STATE_COLORS["ALARM"] at the bands' 15 % over white
GREY_BAND_RGB = (235, 235, 235)  # STATE_COLORS["INSUFFICIENT_DATA"] likewise


@pytest.fixture
def watch_db(migrated_settings: Settings) -> Iterator[Database]:
    database = Database(migrated_settings.watch_database_url, "watch")
    yield database
    database.dispose()


@pytest.fixture
def now() -> datetime:
    """The start of the current minute: graphs end here, data lies before it."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


def datum(value: float, at: datetime, name: str = "CPU", values: tuple = ()) -> Datum:
    pairs = tuple((v, 1.0) for v in values) or ((value, 1.0),)
    return Datum(
        namespace="App", metric_name=name, dimensions=canonical_dimensions(list(HOST)),
        timestamp=at, unit="Percent", storage_resolution=60,
        sample_count=float(len(pairs)), sum=sum(v for v, _ in pairs),
        minimum=min(v for v, _ in pairs), maximum=max(v for v, _ in pairs), distribution=pairs,
    )  # fmt: skip


def push(db: Database, *datums: Datum) -> None:
    with session_scope(db) as session:
        metrics.record_batch(session, TENANT, f"b{id(datums)}-{len(datums)}", list(datums))


def put_alarm(db: Database, at: datetime, name: str = "cpu-high", **overrides: object) -> None:
    params = {
        "AlarmName": name, "Namespace": "App", "MetricName": "CPU",
        "Dimensions": [{"Name": "Host", "Value": "a"}], "Statistic": "Maximum", "Period": 60,
        "EvaluationPeriods": 1, "Threshold": 80.0, "ComparisonOperator": "GreaterThanThreshold",
        **overrides,
    }  # fmt: skip
    params = {k: v for k, v in params.items() if v is not None}
    with session_scope(db) as session:
        alarms.put_metric_alarm(session, DEPLOYMENT, TENANT, validate_put_metric_alarm(params), at)


def set_state(db: Database, name: str, state: str, at: datetime) -> None:
    with session_scope(db) as session:
        alarms.set_alarm_state(
            session, DEPLOYMENT, TENANT, name, ManualState(state, "set by the test"), at
        )


def evaluate(db: Database, at: datetime) -> None:
    with session_scope(db) as session:
        due = evaluation.due_alarms(session, at)
        evaluation.evaluate_alarms(session, DEPLOYMENT, due, at)


def metric_png(db: Database, **kwargs: object) -> bytes:
    args: dict = {
        "namespace": "App", "metric_name": "CPU", "dimensions": list(HOST),
        "statistic": "Maximum", "period": 60,
    }  # fmt: skip
    args.update(kwargs)
    with session_scope(db) as session:
        return metric_graphs.metric_graph(session, TENANT, **args)


def alarm_png(db: Database, name: str, tenant: str = TENANT, **kwargs: object) -> bytes:
    with session_scope(db) as session:
        alarm = alarms.find_alarm(session, TENANT, name)
        assert alarm is not None
        return metric_graphs.alarm_graph(session, tenant, alarm, **kwargs)


def pixels(png: bytes) -> np.ndarray:
    assert png.startswith(PNG_SIGNATURE)
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def count(png: bytes, rgb: tuple[int, int, int], tolerance: int = 2) -> int:
    close = np.abs(pixels(png) - np.array(rgb)).max(axis=2) <= tolerance
    return int(close.sum())


# --- metric_graph --------------------------------------------------------------------------------


def test_a_metric_graph_draws_the_statistic_of_each_period(watch_db, now) -> None:
    start = now - timedelta(hours=3)
    stamps = [start + i * 10 * MINUTE for i in range(18)]
    push(watch_db, *[datum(0, t, values=(10.0 + i, 50.0 + i)) for i, t in enumerate(stamps)])

    png = metric_png(watch_db, start=start, end=now, width=500, height=250)

    expected = graphs.render(
        [graphs.Series("CPU Host=a", stamps, [50.0 + i for i in range(18)], SERIES_RGB_HEX)],
        title="CPU (Maximum, 1 minute)", width=500, height=250, start=start, end=now,
    )  # fmt: skip
    assert png == expected
    assert Image.open(io.BytesIO(png)).size == (500, 250)
    minimum = metric_png(watch_db, statistic="Minimum", start=start, end=now, width=500, height=250)
    assert minimum == graphs.render(
        [graphs.Series("CPU Host=a", stamps, [10.0 + i for i in range(18)], SERIES_RGB_HEX)],
        title="CPU (Minimum, 1 minute)", width=500, height=250, start=start, end=now,
    )  # fmt: skip


def test_percentiles_and_periods_are_read_as_get_metric_statistics_reads_them(
    watch_db, now
) -> None:
    start = now - timedelta(hours=1)
    push(
        watch_db,
        *[datum(0, start + i * MINUTE, values=(1.0, 2.0, 3.0, float(i))) for i in range(10)],
    )
    png = metric_png(watch_db, statistic="p90", period=300, start=start, end=now, title="p90")
    # Two 5-minute buckets of 20 values: 1, 2, 3 five times each and 0..4 (p90: 3), then
    # 1, 2, 3 five times each and 5..9 (p90: the 18th value, 7). Nothing after them.
    assert png == graphs.render(
        [graphs.Series("CPU Host=a", [start, start + 5 * MINUTE], [3.0, 7.0], SERIES_RGB_HEX)],
        title="p90", width=600, height=300, start=start, end=now,
    )  # fmt: skip


def test_a_metric_without_data_still_draws_its_axes(watch_db, now) -> None:
    start = now - timedelta(hours=3)
    push(watch_db, *[datum(60.0, start + i * 10 * MINUTE) for i in range(18)])
    with_data = metric_png(watch_db, start=start, end=now)
    without = metric_png(watch_db, dimensions=[("Host", "b")], start=start, end=now)
    assert pixels(without).shape == (300, 600, 3)
    assert without != with_data
    # Only the legend's sample of the line is left in the series' color.
    assert count(with_data, SERIES_RGB) > 5 * count(without, SERIES_RGB)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"statistic": "Median"}, "The value Median for parameter Statistic is not a valid"),
        ({"statistic": "p101"}, "The value p101 for parameter Statistic is not a valid"),
        ({"period": 7}, "The parameter Period must be a multiple of 60."),
        ({"period": 0}, "The parameter Period must be greater than or equal to 1."),
        ({"period": 60, "hours": 25}, "You have requested up to 1500 datapoints"),
        ({"period": 1, "hours": 3}, "exceeds the limit of 1440"),
        ({"hours": 0}, "The start of the graph must be before its end."),
        ({"width": 0}, "The width of a graph must be a whole number of pixels from 1 to 2000"),
        ({"height": 2001}, "The height of a graph must be a whole number of pixels from 1"),
        ({"width": True}, "The width of a graph"),
        ({"namespace": ""}, "The parameter Namespace must be a string of 1 to 255 characters."),
        ({"metric_name": "x" * 256}, "The parameter MetricName must be a string of 1 to 255"),
        ({"dimensions": [(f"d{i}", "v") for i in range(31)]}, "Dimensions must not have a size"),
    ],
)
def test_what_a_graph_cannot_draw_is_refused_with_a_clear_message(
    watch_db, now, kwargs: dict, message: str
) -> None:
    hours = kwargs.pop("hours", 3)
    with pytest.raises(InvalidInputError) as refused:
        metric_png(watch_db, start=now - timedelta(hours=hours), end=now, **kwargs)
    assert message in refused.value.message


def test_times_without_a_zone_are_utc(watch_db, now) -> None:
    start = now - timedelta(hours=1)
    push(watch_db, datum(42.0, start + 5 * MINUTE))
    naive = metric_png(watch_db, start=start.replace(tzinfo=None), end=now.replace(tzinfo=None))
    assert naive == metric_png(watch_db, start=start, end=now)


# --- alarm_graph ---------------------------------------------------------------------------------


def test_a_metric_alarm_graph_has_its_metric_threshold_and_state_bands(watch_db, now) -> None:
    created = now - timedelta(hours=2)
    put_alarm(watch_db, created)
    push(watch_db, *[datum(50.0 if t < now - 61 * MINUTE else 90.0, t)
                     for t in (created + i * MINUTE for i in range(120))])  # fmt: skip
    evaluate(watch_db, now - 90 * MINUTE + timedelta(seconds=1.5))  # 50: OK
    evaluate(watch_db, now - 60 * MINUTE + timedelta(seconds=1.5))  # 90 at -61 min: ALARM
    start, end = now - timedelta(hours=3), now

    png = alarm_png(watch_db, "cpu-high", start=start, end=end)

    assert count(png, RED_BAND_RGB) > 5000  # ALARM: the last hour, a third of the plot
    assert count(png, GREY_BAND_RGB) > 2000  # INSUFFICIENT_DATA until the first evaluation
    assert count(png, THRESHOLD_RGB, tolerance=40) > 300  # the threshold line (antialiased)
    assert count(png, SERIES_RGB, tolerance=0) > 300
    # Before the alarm went to ALARM: the same graph with no red band.
    before = alarm_png(watch_db, "cpu-high", start=start, end=now - 70 * MINUTE)
    # (a band would be thousands of pixels; the red threshold line's antialiased edges and
    # caption leave a few of that shade)
    assert count(before, RED_BAND_RGB) < 100
    assert count(before, GREY_BAND_RGB) > 2000


def test_the_alarm_graph_is_exactly_its_parts(watch_db, now) -> None:
    created = now - timedelta(hours=2)
    put_alarm(watch_db, created, EvaluationPeriods=3, DatapointsToAlarm=2, Statistic=None,
              ExtendedStatistic="p90", Unit="Percent")  # fmt: skip
    stamps = [created + i * 10 * MINUTE for i in range(12)]
    push(watch_db, *[datum(0, t, values=(float(i), 100.0)) for i, t in enumerate(stamps)])
    set_state(watch_db, "cpu-high", "ALARM", now - 30 * MINUTE)
    start = now - timedelta(hours=3)

    png = alarm_png(watch_db, "cpu-high", start=start, end=now, width=400, height=200)

    with session_scope(watch_db) as session:
        alarm = alarms.find_alarm(session, TENANT, "cpu-high")
        spans = alarm_history.state_spans(session, alarm, start, now, now)
    assert [s.state for s in spans] == ["INSUFFICIENT_DATA", "ALARM"]
    assert png == graphs.render(
        [graphs.Series("CPU Host=a", stamps, [100.0] * 12, SERIES_RGB_HEX)],
        title="cpu-high", width=400, height=200, start=start, end=now,
        annotations=[graphs.Annotation(
            80.0, "CPU > 80 for 2 datapoints within 3 minutes", graphs.STATE_COLORS["ALARM"]
        )],
        bands=metric_graphs.state_bands(spans, start, now, 400),
    )  # fmt: skip


def test_a_metric_math_alarm_graph_draws_its_returned_expression(watch_db, now) -> None:
    created = now - timedelta(hours=2)
    put_alarm(
        watch_db, created, "math", Namespace=None, MetricName=None, Dimensions=None,
        Statistic=None, Period=None,
        Metrics=[
            {"Id": "m1", "ReturnData": False,
             "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "CPU",
                                       "Dimensions": [{"Name": "Host", "Value": "a"}]},
                            "Period": 300, "Stat": "Sum"}},
            {"Id": "e1", "Expression": "m1 * 2", "Label": "doubled"},
        ],
    )  # fmt: skip
    stamps = [created + i * 5 * MINUTE for i in range(24)]
    push(watch_db, *[datum(float(i), t) for i, t in enumerate(stamps)])
    start = now - timedelta(hours=3)

    png = alarm_png(watch_db, "math", start=start, end=now)

    with session_scope(watch_db) as session:
        alarm = alarms.find_alarm(session, TENANT, "math")
        spans = alarm_history.state_spans(session, alarm, start, now, now)
    assert png == graphs.render(
        [graphs.Series("doubled", stamps, [2.0 * i for i in range(24)], SERIES_RGB_HEX)],
        title="math", width=600, height=300, start=start, end=now,
        annotations=[graphs.Annotation(
            80.0, "doubled > 80 for 1 datapoint within 5 minutes", graphs.STATE_COLORS["ALARM"]
        )],
        bands=metric_graphs.state_bands(spans, start, now, 600),
    )  # fmt: skip


def test_a_math_alarm_whose_metrics_cannot_be_read_over_the_range_is_refused(watch_db, now) -> None:
    put_alarm(
        watch_db, now - timedelta(hours=1), "math", Namespace=None, MetricName=None,
        Dimensions=None, Statistic=None, Period=None,
        Metrics=[
            {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "CPU"},
                                        "Period": 60, "Stat": "Sum"}},
        ],
    )  # fmt: skip
    with pytest.raises(InvalidInputError, match="The metric math of alarm math cannot be drawn"):
        alarm_png(watch_db, "math", start=now - timedelta(days=2), end=now)


def test_a_composite_alarm_graph_is_its_state_bands_alone(watch_db, now) -> None:
    created = now - timedelta(hours=2)
    put_alarm(watch_db, created)
    with session_scope(watch_db) as session:
        config = validate_put_composite_alarm(
            {"AlarmName": "any", "AlarmRule": 'ALARM("cpu-high")'}
        )
        alarms.put_composite_alarm(session, DEPLOYMENT, TENANT, config, created)
    set_state(watch_db, "any", "ALARM", now - 60 * MINUTE)
    set_state(watch_db, "any", "OK", now - 30 * MINUTE)
    start = now - timedelta(hours=3)

    png = alarm_png(watch_db, "any", start=start, end=now)

    assert count(png, RED_BAND_RGB) > 3000
    assert count(png, GREY_BAND_RGB) > 3000
    assert count(png, SERIES_RGB, tolerance=40) == 0  # no line, no legend
    with session_scope(watch_db) as session:
        alarm = alarms.find_alarm(session, TENANT, "any")
        spans = alarm_history.state_spans(session, alarm, start, now, now)
    assert png == graphs.render(
        [], title="any", start=start, end=now, width=600, height=300,
        bands=metric_graphs.state_bands(spans, start, now, 600), empty_text=None,
    )  # fmt: skip


def test_another_tenants_alarm_is_not_found(watch_db, now) -> None:
    put_alarm(watch_db, now - timedelta(hours=1))
    with pytest.raises(NotFoundError, match=r"Alarm cpu-high does not exist\."):
        alarm_png(watch_db, "cpu-high", tenant="t2", start=now - timedelta(hours=1), end=now)


def test_alarm_graph_inputs_are_checked(watch_db, now) -> None:
    put_alarm(watch_db, now - timedelta(hours=1))
    with pytest.raises(InvalidInputError, match="start of the graph must be before its end"):
        alarm_png(watch_db, "cpu-high", start=now, end=now - MINUTE)
    with pytest.raises(InvalidInputError, match="width of a graph"):
        alarm_png(watch_db, "cpu-high", start=now - MINUTE, end=now, width=5000)
    with pytest.raises(InvalidInputError, match="exceeds the limit of 1440"):
        alarm_png(watch_db, "cpu-high", start=now - timedelta(days=2), end=now)


# --- State spans and bands -----------------------------------------------------------------------


def spans_of(db: Database, name: str, start: datetime, end: datetime, now: datetime) -> list:
    with session_scope(db) as session:
        alarm = alarms.find_alarm(session, TENANT, name)
        return [
            (s.start, s.end, s.state)
            for s in alarm_history.state_spans(session, alarm, start, end, now)
        ]


def test_state_spans_follow_the_history_from_the_alarms_creation(watch_db, now) -> None:
    t = now - timedelta(hours=2)
    put_alarm(watch_db, t)
    set_state(watch_db, "cpu-high", "ALARM", t + 30 * MINUTE)
    set_state(watch_db, "cpu-high", "OK", t + 60 * MINUTE)
    set_state(watch_db, "cpu-high", "ALARM", t + 90 * MINUTE)

    assert spans_of(watch_db, "cpu-high", now - timedelta(hours=3), now, now) == [
        (t, t + 30 * MINUTE, "INSUFFICIENT_DATA"),
        (t + 30 * MINUTE, t + 60 * MINUTE, "ALARM"),
        (t + 60 * MINUTE, t + 90 * MINUTE, "OK"),
        (t + 90 * MINUTE, now, "ALARM"),
    ]
    # A range inside the history starts in the state it was in; nothing after now.
    assert spans_of(watch_db, "cpu-high", t + 40 * MINUTE, now + MINUTE, now) == [
        (t + 40 * MINUTE, t + 60 * MINUTE, "ALARM"),
        (t + 60 * MINUTE, t + 90 * MINUTE, "OK"),
        (t + 90 * MINUTE, now, "ALARM"),
    ]
    assert spans_of(watch_db, "cpu-high", t + 61 * MINUTE, t + 62 * MINUTE, now) == [
        (t + 61 * MINUTE, t + 62 * MINUTE, "OK")
    ]
    # No transition in the range: the state the next one left.
    assert spans_of(watch_db, "cpu-high", t + 5 * MINUTE, t + 25 * MINUTE, now) == [
        (t + 5 * MINUTE, t + 25 * MINUTE, "INSUFFICIENT_DATA")
    ]
    assert spans_of(watch_db, "cpu-high", t - 60 * MINUTE, t, now) == []


def test_an_alarm_recreated_under_the_same_name_has_only_its_own_states(watch_db, now) -> None:
    t = now - timedelta(hours=2)
    put_alarm(watch_db, t)
    set_state(watch_db, "cpu-high", "ALARM", t + 10 * MINUTE)
    with session_scope(watch_db) as session:
        alarms.delete_alarms(session, DEPLOYMENT, TENANT, ["cpu-high"], t + 20 * MINUTE)
    put_alarm(watch_db, t + 60 * MINUTE)

    assert spans_of(watch_db, "cpu-high", t, now, now) == [
        (t + 60 * MINUTE, now, "INSUFFICIENT_DATA")
    ]


def test_a_range_with_too_many_transitions_is_refused(watch_db, now) -> None:
    put_alarm(watch_db, now - timedelta(hours=2))
    states = ["OK", "ALARM"]
    rows = [
        alarm_history.item_row(
            (TENANT, "cpu-high", "MetricAlarm"), "StateUpdate",
            alarm_history.state_summary(states[i % 2], states[(i + 1) % 2]), {},
            now - timedelta(hours=1) + i * timedelta(milliseconds=100),
        )
        for i in range(alarm_history.MAX_STATE_CHANGES + 1)
    ]  # fmt: skip
    with session_scope(watch_db) as session:
        session.execute(insert(AlarmHistoryItem), rows)
    with pytest.raises(InvalidInputError, match="changed state more than 10000 times"):
        spans_of(watch_db, "cpu-high", now - timedelta(hours=2), now, now)


def test_bands_shade_alarm_and_insufficient_data_on_a_grid_of_pixels() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    pixel = timedelta(seconds=6)  # one hour over 600 pixels
    second = timedelta(seconds=1)
    spans = [
        StateSpan(t0, t0 + 10 * MINUTE, "INSUFFICIENT_DATA"),
        StateSpan(t0 + 10 * MINUTE, t0 + 20 * MINUTE, "OK"),
        StateSpan(t0 + 20 * MINUTE, t0 + 20 * MINUTE + second, "ALARM"),
        StateSpan(t0 + 20 * MINUTE + second, t0 + 30 * MINUTE, "OK"),
        StateSpan(t0 + 30 * MINUTE, t0 + 31 * MINUTE, "ALARM"),
        StateSpan(t0 + 31 * MINUTE, t0 + 31 * MINUTE + 2 * second, "OK"),
        StateSpan(t0 + 31 * MINUTE + 2 * second, t0 + 40 * MINUTE, "ALARM"),
        StateSpan(t0 + 40 * MINUTE, t0 + 50 * MINUTE + 3 * second, "INSUFFICIENT_DATA"),
        StateSpan(t0 + 50 * MINUTE + 3 * second, t0 + 50 * MINUTE + 4 * second, "ALARM"),
        StateSpan(t0 + 50 * MINUTE + 4 * second, t0 + 60 * MINUTE, "OK"),
    ]
    red, grey = graphs.STATE_COLORS["ALARM"], graphs.STATE_COLORS["INSUFFICIENT_DATA"]
    assert metric_graphs.state_bands(spans, t0, t0 + timedelta(hours=1), 600) == [
        graphs.Band(t0, t0 + 10 * MINUTE, grey),
        graphs.Band(t0 + 20 * MINUTE, t0 + 20 * MINUTE + pixel, red),  # a second: a pixel
        graphs.Band(t0 + 30 * MINUTE, t0 + 40 * MINUTE, red),  # an OK under a pixel is lost
        graphs.Band(t0 + 40 * MINUTE, t0 + 50 * MINUTE, grey),
        graphs.Band(t0 + 50 * MINUTE, t0 + 50 * MINUTE + pixel, red),  # ALARM wins a pixel
    ]


def test_a_flapping_alarm_draws_one_band_per_run_of_pixels() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    step = timedelta(seconds=1)
    cycle = ("ALARM", "OK", "INSUFFICIENT_DATA")
    spans = [StateSpan(t0 + i * step, t0 + (i + 1) * step, cycle[i % 3]) for i in range(3600)]
    # Every pixel (36 s) saw ALARM: one band across the hour, not 2,400.
    assert metric_graphs.state_bands(spans, t0, t0 + timedelta(hours=1), 100) == [
        graphs.Band(t0, t0 + timedelta(hours=1), graphs.STATE_COLORS["ALARM"])
    ]
    assert metric_graphs.state_bands(spans, t0, t0, 100) == []


# --- Texts and defaults --------------------------------------------------------------------------


def alarm_row(**fields: object) -> Alarm:
    values = {"alarm_type": "MetricAlarm", "name": "a", "metric_name": "CPU", "period": 60,
              "evaluation_periods": 3, "threshold": 80.0,
              "comparison_operator": "GreaterThanThreshold", **fields}  # fmt: skip
    return Alarm(**values)


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({}, "CPU > 80 for 3 datapoints within 3 minutes"),
        ({"datapoints_to_alarm": 2}, "CPU > 80 for 2 datapoints within 3 minutes"),
        (
            {
                "evaluation_periods": 1,
                "comparison_operator": "LessThanOrEqualToThreshold",
                "threshold": 0.5,
            },
            "CPU <= 0.5 for 1 datapoint within 1 minute",
        ),
        (
            {
                "period": 3600,
                "evaluation_periods": 24,
                "threshold": 1e21,
                "comparison_operator": "GreaterThanOrEqualToThreshold",
            },
            "CPU >= 1e+21 for 24 datapoints within 1 day",
        ),
        (
            {"period": 10, "evaluation_periods": 9, "comparison_operator": "LessThanThreshold"},
            "CPU < 80 for 9 datapoints within 90 seconds",
        ),
    ],
)
def test_the_threshold_is_captioned_as_cloudwatch_captions_it(fields: dict, text: str) -> None:
    assert metric_graphs.threshold_text(alarm_row(**fields), "CPU") == text


def test_the_default_alarm_range_shows_three_hours_or_the_evaluation_window() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    hours = timedelta(hours=1)

    def span(**fields: object) -> timedelta:
        start, end = metric_graphs.alarm_graph_range(alarm_row(**fields), now)
        assert end == now
        return end - start

    assert span() == 3 * hours
    assert span(period=3600, evaluation_periods=5) == 5 * hours
    # The longest window a 10-second alarm can have is a day: cut to 1,440 periods.
    assert span(period=10, evaluation_periods=8640) == timedelta(seconds=14400)
    assert span(alarm_type="CompositeAlarm", period=None, evaluation_periods=None) == 3 * hours
    given = metric_graphs.alarm_graph_range(alarm_row(), now, start=now - hours)
    assert given == (now - hours, now)
    assert metric_graphs.alarm_graph_range(alarm_row(), now, end=now - hours) == (
        now - 4 * hours, now - hours,
    )  # fmt: skip


def test_importing_the_graph_modules_does_not_import_matplotlib() -> None:
    code = (
        "import sys, models.watch.metric_graphs, web.api.watch; print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
