"""GetMetricWidgetImage's MetricWidget (cloudwatch-api.md §3.15): JSON text in, a plan out. Pure.

`plan_widget(text, now)` validates the widget and returns a `WidgetPlan`: a GetMetricData
`Plan` (`metric_data.plan_queries`) for `metric_queries.run_plan` to read, plus everything
`graphs.render` needs. `series(plan, output)` turns run_plan's output into `graphs.Series`.
Reading through the GetMetricData plan gives graphs the same numbers, labels and metric
math as GetMetricData itself (run_plan reads each metric with `metric_queries.datapoints`).

Widget syntax (AWS's "Metric Widget Structure and Syntax"):
- `metrics` (required, 1 to MAX_METRICS rows). A metric row is
  `[Namespace, MetricName, DimName1, DimValue1, ..., {options}]`; an expression row is
  `[{"expression": "...", ...options}]`. Options: `stat`, `period`, `label`, `color`
  (`#rgb` / `#rrggbb`), `yAxis` (`left` / `right`), `id`, `visible` (false: not drawn,
  still readable by expressions).
- `"..."` in a row stands for the previous metric row's fields at that place, as many as
  make the row as long as that one: after `[NS, Name, "Host", "a"]`, `["...", "b"]` is
  `[NS, Name, "Host", "b"]` and `["...", {"stat": "Sum"}]` the same metric again. `"."`
  stands for the previous row's field at the same position. "Previous" is the nearest
  metric row above; expression rows have no fields to repeat.
- `start` / `end`: ISO 8601 (no offset means UTC) or relative to now as `-P…` with weeks,
  days, hours, minutes, seconds (`-PT3H`, `-P7D`, `-PT1H30M`). Defaults `-PT3H` and now.
- `period`, `stat` (widget defaults for the rows), `title`, `width` / `height` (pixels,
  1 to 2000, default 600 x 400 as AWS documents), `view`, `stacked`, `legend.position`,
  `yAxis.left|right.{min,max,label}`, `timezone` (`UTC`, `+HHMM`, `-HHMM`), `annotations`.
- Annotations: `horizontal` items `{value, label, color, fill: above|below, yAxis, visible}`
  or a pair of them (a band between the two values); `vertical` items `{value: time,
  label, color, fill: before|after, visible}` or a pair (a time band).

Decisions where AWS leaves room:
- Every refusal is InvalidParameterValue (InvalidParameterError), naming where the problem
  is as a JSON Pointer into the widget, as dashboard validation does: `Invalid MetricWidget
  at /metrics/1/0: ...`. Problems that GetMetricData's planner finds (metric math errors,
  unknown or circular references) keep its text after `Invalid MetricWidget: `.
- Unknown properties are ignored, as the console ignores them: console-made widgets carry
  `region`, `accountId`, `liveData`, `sparkline` and the like. `region` / `accountId` cannot
  point elsewhere here: every row reads the caller's own metrics.
- Refused because they would draw something other than what was asked: a `view` other than
  `timeSeries`, `annotations.alarms`, a `timezone` other than a fixed offset (no "Local" on
  a server), relative times in months or years (not a fixed length).
- Period: a row's `period`, else the widget's, else an automatic one: 300 s (AWS's default)
  unless the range would then give more than AUTO_POINTS buckets per series, in which case
  the first of AUTO_PERIODS that keeps within it; never finer than the data's age still
  stores (older than 15 days: 300 s; older than 63 days: 3600 s). At most MAX_PERIOD.
- A graph reads at most MAX_GRAPH_DATAPOINTS buckets (range / period, summed over the metric
  rows; GetMetricData's page size): more is refused, so results are never paged or cut.
- Rows without an `id` get `m<row>` (metric) or `e<row>` (expression), row counted from 1,
  with "_" appended while that is someone's explicit id. Labels are GetMetricData's, with
  two changes for a legend: unlabelled rows of one metric name with different dimensions
  add their dimensions (`CPU Host=a`), and an unlabelled expression without `id` is
  called by its text rather than by its generated id.
- At most MAX_ANNOTATIONS annotations (horizontal and vertical together), to bound drawing.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

from models.errors import DomainError, InvalidParameterError
from models.watch import graphs, metric_data
from models.watch.metric_data import Plan
from models.watch.metric_data_validation import EXPRESSION_MAX, ID_MAX
from models.watch.metric_math_parser import ID_PATTERN
from models.watch.metric_validation import (
    DIMENSION_NAME_MAX,
    DIMENSION_VALUE_MAX,
    MAX_DIMENSIONS,
    METRIC_NAME_MAX,
    NAMESPACE_MAX,
)
from models.watch.statistics import SUB_MINUTE_PERIODS, min_period_for_age, parse_statistic

MAX_WIDGET_BYTES = 100 * 1024  # "Up to 100 KB uncompressed payload" (§3.15)
MAX_METRICS = 100
MAX_ANNOTATIONS = 100
MAX_GRAPH_DATAPOINTS = 100_800
AUTO_POINTS = 1440
AUTO_PERIODS = (300, 900, 3600, 21600, 86400)
MAX_PERIOD = 455 * 86400  # no bucket longer than the data is kept (§4.1)
DEFAULT_START = "-PT3H"
DEFAULT_STAT = "Average"
VIEWS = ("timeSeries",)

_REPEAT_ALL = "..."
_REPEAT_ONE = "."
_RELATIVE = re.compile(
    r"-P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)
_OFFSET = re.compile(r"([+-])(\d{2})(\d{2})")
# Results are bounded by MAX_GRAPH_DATAPOINTS before any read, so a graph is never paged.
_NO_PAGING = 2**31 - 1


@dataclass(frozen=True)
class SeriesStyle:
    color: str | None
    y_axis: str
    # Shown instead of the query's Id, GetMetricData's label for an unlabelled expression.
    id_label: str | None = None


@dataclass(frozen=True)
class WidgetPlan:
    queries: Plan  # for metric_queries.run_plan
    styles: Mapping[str, SeriesStyle]  # by query Id
    title: str
    width: int
    height: int
    start: datetime
    end: datetime
    annotations: tuple[graphs.Annotation, ...]
    bands: tuple[graphs.Band, ...]
    y_axes: Mapping[str, graphs.Axis]
    stacked: bool
    legend: str
    tz: tzinfo


def plan_widget(text: str, now: datetime) -> WidgetPlan:
    """Validate a MetricWidget and say what to read and how to draw it."""
    widget = _load(text)
    if "metrics" not in widget:
        raise _refuse("", "the property metrics is required.")
    start = _time(widget.get("start", DEFAULT_START), "/start", now)
    end = _time(widget.get("end", "-PT0H"), "/end", now)
    if start >= end:
        raise _refuse("/start", "start must be before end.")

    if "period" in widget:
        period = _period(widget["period"], "/period")
    else:
        period = _auto_period(start, end, now)
    stat = _stat(widget["stat"], "/stat") if "stat" in widget else DEFAULT_STAT
    queries, styles = _rows(widget["metrics"], stat, period)
    _check_reads(queries, start, end)
    try:
        plan = metric_data.plan_queries(queries, start, end, now, max_datapoints=_NO_PAGING)
    except DomainError as exc:
        raise InvalidParameterError(f"Invalid MetricWidget: {exc.message}") from None

    view = widget.get("view", VIEWS[0])
    if view not in VIEWS:
        raise _refuse("/view", f"the view {_shown(view)} is not supported; use timeSeries.")
    annotations, bands = _annotations(widget.get("annotations", {}), start, end, now)
    return WidgetPlan(
        queries=plan,
        styles=styles,
        title=_string(widget.get("title", ""), "/title"),
        width=_size(widget.get("width", graphs.DEFAULT_WIDTH), "/width"),
        height=_size(widget.get("height", graphs.DEFAULT_HEIGHT), "/height"),
        start=start,
        end=end,
        annotations=annotations,
        bands=bands,
        y_axes=_y_axes(widget.get("yAxis", {})),
        stacked=_boolean(widget.get("stacked", False), "/stacked"),
        legend=_legend(widget.get("legend", {})),
        tz=_timezone(widget.get("timezone", "+0000")),
    )


def series(plan: WidgetPlan, output: Mapping[str, Any]) -> list[graphs.Series]:
    """run_plan's output as the graph's lines, in row order (a TS[] expression gives several
    results, which share its style)."""
    lines = []
    for result in output["MetricDataResults"]:
        style = plan.styles[result["Id"]]
        label = result["Label"]
        if style.id_label and label == result["Id"]:
            label = style.id_label
        lines.append(
            graphs.Series(
                label=label,
                timestamps=result["Timestamps"],
                values=result["Values"],
                color=style.color,
                y_axis=style.y_axis,
            )
        )
    return lines


# --- The document --------------------------------------------------------------------------------


def _load(text: str) -> dict[str, Any]:
    if len(text.encode("utf-8")) > MAX_WIDGET_BYTES:
        raise InvalidParameterError(
            f"The MetricWidget must not be longer than {MAX_WIDGET_BYTES} bytes."
        )
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:  # JSONDecodeError, and _refuse_constant's
        raise InvalidParameterError(f"The MetricWidget is not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidParameterError(
            "The MetricWidget is not valid JSON: nested too deeply."
        ) from None
    if not isinstance(document, dict):
        raise InvalidParameterError("The MetricWidget must be a JSON object.")
    return document


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _refuse(path: str, text: str) -> InvalidParameterError:
    return InvalidParameterError(f"Invalid MetricWidget at {path or '/'}: {text}")


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 100 else text[:100] + "..."


# --- Metric rows ---------------------------------------------------------------------------------


@dataclass
class _Row:
    path: str
    options: dict[str, Any]
    fields: list[str] | None  # None: an expression row


def _rows(
    rows: Any, default_stat: str, default_period: int
) -> tuple[list[dict[str, Any]], dict[str, SeriesStyle]]:
    """GetMetricData queries for the rows, and each query's style, by Id."""
    if not isinstance(rows, list) or not rows:
        raise _refuse("/metrics", "metrics must be a non-empty array of arrays.")
    if len(rows) > MAX_METRICS:
        raise _refuse("/metrics", f"a graph can have at most {MAX_METRICS} metrics.")
    parsed: list[_Row] = []
    previous: list[str] | None = None
    for i, row in enumerate(rows):
        parsed.append(_row(f"/metrics/{i}", row, previous))
        previous = parsed[-1].fields or previous

    explicit: set[str] = set()
    for row in parsed:
        if "id" in row.options:
            query_id = _id(row.options["id"], f"{row.path}/id")
            if query_id in explicit:
                raise _refuse(f"{row.path}/id", f"the id {query_id} is used twice.")
            explicit.add(query_id)

    queries, styles = [], {}
    for number, row in enumerate(parsed, start=1):
        options = row.options
        query_id = options.get("id")
        if query_id is None:
            query_id = f"{'m' if row.fields is not None else 'e'}{number}"
            while query_id in explicit:
                query_id += "_"
        query: dict[str, Any] = {
            "Id": query_id,
            "ReturnData": _boolean(options.get("visible", True), f"{row.path}/visible"),
        }
        if label := _string(options.get("label", ""), f"{row.path}/label"):
            query["Label"] = label
        if row.fields is None:
            query["Expression"] = options["expression"]
            if "period" in options:
                query["Period"] = _period(options["period"], f"{row.path}/period")
        else:
            period = default_period
            if "period" in options:
                period = _period(options["period"], f"{row.path}/period")
            stat = _stat(options["stat"], f"{row.path}/stat") if "stat" in options else default_stat
            metric = _metric(row.fields, row.path)
            query["MetricStat"] = {"Metric": metric, "Period": period, "Stat": stat}
        queries.append(query)
        styles[query_id] = SeriesStyle(
            color=_color(options.get("color"), f"{row.path}/color"),
            y_axis=_side(options.get("yAxis", "left"), f"{row.path}/yAxis"),
            id_label=options["expression"] if row.fields is None and "id" not in options else None,
        )
    _label_by_dimensions(queries)
    return queries, styles


