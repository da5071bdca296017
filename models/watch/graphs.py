"""Metric graphs as PNG bytes: series, annotations and time bands in, an image out. Pure.

`render` is shared by GetMetricWidgetImage (`web/aws/widget_images.py`), and is meant for any
other graph of metrics (a REST image, an alarm's metric with its threshold and state bands):

    render(
        [Series("CPU", timestamps, values)],
        title="web-1 CPU", width=600, height=400,
        annotations=[Annotation(80.0, "threshold", "#d62728")],
        bands=[Band(t0, t1, STATE_COLORS["ALARM"], "ALARM")],
        start=t_start, end=t_end,
    ) -> bytes

Input is trusted: callers validate what users send (`widgets.py` does for MetricWidget);
a size outside 1..MAX_SIDE or a value that matplotlib cannot draw raises ValueError.

Decisions:
- matplotlib is imported inside `render`, so importing this module (the web app, the
  workers) costs nothing until a graph is drawn. The figure is drawn by the Agg canvas
  directly (`FigureCanvasAgg`), never through pyplot: no GUI backend, no global figure
  registry to leak figures into. A lock serialises renders, because rcParams and warning
  filters are process-global and the threaded servers may draw two graphs at once.
- Same input, same bytes: matplotlib's defaults are restored for each render (a local
  matplotlibrc cannot change the picture), and the PNG carries no "Software" text chunk,
  so neither the matplotlib version nor the time of drawing reaches the bytes.
- The image is exactly width x height pixels (dpi 100; no "tight" bounding box). Layout
  warnings at tiny sizes are silenced: a 1x1 image is valid, just not informative.
- Time runs along x in `tz` (UTC by default), from `start` to `end` when given, else over
  the data. Series without a color take CloudWatch's palette in order (the same ten colors
  as matplotlib's "tab10"). Non-finite values are skipped, and so are values beyond
  ±MAX_VALUE (series points, annotations, axis bounds): matplotlib cannot scale an axis
  that reaches the end of the float range (a threshold of 1e308). A series of up to
  MARKER_LIMIT points also gets point markers, so a single datapoint stays visible.
- When no series has a point, the axes are still drawn (with the time range, legend and
  annotations) and "No data available." (`empty_text`) is written across them. With
  `empty_text=None` the graph is a timeline (an alarm's state bands alone): nothing is
  written and the y axis has no ticks.
- Text is drawn as given: "$...$" is not TeX (matplotlib's mathtext is off), so any title or
  label a user sends can be drawn, as on CloudWatch.
- `stacked` stacks the series of each y axis as filled areas: timestamps are merged and
  a series without a point at a timestamp counts as 0 there.
- The legend lists at most what fits (about 18 px per row); the last entry then says how
  many more series there are.
"""

from __future__ import annotations

import io
import math
import re
import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

DEFAULT_WIDTH = 600
DEFAULT_HEIGHT = 400
MAX_SIDE = 2000
DPI = 100
MARKER_LIMIT = 60
MAX_VALUE = 1e300
NO_DATA_TEXT = "No data available."
# CloudWatch's default graph colors (also matplotlib's "tab10"), in the order it assigns them.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
# Background colors for alarm-state bands (drawn translucent).
STATE_COLORS = {"OK": "#2ca02c", "ALARM": "#d62728", "INSUFFICIENT_DATA": "#7f7f7f"}
COLOR_PATTERN = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
Y_AXES = ("left", "right")
LEGEND_POSITIONS = ("bottom", "right", "hidden")
FILLS = ("above", "below")

_LOCK = threading.Lock()
_LEGEND_ROW_PX = 18
_BAND_ALPHA = 0.15
_FILL_ALPHA = 0.12
_RC = {
    "font.size": 8,
    "axes.titlesize": 10,
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.grid": True,
    "grid.color": "#e5e5e5",
    "grid.linewidth": 0.8,
    "lines.linewidth": 1.5,
    "legend.frameon": False,
    # Titles, labels and legends are user text: "$x^$" must not be parsed as TeX (and fail).
    "text.parse_math": False,
}


@dataclass(frozen=True)
class Series:
    """One line: points at `timestamps` (tz-aware, any order) with `values`."""

    label: str
    timestamps: Sequence[datetime]
    values: Sequence[float]
    color: str | None = None  # "#rrggbb"; None takes the next PALETTE color
    y_axis: str = "left"  # or "right"


@dataclass(frozen=True)
class Annotation:
    """A horizontal line at `value`, or with `end_value` a shaded band between the two."""

    value: float
    label: str = ""
    color: str | None = None  # None: a dark grey
    fill: str | None = None  # "above" / "below" the line: shade that side
    y_axis: str = "left"
    end_value: float | None = None


