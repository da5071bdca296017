"""Graphs of a metric and of an alarm as PNG bytes: the watch REST API's and the console's.

    metric_graph(session, tenant_id, namespace="App", metric_name="CPU",
                 dimensions=[("Host", "web-1")], statistic="p99", period=60,
                 start=t0, end=t1) -> bytes
    alarm_graph(session, tenant_id, alarm, start=t0, end=t1) -> bytes

Numbers come from the same reads as GetMetricStatistics and GetMetricData
(`metric_queries.datapoints`, `metric_queries.run_plan`), checked by the same validation
(`statistics.parse_statistic`, `statistics.validate_statistics_request`,
`metric_data.plan_queries`), and are drawn by GetMetricWidgetImage's `graphs.render`.
Every refusal is an InvalidInputError subclass with the message to show.

Decisions:
- `statistic` is one of the five standard statistics or a percentile-type one (p99, tm90,
  TM(10%:90%), ...), as GetMetricStatistics and alarms take them.
- A graph reads at most MAX_DATAPOINTS (1,440) periods, GetMetricStatistics' limit: a
  longer range is refused with its message (use a longer period or a shorter range).
  Width and height are 1 to MAX_SIDE (2,000) pixels, as for GetMetricWidgetImage.
- Times without a zone are UTC. The x axis runs from `start` to `end`; nothing is drawn
  after now.
- A metric alarm's graph: its metric with its statistic, period and unit; the threshold
  as a red line labelled as CloudWatch labels it (`CPU > 80 for 2 datapoints within
  3 minutes`); its states from its history as bands, ALARM red and INSUFFICIENT_DATA grey
  (OK unshaded). Bands are drawn on a grid of one column per pixel of width: a column
  shows ALARM if the alarm was in ALARM at all within it, else INSUFFICIENT_DATA if it was
  in that state at all, so a short ALARM still shows and a flapping alarm draws at most
  one band per pixel.
- A metric math alarm's graph draws its returned expression (GetMetricData's result for
  the query with ReturnData), each metric it reads held to the same 1,440 periods.
- A composite alarm has no metric: its graph is a timeline of its state bands alone (no
  values, no y axis ticks), so the graph of any alarm is a picture rather than an error.
- `alarm_graph_range(alarm, now)` gives the default range the REST API uses: ending now,
  three hours long or the evaluation window (period x evaluation periods) when that is
  longer, never more periods than a graph may read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from models.errors import DomainError, InvalidInputError, InvalidParameterError, NotFoundError
from models.watch import alarm_history, alarms, graphs, metric_data, metric_queries, statistics
from models.watch.alarm_history import StateSpan
from models.watch.datums import canonical_dimensions
from models.watch.evaluation import alarm_period
from models.watch.metric_validation import METRIC_NAME_MAX, NAMESPACE_MAX
from models.watch.statistics import MAX_DATAPOINTS, parse_statistic
from models.watch.tables import Alarm

DEFAULT_WIDTH = 600
DEFAULT_HEIGHT = 300
MAX_SIDE = graphs.MAX_SIDE
DEFAULT_STATISTIC = "Average"
DEFAULT_PERIOD = 60
DEFAULT_RANGE = timedelta(hours=3)
SERIES_COLOR = graphs.PALETTE[0]
THRESHOLD_COLOR = graphs.STATE_COLORS["ALARM"]
BAND_COLORS = {
    "ALARM": graphs.STATE_COLORS["ALARM"],
    "INSUFFICIENT_DATA": graphs.STATE_COLORS["INSUFFICIENT_DATA"],
}  # OK is not shaded
OPERATOR_SIGNS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def metric_graph(
    session: Session,
    tenant_id: str,
    *,
    namespace: str,
    metric_name: str,
    dimensions: Sequence[tuple[str, str]],
    statistic: str,
    period: int,
    start: datetime,
    end: datetime,
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
    title: str | None = None,
) -> bytes:
    """One statistic of one metric (its exact dimension set) over [start, end), as a PNG."""
    now = _now()
    start, end = _range(start, end)
    _check_size(width, height)
    for member, value, maximum in (
        ("Namespace", namespace, NAMESPACE_MAX),
        ("MetricName", metric_name, METRIC_NAME_MAX),
    ):
        if not isinstance(value, str) or not 1 <= len(value) <= maximum:
            raise InvalidParameterError(
                f"The parameter {member} must be a string of 1 to {maximum} characters."
            )
    dims = canonical_dimensions(list(dimensions))
    line = _metric_series(
        session, tenant_id, namespace, metric_name, dims, statistic, period, None,
        start, end, now, label=_metric_label(metric_name, dims),
    )  # fmt: skip
    if title is None:
        title = f"{metric_name} ({statistic}, {duration_text(period)})"
    return graphs.render([line], title=title, width=width, height=height, start=start, end=end)


def alarm_graph(
    session: Session,
    tenant_id: str,
    alarm: Alarm,
    *,
    start: datetime,
    end: datetime,
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
) -> bytes:
    """The alarm's metric and threshold with its states as bands over [start, end), as a PNG
    (a composite alarm: the bands alone). NotFoundError when the alarm is another tenant's."""
    if alarm.tenant_id != tenant_id:
        raise NotFoundError(f"Alarm {alarm.name} does not exist.")
    now = _now()
    start, end = _range(start, end)
    _check_size(width, height)

    lines: list[graphs.Series] = []
    annotations: list[graphs.Annotation] = []
    if alarm.alarm_type == alarms.METRIC_ALARM:
        if alarm.metrics is None:
            lines = [_single_metric_series(session, alarm, start, end, now)]
        else:
            lines = _math_series(session, alarm, start, end, now)
        if alarm.threshold is not None:
            label = alarm.metric_name or (lines[0].label if lines else alarm.name)
            annotations = [
                graphs.Annotation(alarm.threshold, threshold_text(alarm, label), THRESHOLD_COLOR)
            ]
    spans = alarm_history.state_spans(session, alarm, start, end, now)
    return graphs.render(
        lines,
        title=alarm.name,
        width=width,
        height=height,
        annotations=annotations,
        bands=state_bands(spans, start, end, width),
        start=start,
        end=end,
        empty_text=graphs.NO_DATA_TEXT if alarm.alarm_type == alarms.METRIC_ALARM else None,
    )