def _label_by_dimensions(queries: list[dict[str, Any]]) -> None:
    """Unlabelled rows of one metric name but different dimensions would all be called by the
    metric name (GetMetricData's default): name them `<name> <dim>=<value>,...` instead, with
    the Stat and Period when those differ too (as GetMetricData does)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for query in queries:
        if "MetricStat" in query and "Label" not in query:
            name = query["MetricStat"]["Metric"]["MetricName"]
            groups.setdefault(name, []).append(query)
    for name, members in groups.items():
        texts = [_dimensions_text(q["MetricStat"]["Metric"]) for q in members]
        if len(set(texts)) < 2:
            continue
        stat_differs = len({q["MetricStat"]["Stat"] for q in members}) > 1
        period_differs = len({q["MetricStat"]["Period"] for q in members}) > 1
        for query, text in zip(members, texts, strict=True):
            parts = [name, text]
            if stat_differs:
                parts.append(query["MetricStat"]["Stat"])
            if period_differs:
                parts.append(str(query["MetricStat"]["Period"]))
            query["Label"] = " ".join(p for p in parts if p)


def _dimensions_text(metric: dict[str, Any]) -> str:
    return ",".join(f"{d['Name']}={d['Value']}" for d in metric.get("Dimensions", []))


def _row(path: str, row: Any, previous: list[str] | None) -> _Row:
    if not isinstance(row, list) or not row:
        raise _refuse(path, "each metric must be a non-empty array.")
    options: dict[str, Any] = {}
    fields = row
    if isinstance(row[-1], dict):
        options, fields = row[-1], row[:-1]
    for j, field in enumerate(fields):
        if not isinstance(field, str):
            raise _refuse(f"{path}/{j}", "a metric field must be a string.")
    if "expression" in options:
        expression = options["expression"]
        if fields:
            raise _refuse(path, "an expression row has only its options object.")
        if not isinstance(expression, str) or not expression.strip():
            raise _refuse(f"{path}/0/expression", "the expression must be a non-empty string.")
        if len(expression) > EXPRESSION_MAX:
            raise _refuse(
                f"{path}/0/expression",
                f"the expression must not be longer than {EXPRESSION_MAX} characters.",
            )
        return _Row(path, options, None)
    return _Row(path, options, _expand(path, list(fields), previous))


def _expand(path: str, fields: list[str], previous: list[str] | None) -> list[str]:
    """Replace "..." and "." by the previous metric row's fields."""
    if fields.count(_REPEAT_ALL) > 1:
        raise _refuse(path, 'a metric can use "..." only once.')
    if _REPEAT_ALL in fields:
        at = fields.index(_REPEAT_ALL)
        if previous is None:
            raise _refuse(f"{path}/{at}", '"..." repeats the previous metric, but there is none.')
        after = fields[at + 1 :]
        count = len(previous) - at - len(after)
        if count < 0:
            raise _refuse(
                f"{path}/{at}",
                f'"..." repeats fields of the previous metric, which has only {len(previous)}.',
            )
        fields = fields[:at] + previous[at : at + count] + after
    for j, field in enumerate(fields):
        if field == _REPEAT_ONE:
            if previous is None or j >= len(previous):
                raise _refuse(
                    f"{path}/{j}", '"." repeats the previous metric\'s field, but there is none.'
                )
            fields[j] = previous[j]
    return fields


