"""MetricWidget parsing (models/watch/widgets.py) and graph rendering (models/watch/graphs.py)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from PIL import Image

from models.errors import InvalidParameterError
from models.watch import graphs, widgets
from models.watch.metric_data import assemble_results

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def plan(**widget: Any) -> widgets.WidgetPlan:
    widget.setdefault("metrics", [["App", "CPU"]])
    return widgets.plan_widget(json.dumps(widget), NOW)


def fetches(p: widgets.WidgetPlan) -> list[tuple[Any, ...]]:
    return [(f.id, f.namespace, f.metric_name, f.dimensions, f.stat, f.period)
            for f in p.queries.fetches]  # fmt: skip


def refused(text: str) -> str:
    with pytest.raises(InvalidParameterError) as error:
        widgets.plan_widget(text, NOW)
    return error.value.message


def refused_widget(**widget: Any) -> str:
    widget.setdefault("metrics", [["App", "CPU"]])
    return refused(json.dumps(widget))


def image(png: bytes) -> Image.Image:
    assert png.startswith(PNG_SIGNATURE)
    picture = Image.open(io.BytesIO(png))
    picture.load()
    return picture


def colors(png: bytes) -> set[tuple[int, int, int]]:
    return set(image(png).convert("RGB").getdata())


def has_color(png: bytes, rgb: tuple[int, int, int], tolerance: int = 24) -> bool:
    """Whether some pixel is close to `rgb` (lines are antialiased, so exact hits may be few)."""
    return any(
        all(abs(a - b) <= tolerance for a, b in zip(pixel, rgb, strict=True))
        for pixel in colors(png)
    )


# --- Defaults ------------------------------------------------------------------------------------


def test_a_bare_widget_takes_the_documented_defaults() -> None:
    p = plan()
    assert fetches(p) == [("m1", "App", "CPU", (), "Average", 300)]
    assert (p.start, p.end) == (NOW - 3 * HOUR, NOW)
    assert (p.width, p.height) == (600, 400)
    assert (p.title, p.stacked, p.legend, p.tz) == ("", False, "bottom", UTC)
    assert (p.annotations, p.bands, dict(p.y_axes)) == ((), (), {})
    assert p.queries.returned == ("m1",)
    assert p.queries.labels["m1"] == "CPU"


def test_widget_stat_and_period_apply_to_rows_without_their_own() -> None:
    p = plan(
        stat="Sum",
        period=60,
        metrics=[["App", "CPU"], ["App", "Mem", {"stat": "p99", "period": 3600}]],
    )
    assert fetches(p) == [
        ("m1", "App", "CPU", (), "Sum", 60),
        ("m2", "App", "Mem", (), "p99", 3600),
    ]


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("-PT3H", 300),  # 36 buckets
        ("-P5D", 300),  # exactly 1440 buckets
        ("-P6D", 900),
        ("-P14D", 900),
        ("-P30D", 3600),  # older than 15 days, and 8640 buckets at 300
        ("-P100D", 21600),
        ("-P3000D", 86400),
    ],
)
def test_the_automatic_period_keeps_a_series_readable(start: str, expected: int) -> None:
    assert plan(start=start).queries.fetches[0].period == expected


def test_the_automatic_period_is_never_finer_than_the_data_still_stored() -> None:
    # Two hours, 70 days ago: 300 s would fit, but data that old is kept hourly only.
    p = plan(start="-P70D", end="-PT1650H")
    assert p.queries.fetches[0].period == 3600


# --- "..." and "." -------------------------------------------------------------------------------


def test_three_dots_repeat_the_leading_fields_of_the_previous_metric() -> None:
    p = plan(
        metrics=[
            ["App", "CPU", "Host", "a", "Zone", "z1"],
            ["...", "z2"],
            ["...", "Zone", "z3"],
            ["...", {"stat": "Maximum"}],
            ["Other", "...", "z4"],
        ]
    )
    assert [(f.namespace, f.metric_name, f.dimensions, f.stat) for f in p.queries.fetches] == [
        ("App", "CPU", (("Host", "a"), ("Zone", "z1")), "Average"),
        ("App", "CPU", (("Host", "a"), ("Zone", "z2")), "Average"),
        ("App", "CPU", (("Host", "a"), ("Zone", "z3")), "Average"),
        ("App", "CPU", (("Host", "a"), ("Zone", "z3")), "Maximum"),
        ("Other", "CPU", (("Host", "a"), ("Zone", "z4")), "Average"),
    ]


def test_one_dot_repeats_the_field_at_the_same_place() -> None:
    p = plan(metrics=[["App", "CPU", "Host", "a"], [".", "Mem", ".", "."], [".", ".", "Host", "b"]])
    assert [(f.namespace, f.metric_name, f.dimensions) for f in p.queries.fetches] == [
        ("App", "CPU", (("Host", "a"),)),
        ("App", "Mem", (("Host", "a"),)),
        ("App", "Mem", (("Host", "b"),)),
    ]


def test_repetition_skips_expression_rows() -> None:
    p = plan(
        metrics=[
            ["App", "CPU", "Host", "a", {"id": "a"}],
            [{"expression": "a * 2"}],
            ["...", "b"],
        ]
    )
    assert [f.dimensions for f in p.queries.fetches] == [(("Host", "a"),), (("Host", "b"),)]


# --- Options and labels --------------------------------------------------------------------------


def test_row_options_reach_the_plan_and_the_styles() -> None:
    p = plan(
        metrics=[
            ["App", "CPU", {"id": "cpu", "label": "Processor", "color": "#FF0000",
                            "yAxis": "right", "region": "us-west-2", "accountId": "1"}],
            ["App", "Mem", {"visible": False, "color": "#0f0"}],
        ]
    )  # fmt: skip
    assert p.queries.returned == ("cpu",)
    assert p.queries.labels["cpu"] == "Processor"
    assert p.styles["cpu"] == widgets.SeriesStyle("#FF0000", "right")
    assert p.styles["m2"] == widgets.SeriesStyle("#0f0", "left")
    # Hidden rows are only read when an expression needs them.
    assert [f.id for f in p.queries.fetches] == ["cpu"]


def test_unlabelled_rows_of_one_metric_are_told_apart_by_their_dimensions() -> None:
    p = plan(
        metrics=[
            ["App", "CPU", "Host", "a"],
            ["...", "b", {"stat": "Maximum"}],
            ["App", "Mem", "Host", "a"],
            ["App", "Disk", {"stat": "Sum"}],
            ["App", "Disk", {"stat": "Maximum"}],
        ]
    )
    labels = p.queries.labels
    assert labels["m1"] == "CPU Host=a Average"
    assert labels["m2"] == "CPU Host=b Maximum"
    assert labels["m3"] == "Mem"
    # Same dimensions: GetMetricData's own default (name plus the differing stat).
    assert (labels["m4"], labels["m5"]) == ("Disk Sum", "Disk Maximum")


def test_generated_ids_give_way_to_explicit_ones() -> None:
    p = plan(metrics=[["App", "CPU"], ["App", "Mem", {"id": "m1"}]])
    assert [f.id for f in p.queries.fetches] == ["m1_", "m1"]


def test_metric_math_rows_are_planned_and_labelled() -> None:
    p = plan(
        metrics=[
            ["App", "Errors", {"id": "e", "visible": False, "stat": "Sum"}],
            ["App", "Requests", {"id": "r", "stat": "Sum"}],
            [
                {
                    "expression": "100 * e / r",
                    "label": "Error rate",
                    "id": "rate",
                    "color": "#123456",
                }
            ],
            [{"expression": "r * 2"}],
            [{"expression": "r + 1", "id": "plus"}],
        ]
    )
    assert [f.id for f in p.queries.fetches] == ["e", "r"]
    assert [s.id for s in p.queries.expressions] == ["rate", "e4", "plus"]
    assert p.queries.returned == ("r", "rate", "e4", "plus")
    t = NOW - HOUR
    output = assemble_results(p.queries, {"e": {t: 5.0}, "r": {t: 50.0}})
    lines = widgets.series(p, output)
    assert [(s.label, list(s.values), s.color) for s in lines] == [
        ("Requests", [50.0], None),
        ("Error rate", [10.0], "#123456"),
        ("r * 2", [100.0], None),
        ("plus", [51.0], None),
    ]


def test_an_array_expression_gives_one_line_per_member_in_its_style() -> None:
    p = plan(
        metrics=[
            ["App", "CPU", "Host", "a"],
            ["...", "b"],
            [{"expression": "METRICS()", "color": "#abcdef", "yAxis": "right"}],
        ]
    )
    lines = widgets.series(p, assemble_results(p.queries, {}))
    assert [(s.label, s.color, s.y_axis) for s in lines] == [
        ("CPU Host=a", None, "left"),
        ("CPU Host=b", None, "left"),
        ("CPU Host=a", "#abcdef", "right"),
        ("CPU Host=b", "#abcdef", "right"),
    ]


# --- Times, sizes and the rest of the widget ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-PT3H", NOW - 3 * HOUR),
        ("-PT90M", NOW - timedelta(minutes=90)),
        ("-PT1H30M15S", NOW - timedelta(hours=1, minutes=30, seconds=15)),
        ("-P1D", NOW - timedelta(days=1)),
        ("-P2W", NOW - timedelta(weeks=2)),
        ("-P1DT12H", NOW - timedelta(days=1, hours=12)),
        ("2026-03-01T06:00:00Z", datetime(2026, 3, 1, 6, tzinfo=UTC)),
        ("2026-03-01T06:00:00.000Z", datetime(2026, 3, 1, 6, tzinfo=UTC)),
        ("2026-03-01T07:00:00+01:00", datetime(2026, 3, 1, 6, tzinfo=UTC)),
        ("2026-03-01T06:00:00", datetime(2026, 3, 1, 6, tzinfo=UTC)),
    ],
)
def test_start_is_iso_8601_or_relative_to_now(text: str, expected: datetime) -> None:
    assert plan(start=text).start == expected


def test_rendering_options_are_read() -> None:
    p = plan(
        title="CPU", width=800, height=300.0, stacked=True, view="timeSeries",
        legend={"position": "right"}, timezone="-0530", end="-PT1H", start="-PT5H",
        yAxis={"left": {"min": 0, "max": 100, "label": "%", "showUnits": False},
               "right": {"label": "count"}},
        liveData=True, region="us-east-1", copilot=True,
    )  # fmt: skip
    assert (p.title, p.width, p.height, p.stacked, p.legend) == ("CPU", 800, 300, True, "right")
    assert p.tz == timezone(-timedelta(hours=5, minutes=30))
    assert (p.start, p.end) == (NOW - 5 * HOUR, NOW - HOUR)
    assert p.y_axes == {
        "left": graphs.Axis(0.0, 100.0, "%"),
        "right": graphs.Axis(None, None, "count"),
    }


def test_annotations_become_lines_and_bands() -> None:
    p = plan(
        annotations={
            "horizontal": [
                {"value": 80, "label": "threshold", "color": "#ff0000", "fill": "above"},
                [{"value": 10, "label": "normal", "yAxis": "right"}, {"value": 20}],
                {"value": 5, "visible": False},
            ],
            "vertical": [
                {"value": "-PT1H", "label": "deploy", "color": "#00ff00", "fill": "after"},
                [{"value": "2026-03-01T10:00:00Z", "label": "outage"},
                 {"value": "2026-03-01T09:30:00Z"}],
                {"value": "-PT2H"},
            ],
        }
    )  # fmt: skip
    assert p.annotations == (
        graphs.Annotation(80.0, "threshold", "#ff0000", "above"),
        graphs.Annotation(10.0, "normal", y_axis="right", end_value=20.0),
    )
    assert p.bands == (
        graphs.Band(NOW - HOUR, NOW, "#00ff00"),
        graphs.Band(NOW - HOUR, NOW - HOUR, "#00ff00", "deploy"),
        graphs.Band(NOW - 2.5 * HOUR, NOW - 2 * HOUR, None, "outage"),
        graphs.Band(NOW - 2 * HOUR, NOW - 2 * HOUR),
    )


# --- Refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The MetricWidget is not valid JSON: Expecting value"),
        ('{"metrics": [["App", "CPU"]]', "The MetricWidget is not valid JSON"),
        (
            '{"metrics": [["App", "CPU"]], "width": NaN}',
            "The MetricWidget is not valid JSON: NaN is",
        ),
        ("[" * 100_000 + "]" * 100_000, "The MetricWidget must not be longer than 102400 bytes."),
        ("[]", "The MetricWidget must be a JSON object."),
        ("{}", "Invalid MetricWidget at /: the property metrics is required."),
    ],
)
def test_documents_that_are_not_a_widget_are_refused(text: str, message: str) -> None:
    assert refused(text).startswith(message)


def test_nesting_too_deep_for_the_parser_is_refused() -> None:
    assert refused("[" * 50_000 + "]" * 50_000).startswith("The MetricWidget is not valid JSON")


@pytest.mark.parametrize(
    ("metrics", "message"),
    [
        ([], "at /metrics: metrics must be a non-empty array of arrays."),
        ("App", "at /metrics: metrics must be a non-empty array of arrays."),
        ([["App", f"m{i}"] for i in range(101)], "at /metrics: a graph can have at most 100"),
        ([[]], "at /metrics/0: each metric must be a non-empty array."),
        (["App"], "at /metrics/0: each metric must be a non-empty array."),
        ([["App", 5]], "at /metrics/0/1: a metric field must be a string."),
        ([["App", "CPU", {}, "x"]], "at /metrics/0/2: a metric field must be a string."),
        ([["App"]], "at /metrics/0: a metric needs a namespace and a metric name."),
        ([[{}]], "at /metrics/0: a metric needs a namespace and a metric name."),
        ([["App", "CPU", "Host"]], "at /metrics/0: the dimension Host has no value."),
        ([["", "CPU"]], "at /metrics/0: the namespace must have 1 to 255 characters."),
        ([["App", "C" * 256]], "at /metrics/0: the metric name must have 1 to 255"),
        ([["App", "CPU", "", "v"]], "at /metrics/0: a dimension name must have 1 to 255"),
        ([["App", "CPU", "Host", ""]], "the value of dimension Host must have 1 to 1024"),
        ([["App", "CPU", "H", "a", "H", "b"]], "at /metrics/0: the dimension H is given twice."),
        (
            [["App", "CPU", *[f"d{i}" if j == 0 else "v" for i in range(31) for j in (0, 1)]]],
            "at /metrics/0: a metric can have at most 30 dimensions.",
        ),
        (
            [["...", "CPU"]],
            'at /metrics/0/0: "..." repeats the previous metric, but there is none.',
        ),
        ([["App", "CPU"], ["...", "a", "b", "c"]], 'at /metrics/1/0: "..." repeats fields of the'),
        ([["App", "CPU"], ["...", "..."]], 'at /metrics/1: a metric can use "..." only once.'),
        ([[".", "CPU"]], 'at /metrics/0/0: "." repeats the previous metric\'s field, but there'),
        ([["App", "CPU"], ["App", "CPU", ".", "v"]], 'at /metrics/1/2: "." repeats the previous'),
        ([["App", "CPU", {"stat": "Avg"}]], 'at /metrics/0/stat: the statistic "Avg" is not'),
        ([["App", "CPU", {"stat": 5}]], "at /metrics/0/stat: the statistic 5 is not valid."),
        ([["App", "CPU", {"period": 90}]], "at /metrics/0/period: the period 90 must be 1, 5,"),
        ([["App", "CPU", {"period": 0}]], "the period 0 is not a positive whole number."),
        ([["App", "CPU", {"period": "60"}]], 'the period "60" is not a positive whole number.'),
        ([["App", "CPU", {"id": "Cpu"}]], 'at /metrics/0/id: the id "Cpu" must start with a'),
        ([["App", "CPU", {"id": "a"}], ["App", "M", {"id": "a"}]], "at /metrics/1/id: the id a"),
        ([["App", "CPU", {"label": 1}]], "at /metrics/0/label: 1 is not a string."),
        ([["App", "CPU", {"color": "red"}]], 'at /metrics/0/color: the color "red" is not a'),
        ([["App", "CPU", {"yAxis": "top"}]], 'at /metrics/0/yAxis: "top" is not left or right.'),
        ([["App", "CPU", {"visible": "no"}]], 'at /metrics/0/visible: "no" is not true or false.'),
        ([["App", {"expression": "1"}]], "at /metrics/0: an expression row has only its options"),
        ([[{"expression": ""}]], "at /metrics/0/0/expression: the expression must be a non-empty"),
        ([[{"expression": "x" * 2049}]], "the expression must not be longer than 2048"),
        ([[{"expression": "m9 * 2"}]], "Invalid MetricWidget: Error in expression e1: Unrecog"),
        ([[{"expression": "SUM(", "id": "s"}]], "Invalid MetricWidget: Error in expression s:"),
    ],
)
def test_bad_metric_rows_are_refused_with_where_and_why(metrics: Any, message: str) -> None:
    assert message in refused_widget(metrics=metrics)


@pytest.mark.parametrize(
    ("widget", "message"),
    [
        ({"start": "yesterday"}, 'at /start: "yesterday" is neither an ISO 8601 time'),
        ({"start": 5}, "at /start: 5 is not a time."),
        ({"end": "-P1M"}, 'at /end: "-P1M": months and years are not supported'),
        ({"start": "-P1Y"}, "months and years are not supported"),
        ({"start": "-PT"}, 'at /start: "-PT" is not a relative time such as -PT3H'),
        ({"start": "-P"}, "is not a relative time"),
        ({"start": "-PT1.5H"}, "is not a relative time"),
        ({"start": "-PT1H", "end": "-PT2H"}, "at /start: start must be before end."),
        ({"start": "-PT1H", "end": "-PT1H"}, "at /start: start must be before end."),
        ({"period": 45}, "at /period: the period 45 must be 1, 5, 10, 20, 30 or a multiple of 60"),
        ({"period": True}, "at /period: the period true is not a positive whole number."),
        ({"period": 10**20}, "at /period: the period 100000000000000000000 is longer than"),
        ({"start": "-P99999999999D"}, 'at /start: "-P99999999999D" is too far in the past.'),
        ({"stat": "Mean"}, 'at /stat: the statistic "Mean" is not valid.'),
        ({"width": 0}, "at /width: 0 is not a whole number of pixels from 1 to 2000."),
        ({"height": 2001}, "at /height: 2001 is not a whole number of pixels"),
        ({"width": 10.5}, "at /width: 10.5 is not a whole number"),
        ({"title": ["x"]}, 'at /title: ["x"] is not a string.'),
        ({"stacked": "yes"}, 'at /stacked: "yes" is not true or false.'),
        ({"view": "singleValue"}, 'at /view: the view "singleValue" is not supported'),
        ({"legend": {"position": "top"}}, 'at /legend/position: "top" is not bottom, right or'),
        ({"legend": "bottom"}, 'at /legend: "bottom" is not an object.'),
        ({"timezone": "Local"}, 'at /timezone: "Local" is not UTC or an offset'),
        ({"timezone": "+2500"}, "at /timezone:"),
        ({"yAxis": {"left": {"min": "0"}}}, 'at /yAxis/left/min: "0" is not a number.'),
        ({"yAxis": {"left": {"min": 5, "max": 5}}}, "at /yAxis/left: min must be less than max."),
        ({"yAxis": {"right": []}}, "at /yAxis/right: [] is not an object."),
        ({"annotations": []}, "at /annotations: [] is not an object."),
        ({"annotations": {"alarms": ["arn"]}}, "at /annotations/alarms: alarm annotations are"),
        ({"annotations": {"horizontal": {}}}, "at /annotations/horizontal: {} is not an array."),
        ({"annotations": {"horizontal": [{"value": i} for i in range(101)]}},
         "at /annotations: a graph can have at most 100 annotations."),
        ({"annotations": {"horizontal": [{"label": "x"}]}},
         "at /annotations/horizontal/0/value: null is not a number."),
        ({"annotations": {"horizontal": [[{"value": 1}]]}},
         "at /annotations/horizontal/0: a band annotation is a pair of annotations."),
        ({"annotations": {"horizontal": [[{"value": 1}, {"value": "2"}]]}},
         "at /annotations/horizontal/0/1/value: \"2\" is not a number."),
        ({"annotations": {"horizontal": [{"value": 1, "fill": "left"}]}},
         'at /annotations/horizontal/0/fill: "left" is not above, below or none.'),
        ({"annotations": {"horizontal": [{"value": 1, "color": "#12"}]}},
         "at /annotations/horizontal/0/color: the color"),
        ({"annotations": {"vertical": [{"value": 5}]}},
         "at /annotations/vertical/0/value: 5 is not a time."),
        ({"annotations": {"vertical": [{"value": "-PT1H", "fill": "above"}]}},
         'at /annotations/vertical/0/fill: "above" is not before, after or none.'),
        ({"annotations": {"vertical": ["x"]}}, 'at /annotations/vertical/0: "x" is not an object.'),
    ],
)  # fmt: skip
def test_bad_widget_properties_are_refused_with_where_and_why(
    widget: dict[str, Any], message: str
) -> None:
    assert message in refused_widget(**widget)


def test_a_graph_that_would_read_too_many_datapoints_is_refused() -> None:
    metrics = [["App", f"m{i}", {"period": 60}] for i in range(8)]
    message = refused_widget(metrics=metrics, start="-P9D")  # 8 x 12960 buckets
    assert message == (
        "Invalid MetricWidget at /metrics: the graph would read 103680 datapoints (the time "
        "range divided by the period, for each metric); the limit is 100800. Use a longer "
        "period or a shorter time range."
    )
    plan(metrics=metrics[:7], start="-P9D")  # 90720: allowed


# --- Rendering -----------------------------------------------------------------------------------

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TIMES = [T0 + timedelta(minutes=5 * i) for i in range(36)]


def cpu(color: str | None = "#1f77b4", **kwargs: Any) -> graphs.Series:
    return graphs.Series("CPU", TIMES, [40.0 + (i % 6) * 5 for i in range(36)], color, **kwargs)


def render(series: list[graphs.Series], **kwargs: Any) -> bytes:
    kwargs.setdefault("start", T0)
    kwargs.setdefault("end", T0 + 3 * HOUR)
    return graphs.render(series, **kwargs)


def test_importing_the_graph_modules_does_not_import_matplotlib() -> None:
    code = (
        "import sys, models.watch.graphs, models.watch.widgets, web.aws.widget_images; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(("width", "height"), [(600, 400), (1, 1), (2000, 2000), (333, 177)])
def test_a_graph_is_a_png_of_exactly_the_asked_size(width: int, height: int) -> None:
    png = render([cpu()], title="CPU", width=width, height=height)
    assert image(png).size == (width, height)


def test_the_same_input_gives_the_same_bytes_without_software_text() -> None:
    kwargs = {"title": "CPU", "annotations": [graphs.Annotation(60.0, "max", "#ff0000")]}
    first = render([cpu()], **kwargs)
    assert render([cpu()], **kwargs) == first
    assert b"matplotlib" not in first
    assert "Software" not in image(first).info


def test_series_are_drawn_in_their_color_and_the_palette_fills_in_by_position() -> None:
    other = graphs.Series("Mem", TIMES, [10.0] * 36)
    png = render([cpu("#ff00ff"), other])
    assert has_color(png, (255, 0, 255), tolerance=0)
    assert has_color(png, (0xFF, 0x7F, 0x0E), tolerance=0)  # the palette's second color
    assert not has_color(png, (0x1F, 0x77, 0xB4))  # the first is the series' own


def test_no_data_is_a_readable_state_distinct_from_a_graph() -> None:
    empty = render([graphs.Series("CPU", [], [], "#ff00ff")], title="CPU")
    assert image(empty).size == (600, 400)
    assert render([graphs.Series("CPU", [], [], "#ff00ff")], title="CPU") == empty
    assert render([cpu("#ff00ff")], title="CPU") != empty
    # Nothing at all to draw (not even a time range) still gives an image.
    assert image(graphs.render([])).size == (600, 400)


def test_a_single_datapoint_is_visible() -> None:
    lone = graphs.Series("CPU", [T0 + HOUR], [5.0], "#ff00ff")
    assert has_color(render([lone], legend="hidden"), (255, 0, 255), tolerance=0)


def test_annotations_and_bands_are_drawn_in_their_colors() -> None:
    png = render(
        [cpu(), cpu("#2ca02c", y_axis="right")],
        annotations=[
            graphs.Annotation(80.0, "threshold", "#ff0000", fill="above"),
            graphs.Annotation(10.0, "normal", "#0000ff", end_value=20.0),
        ],
        bands=[
            graphs.Band(T0 + HOUR, T0 + HOUR, "#00ffff", "deploy"),
            graphs.Band(T0, T0 + HOUR, graphs.STATE_COLORS["ALARM"], "ALARM"),
        ],
    )
    for rgb in ((255, 0, 0), (0, 255, 255), (0x2C, 0xA0, 0x2C)):
        assert has_color(png, rgb), rgb
    assert has_color(png, (224, 224, 255), tolerance=8)  # the 10-20 band: translucent blue
    assert render([cpu()]) != png


def test_stacked_right_legend_axis_bounds_and_time_zone_render() -> None:
    base = render([cpu(), cpu("#ff7f0e")])
    for kwargs in (
        {"stacked": True},
        {"legend": "right"},
        {"legend": "hidden"},
        {"y_axes": {"left": graphs.Axis(0.0, 100.0, "Percent")}},
        {"tz": timezone(timedelta(hours=9))},
    ):
        png = render([cpu(), cpu("#ff7f0e")], **kwargs)
        assert image(png).size == (600, 400)
        assert png != base, kwargs


def test_a_hundred_series_fit_with_a_shortened_legend() -> None:
    many = [graphs.Series(f"series {i}", TIMES, [float(i)] * 36) for i in range(100)]
    assert image(render(many, title="100 series")).size == (600, 400)


@pytest.mark.parametrize("size", [{"width": 0}, {"height": 2001}])
def test_render_refuses_a_size_out_of_range(size: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be between 1 and 2000"):
        graphs.render([], **size)


@pytest.mark.parametrize("text", ["$x^$", r"$\frac$", "$$", "50% of $5"])
def test_dollar_signs_are_text_not_tex(text: str) -> None:
    # mathtext would fail on these (ValueError: a 500 from either API) or typeset them.
    png = render(
        [graphs.Series(text, TIMES, [1.0] * 36)],
        title=text,
        annotations=[graphs.Annotation(1.0, text)],
        bands=[graphs.Band(T0, T0, None, text)],
    )
    assert image(png).size == (600, 400)


@pytest.mark.parametrize("value", [1e301, -1e308, 1.7976931348623157e308])
def test_values_beyond_what_an_axis_can_scale_are_left_out(value: float) -> None:
    plain = render([cpu()])
    huge = graphs.Series("huge", [T0 + HOUR], [value], "#1f77b4")
    drawn = render(
        [cpu(), huge],
        annotations=[graphs.Annotation(value, "far"), graphs.Annotation(1.0, end_value=value)],
        y_axes={"left": graphs.Axis(min=value)},
    )
    # Left out entirely: the same picture as without them, but for the legend entry.
    assert image(drawn).size == (600, 400)
    assert drawn == render([cpu(), graphs.Series("huge", [], [], "#1f77b4")])
    assert drawn != plain


def test_a_timeline_has_bands_and_no_values() -> None:
    band = graphs.Band(T0 + HOUR, T0 + 2 * HOUR, graphs.STATE_COLORS["ALARM"])
    timeline = render([], bands=[band], empty_text=None)
    assert timeline != render([], bands=[band])  # no "No data available.", no y ticks
    assert has_color(timeline, (248, 222, 222), tolerance=2)