@dataclass(frozen=True)
class Band:
    """A time range shaded across the graph (an alarm state, a vertical annotation band).
    A band whose start equals its end is drawn as a vertical line at that time."""

    start: datetime
    end: datetime
    color: str | None = None  # None: a dark grey; see STATE_COLORS for alarm states
    label: str = ""


@dataclass(frozen=True)
class Axis:
    """Options for one y axis: fixed bounds (None: fit the data) and a label."""

    min: float | None = None
    max: float | None = None
    label: str = ""


def render(
    series: Sequence[Series],
    *,
    title: str = "",
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
    annotations: Sequence[Annotation] = (),
    bands: Sequence[Band] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    y_axes: Mapping[str, Axis] | None = None,
    stacked: bool = False,
    legend: str = "bottom",
    tz: tzinfo = UTC,
    empty_text: str | None = NO_DATA_TEXT,
) -> bytes:
    """The graph as PNG bytes of exactly `width` x `height` pixels."""
    for name, size in (("width", width), ("height", height)):
        if not 1 <= size <= MAX_SIDE:
            raise ValueError(f"{name} must be between 1 and {MAX_SIDE}, not {size}")
    if legend not in LEGEND_POSITIONS:
        raise ValueError(f"legend must be one of {LEGEND_POSITIONS}, not {legend!r}")

    import matplotlib
    import matplotlib.style

    # Only the Agg canvas is used (below), but a process that imports pyplot later should
    # not try to open a display either.
    matplotlib.use("Agg")
    annotations = [a for a in annotations if _drawable(a.value) and _drawable(a.end_value)]
    y_axes = {
        side: Axis(
            axis.min if _drawable(axis.min) else None,
            axis.max if _drawable(axis.max) else None,
            axis.label,
        )
        for side, axis in (y_axes or {}).items()
    }
    with _LOCK, warnings.catch_warnings(), matplotlib.rc_context():
        warnings.simplefilter("ignore")
        matplotlib.style.use("default")  # every style setting back to matplotlib's defaults
        matplotlib.rcParams.update(_RC)
        return _draw(
            series, title, width, height, annotations, bands, start, end,
            dict(y_axes or {}), stacked, legend, tz, empty_text,
        )  # fmt: skip


def _draw(
    series: Sequence[Series],
    title: str,
    width: int,
    height: int,
    annotations: Sequence[Annotation],
    bands: Sequence[Band],
    start: datetime | None,
    end: datetime | None,
    y_axes: dict[str, Axis],
    stacked: bool,
    legend: str,
    tz: tzinfo,
    empty_text: str | None,
) -> bytes:
    import matplotlib.dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    left = figure.add_subplot()
    axes = {"left": left}
    if any(s.y_axis == "right" for s in series) or any(a.y_axis == "right" for a in annotations):
        axes["right"] = left.twinx()
        axes["right"].grid(False)

    colors = [s.color or PALETTE[i % len(PALETTE)] for i, s in enumerate(series)]
    points = [_points(s) for s in series]
    handles: list[Any] = []
    if stacked:
        for side, axis in axes.items():
            members = [i for i, s in enumerate(series) if s.y_axis == side]
            handles += _stack(axis, [series[i] for i in members], [points[i] for i in members],
                              [colors[i] for i in members])  # fmt: skip
    else:
        for s, color, (xs, ys) in zip(series, colors, points, strict=True):
            marker = "o" if 0 < len(xs) <= MARKER_LIMIT else None
            (line,) = axes[s.y_axis].plot(
                xs, ys, color=color, label=s.label, marker=marker, markersize=3
            )
            handles.append(line)

    for annotation in annotations:
        _annotate(axes.get(annotation.y_axis, left), annotation)
    for band in bands:
        _shade(left, band)

    has_data = any(xs for xs, _ in points)
    if start is not None and end is not None and start < end:
        left.set_xlim(start, end)
    if (start is not None and end is not None) or has_data or bands:
        locator = mdates.AutoDateLocator(tz=tz, maxticks=max(2, width // 90))
        left.xaxis.set_major_locator(locator)
        left.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=tz))
        left.set_xlabel(_zone_name(tz, start or end), fontsize=7, color="#555555")
    else:
        left.set_xticks([])  # no time to show: no range, no data, no band

    for side, axis in axes.items():
        options = y_axes.get(side, Axis())
        if options.label:
            axis.set_ylabel(options.label)
        if options.min is not None or options.max is not None:
            axis.set_ylim(bottom=options.min, top=options.max)
        elif not has_data and not any(a.y_axis == side for a in annotations):
            axis.set_ylim(0, 1)
    # Shading "everything above/below" a line needs the final limits, and must not move them.
    for annotation in annotations:
        if annotation.end_value is None and annotation.fill in FILLS:
            _fill(axes.get(annotation.y_axis, left), annotation)

    if not has_data and empty_text is None:
        left.set_yticks([])  # a timeline: no values to scale
    elif not has_data:
        left.text(
            0.5, 0.5, empty_text, transform=left.transAxes, ha="center", va="center",
            fontsize=12, color="#555555",
        )  # fmt: skip
    if title:
        left.set_title(title)
    if legend != "hidden" and handles:
        _legend(figure, handles, legend, width, height)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _points(series: Series) -> tuple[list[datetime], list[float]]:
    pairs = sorted(
        (t, float(v))
        for t, v in zip(series.timestamps, series.values, strict=True)
        if v is not None and _drawable(v)
    )
    return [t for t, _ in pairs], [v for _, v in pairs]