def _metric(fields: list[str], path: str) -> dict[str, Any]:
    if len(fields) < 2:
        raise _refuse(path, "a metric needs a namespace and a metric name.")
    if len(fields) % 2:
        raise _refuse(path, f"the dimension {fields[-1]} has no value.")
    namespace, name, pairs = fields[0], fields[1], fields[2:]
    for value, what, maximum in (
        (namespace, "namespace", NAMESPACE_MAX),
        (name, "metric name", METRIC_NAME_MAX),
    ):
        if not value or len(value) > maximum:
            raise _refuse(path, f"the {what} must have 1 to {maximum} characters.")
    dimensions = [{"Name": n, "Value": v} for n, v in zip(pairs[::2], pairs[1::2], strict=True)]
    if len(dimensions) > MAX_DIMENSIONS:
        raise _refuse(path, f"a metric can have at most {MAX_DIMENSIONS} dimensions.")
    seen: set[str] = set()
    for dimension in dimensions:
        dim_name, dim_value = dimension["Name"], dimension["Value"]
        if not dim_name or len(dim_name) > DIMENSION_NAME_MAX:
            raise _refuse(path, f"a dimension name must have 1 to {DIMENSION_NAME_MAX} characters.")
        if not dim_value or len(dim_value) > DIMENSION_VALUE_MAX:
            raise _refuse(
                path,
                f"the value of dimension {dim_name} must have 1 to {DIMENSION_VALUE_MAX} "
                "characters.",
            )
        if dim_name in seen:
            raise _refuse(path, f"the dimension {dim_name} is given twice.")
        seen.add(dim_name)
    metric: dict[str, Any] = {"Namespace": namespace, "MetricName": name}
    if dimensions:
        metric["Dimensions"] = dimensions
    return metric