def alarm_graph_range(
    alarm: Alarm,
    now: datetime,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[datetime, datetime]:
    """The range to draw when the caller leaves out `start`, `end` or both: ending now,
    covering DEFAULT_RANGE or the alarm's evaluation window when that is longer, but never
    more than MAX_DATAPOINTS of its periods."""
    end = end or now
    if start is not None:
        return start, end
    span = DEFAULT_RANGE
    if alarm.alarm_type == alarms.METRIC_ALARM:
        period = alarm_period(alarm)
        window = timedelta(seconds=period * (alarm.evaluation_periods or 1))
        span = min(max(span, window), timedelta(seconds=period * MAX_DATAPOINTS))
    try:
        return end - span, end
    except OverflowError:
        raise InvalidParameterError("The end of the graph is too early.") from None


def threshold_text(alarm: Alarm, metric_label: str) -> str:
    """CloudWatch's caption of an alarm's threshold line:
    `CPU > 80 for 2 datapoints within 3 minutes` (M out of N periods)."""
    sign = OPERATOR_SIGNS.get(alarm.comparison_operator or "", alarm.comparison_operator or "")
    periods = alarm.evaluation_periods or 1
    needed = alarm.datapoints_to_alarm or periods
    window = duration_text(alarm_period(alarm) * periods)
    threshold = format(alarm.threshold, ".15g") if alarm.threshold is not None else "?"
    noun = "datapoint" if needed == 1 else "datapoints"
    return f"{metric_label} {sign} {threshold} for {needed} {noun} within {window}"


def duration_text(seconds: int) -> str:
    """`3 minutes`, `1 hour`, `90 seconds`: the largest unit that divides it."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def state_bands(
    spans: Sequence[StateSpan], start: datetime, end: datetime, width: int
) -> list[graphs.Band]:
    """ALARM and INSUFFICIENT_DATA spans as bands on a grid of `width` columns over the range.

    A column shows ALARM if the alarm was in ALARM at any time within it, else
    INSUFFICIENT_DATA if it was in that state at any time within it: a short ALARM still
    shows (at least a column wide), and a flapping alarm gives at most one band per column."""
    if end <= start:
        return []
    columns = max(width, 1)
    pixel = (end - start) / columns
    painted: list[str | None] = [None] * columns
    for span in spans:
        if span.state not in BAND_COLORS or span.end <= span.start:
            continue
        first = max(0, math.floor((span.start - start) / pixel))
        last = min(columns, max(first + 1, math.ceil((span.end - start) / pixel)))
        for column in range(first, last):
            if painted[column] != "ALARM":
                painted[column] = span.state
    bands: list[graphs.Band] = []
    run_start = 0
    for column in range(1, columns + 1):
        if column == columns or painted[column] != painted[run_start]:
            state = painted[run_start]
            if state is not None:
                bands.append(
                    graphs.Band(
                        start + run_start * pixel, start + column * pixel, BAND_COLORS[state]
                    )
                )
            run_start = column
    return bands


# --- Reading series ------------------------------------------------------------------------------


def _metric_series(
    session: Session,
    tenant_id: str,
    namespace: str,
    metric_name: str,
    dimensions: tuple[tuple[str, str], ...],
    statistic: str,
    period: int,
    unit: str | None,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    label: str,
) -> graphs.Series:
    """GetMetricStatistics' buckets of one statistic, as a line."""
    if not isinstance(statistic, str):
        raise InvalidParameterError("The parameter Statistic must be a string.")
    if isinstance(period, bool) or not isinstance(period, int):
        raise InvalidParameterError("The parameter Period must be a whole number of seconds.")
    percentile = parse_statistic(statistic, "Statistic").is_percentile_type
    wanted, extended = (None, [statistic]) if percentile else ([statistic], None)
    statistics.validate_statistics_request(
        start, end, period, wanted, extended, now, len(dimensions)
    )
    first, stop = statistics.aligned_range(start, end, period, now)
    points = metric_queries.datapoints(
        session, tenant_id, namespace, metric_name, dimensions, first, stop, period,
        wanted, extended, unit,
    )  # fmt: skip
    values, _messages = metric_data.series_from_datapoints(points, statistic)
    return graphs.Series(label, list(values), list(values.values()), SERIES_COLOR)


def _single_metric_series(
    session: Session, alarm: Alarm, start: datetime, end: datetime, now: datetime
) -> graphs.Series:
    metric_name = alarm.metric_name or ""
    dimensions = canonical_dimensions(alarms.dimensions_of(alarm))
    return _metric_series(
        session, alarm.tenant_id, alarm.namespace or "", metric_name, dimensions,
        alarm.statistic or alarm.extended_statistic or DEFAULT_STATISTIC,
        alarm.period or DEFAULT_PERIOD, alarm.unit, start, end, now,
        label=_metric_label(metric_name, dimensions),
    )  # fmt: skip


def _math_series(
    session: Session, alarm: Alarm, start: datetime, end: datetime, now: datetime
) -> list[graphs.Series]:
    """The alarm's returned expression (or metric), read as GetMetricData reads it."""
    try:
        plan = metric_data.plan_queries(alarm.metrics, start, end, now)
        for fetch in plan.fetches:
            wanted, extended = fetch.statistics_args
            statistics.validate_statistics_request(
                start, end, fetch.period, wanted, extended, now, len(fetch.dimensions)
            )
    except InvalidInputError as exc:
        raise type(exc)(
            f"The metric math of alarm {alarm.name} cannot be drawn: {exc.message}"
        ) from exc
    try:
        output = metric_queries.run_plan(session, alarm.tenant_id, plan)
    except DomainError as exc:
        raise InvalidParameterError(
            f"The metric math of alarm {alarm.name} cannot be drawn: {exc.message}"
        ) from exc
    return [
        graphs.Series(
            result["Label"],
            list(result["Timestamps"]),
            list(result["Values"]),
            graphs.PALETTE[index % len(graphs.PALETTE)],
        )
        for index, result in enumerate(output["MetricDataResults"])
    ]


def _metric_label(metric_name: str, dimensions: Sequence[tuple[str, str]]) -> str:
    text = ",".join(f"{name}={value}" for name, value in dimensions)
    return f"{metric_name} {text}" if text else metric_name


# --- Checks --------------------------------------------------------------------------------------


def _range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        raise InvalidParameterError("The start and end of a graph must be times.")
    start, end = _utc(start), _utc(end)
    if start >= end:
        raise InvalidParameterError("The start of the graph must be before its end.")
    return start, end


def _check_size(width: int, height: int) -> None:
    for name, size in (("width", width), ("height", height)):
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_SIDE:
            raise InvalidParameterError(
                f"The {name} of a graph must be a whole number of pixels from 1 to {MAX_SIDE}."
            )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)