def _drawable(value: float | None) -> bool:
    return value is None or (math.isfinite(value) and abs(value) <= MAX_VALUE)


def _stack(
    axis: Any,
    members: list[Series],
    points: list[tuple[list[datetime], list[float]]],
    colors: list[str],
) -> list[Any]:
    if not members:
        return []
    times = sorted({t for xs, _ in points for t in xs})
    if not times:
        return [
            axis.plot([], [], color=c, label=s.label)[0]
            for s, c in zip(members, colors, strict=True)
        ]
    layers = []
    for xs, ys in points:
        by_time = dict(zip(xs, ys, strict=True))
        layers.append([by_time.get(t, 0.0) for t in times])
    polys = axis.stackplot(
        times, *layers, colors=colors, labels=[s.label for s in members], alpha=0.6
    )
    return list(polys)


def _annotate(axis: Any, annotation: Annotation) -> None:
    color = annotation.color or "#333333"
    if annotation.end_value is not None:
        low, high = sorted((annotation.value, annotation.end_value))
        axis.axhspan(low, high, color=color, alpha=_FILL_ALPHA, linewidth=0)
        at = high
    else:
        axis.axhline(annotation.value, color=color, linewidth=1.2)
        at = annotation.value
    if annotation.label:
        axis.annotate(
            annotation.label, xy=(1.0, at), xycoords=("axes fraction", "data"),
            xytext=(-2, 2), textcoords="offset points", ha="right", va="bottom",
            color=color, fontsize=7,
        )  # fmt: skip


def _fill(axis: Any, annotation: Annotation) -> None:
    low, high = axis.get_ylim()
    edge = high if annotation.fill == "above" else low
    axis.axhspan(annotation.value, edge, color=annotation.color or "#333333",
                 alpha=_FILL_ALPHA, linewidth=0)  # fmt: skip
    axis.set_ylim(low, high)


def _shade(axis: Any, band: Band) -> None:
    color = band.color or "#333333"
    if band.start == band.end:
        axis.axvline(band.start, color=color, linewidth=1.2)
    else:
        axis.axvspan(band.start, band.end, color=color, alpha=_BAND_ALPHA, linewidth=0)
    if band.label:
        axis.annotate(
            band.label, xy=(band.start, 1.0), xycoords=("data", "axes fraction"),
            xytext=(2, -2), textcoords="offset points", ha="left", va="top",
            color=color, fontsize=7,
        )  # fmt: skip


def _legend(figure: Any, handles: list[Any], position: str, width: int, height: int) -> None:
    if position == "right":
        rows, columns = max(1, (height - 40) // _LEGEND_ROW_PX), 1
    else:
        columns = max(1, min(len(handles), width // 180))
        rows = max(1, int(height * 0.3) // _LEGEND_ROW_PX)
    shown = handles
    if len(handles) > rows * columns:
        shown = handles[: rows * columns - 1]
    labels = [h.get_label() for h in shown]
    if len(shown) < len(handles):
        from matplotlib.lines import Line2D

        shown = [*shown, Line2D([], [], linestyle="none")]
        labels.append(f"... and {len(handles) - len(labels)} more")
    loc = "outside right upper" if position == "right" else "outside lower center"
    figure.legend(shown, labels, loc=loc, ncols=1 if position == "right" else columns)


def _zone_name(tz: tzinfo, moment: datetime | None) -> str:
    offset = tz.utcoffset(moment or datetime(2000, 1, 1))
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