def _check_reads(queries: list[dict[str, Any]], start: datetime, end: datetime) -> None:
    seconds = (end - start).total_seconds()
    total = sum(
        math.ceil(seconds / q["MetricStat"]["Period"]) for q in queries if "MetricStat" in q
    )
    if total > MAX_GRAPH_DATAPOINTS:
        raise _refuse(
            "/metrics",
            f"the graph would read {total} datapoints (the time range divided by the period, "
            f"for each metric); the limit is {MAX_GRAPH_DATAPOINTS}. Use a longer period or a "
            "shorter time range.",
        )


# --- Scalars -------------------------------------------------------------------------------------


def _is_integer(value: Any) -> bool:
    # JSON has one number type: 300.0 is the integer 300. bool is an int subclass in Python only.
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _refuse(path, f"{_shown(value)} is not a number.")
    return float(value)


def _period(value: Any, path: str) -> int:
    if not _is_integer(value) or value < 1:
        raise _refuse(path, f"the period {_shown(value)} is not a positive whole number.")
    period = int(value)
    if period > MAX_PERIOD:
        raise _refuse(path, f"the period {period} is longer than {MAX_PERIOD} seconds (455 days).")
    if period not in SUB_MINUTE_PERIODS and period % 60:
        raise _refuse(
            path, f"the period {period} must be 1, 5, 10, 20, 30 or a multiple of 60 seconds."
        )
    return period


def _auto_period(start: datetime, end: datetime, now: datetime) -> int:
    seconds = (end - start).total_seconds()
    fitting = next((p for p in AUTO_PERIODS if seconds / p <= AUTO_POINTS), AUTO_PERIODS[-1])
    # The retention minimums (60, 300, 3600) all divide the chosen period once it is larger.
    return max(fitting, min_period_for_age(now - start))


def _stat(value: Any, path: str) -> str:
    try:
        parse_statistic(value if isinstance(value, str) else "")
    except DomainError:
        raise _refuse(path, f"the statistic {_shown(value)} is not valid.") from None
    return str(value)


def _id(value: Any, path: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value) or len(value) > ID_MAX:
        raise _refuse(
            path,
            f"the id {_shown(value)} must start with a lowercase letter and hold only letters, "
            f"digits and underscores (at most {ID_MAX} characters).",
        )
    return value


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _refuse(path, f"{_shown(value)} is not a string.")
    return value


def _boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _refuse(path, f"{_shown(value)} is not true or false.")
    return value


def _color(value: Any, path: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not graphs.COLOR_PATTERN.fullmatch(value):
        raise _refuse(path, f"the color {_shown(value)} is not a hex color such as #1f77b4.")
    return value


def _side(value: Any, path: str) -> str:
    if value not in graphs.Y_AXES:
        raise _refuse(path, f"{_shown(value)} is not left or right.")
    return str(value)


def _size(value: Any, path: str) -> int:
    if not _is_integer(value) or not 1 <= value <= graphs.MAX_SIDE:
        raise _refuse(path, f"{_shown(value)} is not a whole number of pixels from 1 to 2000.")
    return int(value)


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _refuse(path, f"{_shown(value)} is not an object.")
    return value


# --- Times ---------------------------------------------------------------------------------------


def _time(value: Any, path: str, now: datetime) -> datetime:
    """ISO 8601 (UTC unless it says otherwise) or `-P…` before now."""
    if not isinstance(value, str):
        raise _refuse(path, f"{_shown(value)} is not a time.")
    if value.startswith("-P"):
        try:
            return now - _duration(value, path)
        except OverflowError:
            raise _refuse(path, f"{_shown(value)} is too far in the past.") from None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _refuse(
            path,
            f"{_shown(value)} is neither an ISO 8601 time (2026-03-01T12:00:00Z) nor a "
            "relative one (-PT3H).",
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _duration(value: str, path: str) -> timedelta:
    match = _RELATIVE.fullmatch(value)
    if match is None or value == "-P" or value.endswith("T"):
        date_part = value[2:].split("T", 1)[0]
        if "Y" in date_part or "M" in date_part:
            raise _refuse(
                path, f"{_shown(value)}: months and years are not supported; use days or weeks."
            )
        raise _refuse(
            path, f"{_shown(value)} is not a relative time such as -PT3H, -P7D or -PT1H30M."
        )
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    return timedelta(**parts)


def _timezone(value: Any) -> tzinfo:
    if value == "UTC":
        return UTC
    match = _OFFSET.fullmatch(value) if isinstance(value, str) else None
    if match is None or int(match.group(2)) > 23 or int(match.group(3)) > 59:
        raise _refuse(
            "/timezone", f"{_shown(value)} is not UTC or an offset such as +0000 or -0530."
        )
    sign, hours, minutes = match.groups()
    offset = timedelta(hours=int(hours), minutes=int(minutes))
    return UTC if not offset else timezone(-offset if sign == "-" else offset)


# --- Axes, legend, annotations -------------------------------------------------------------------


def _y_axes(value: Any) -> dict[str, graphs.Axis]:
    axes = {}
    for side, options in _object(value, "/yAxis").items():
        if side not in graphs.Y_AXES:
            continue
        path = f"/yAxis/{side}"
        options = _object(options, path)
        low = _number(options["min"], f"{path}/min") if "min" in options else None
        high = _number(options["max"], f"{path}/max") if "max" in options else None
        if low is not None and high is not None and low >= high:
            raise _refuse(path, "min must be less than max.")
        axes[side] = graphs.Axis(low, high, _string(options.get("label", ""), f"{path}/label"))
    return axes


def _legend(value: Any) -> str:
    position = _object(value, "/legend").get("position", "bottom")
    if position not in graphs.LEGEND_POSITIONS:
        raise _refuse("/legend/position", f"{_shown(position)} is not bottom, right or hidden.")
    return str(position)


def _annotations(
    value: Any, start: datetime, end: datetime, now: datetime
) -> tuple[tuple[graphs.Annotation, ...], tuple[graphs.Band, ...]]:
    value = _object(value, "/annotations")
    if "alarms" in value:
        raise _refuse("/annotations/alarms", "alarm annotations are not supported.")
    horizontal = value.get("horizontal", [])
    vertical = value.get("vertical", [])
    for key, items in (("horizontal", horizontal), ("vertical", vertical)):
        if not isinstance(items, list):
            raise _refuse(f"/annotations/{key}", f"{_shown(items)} is not an array.")
    if len(horizontal) + len(vertical) > MAX_ANNOTATIONS:
        raise _refuse("/annotations", f"a graph can have at most {MAX_ANNOTATIONS} annotations.")

    lines = []
    for i, item in enumerate(horizontal):
        path = f"/annotations/horizontal/{i}"
        first, second = _pair(item, path)
        if not _boolean(first.get("visible", True), f"{path}/visible"):
            continue
        lines.append(
            graphs.Annotation(
                value=_number(first.get("value"), f"{path}/value"),
                label=_string(first.get("label", ""), f"{path}/label"),
                color=_color(first.get("color"), f"{path}/color"),
                fill=_fill(first.get("fill"), f"{path}/fill", ("above", "below")),
                y_axis=_side(first.get("yAxis", "left"), f"{path}/yAxis"),
                end_value=None
                if second is None
                else _number(second.get("value"), f"{path}/1/value"),
            )
        )

    bands = []
    for i, item in enumerate(vertical):
        path = f"/annotations/vertical/{i}"
        first, second = _pair(item, path)
        if not _boolean(first.get("visible", True), f"{path}/visible"):
            continue
        at = _time(first.get("value"), f"{path}/value", now)
        label = _string(first.get("label", ""), f"{path}/label")
        color = _color(first.get("color"), f"{path}/color")
        if second is not None:
            until = _time(second.get("value"), f"{path}/1/value", now)
            bands.append(graphs.Band(min(at, until), max(at, until), color, label))
            continue
        fill = _fill(first.get("fill"), f"{path}/fill", ("before", "after"))
        if fill == "before" and start < at:
            bands.append(graphs.Band(start, at, color))
        elif fill == "after" and at < end:
            bands.append(graphs.Band(at, end, color))
        bands.append(graphs.Band(at, at, color, label))
    return tuple(lines), tuple(bands)


def _pair(item: Any, path: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """An annotation, or a band given as a pair of them."""
    if isinstance(item, list):
        if len(item) != 2:
            raise _refuse(path, "a band annotation is a pair of annotations.")
        return _object(item[0], f"{path}/0"), _object(item[1], f"{path}/1")
    return _object(item, path), None


def _fill(value: Any, path: str, allowed: tuple[str, str]) -> str | None:
    if value is None or value == "none":
        return None
    if value not in allowed:
        raise _refuse(path, f"{_shown(value)} is not {allowed[0]}, {allowed[1]} or none.")
    return str(value)
