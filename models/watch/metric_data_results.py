"""GetMetricData results (cloudwatch-api.md §3.3, §4.4): evaluate, label, order and page.

Decisions on points the reference leaves open:
- Paging follows ScanBy across all results, as the API text describes it ("newest data
  first, paginates when the MaxDatapoints limit is reached"): the points of every returned
  result are ordered by timestamp (newest or oldest first), ties by result order, and a page
  holds the first MaxDatapoints of them. Every page lists every returned result, possibly
  with no points; a result with points left for later pages is `PartialData`.
- NextToken is base64 JSON of the last point returned (epoch seconds, result index) and a
  fingerprint of the request (queries, StartTime, EndTime, ScanBy; not MaxDatapoints, which
  may change between pages). Resuming after a position, not at an offset, keeps pages
  consistent while new data arrives. A token that does not decode, or belongs to another
  request, is InvalidNextToken.
- "NextToken is not returned if you are performing a math expression" (§3.3 [doc]): when an
  expression is evaluated, results beyond MaxDatapoints are cut off, marked PartialData, and
  no NextToken is given.
- A returned TS[] expression gives one result per member, each with the expression's Id.
  Its label is `<expression Label> <member label>` when the expression has a Label, else the
  member's label (the label of the query the member came from); a computed member without a
  query takes the expression's label.
- FILL / TIME_SERIES use the request's period grid: buckets from the aligned StartTime
  (§4.2) that start before EndTime and not after `now` (no filled points in the future).
- Timestamps come back as UTC datetimes; the protocol layer writes them per wire format.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from models.errors import ConstraintViolationError, InvalidPageTokenError
from models.watch.metric_math import Series, SeriesArray, Value, evaluate, function_names
from models.watch.statistics import STATISTICS, aligned_range

if TYPE_CHECKING:
    from models.watch.metric_data import Plan

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_GRID_FUNCTIONS = frozenset({"FILL", "TIME_SERIES"})
_BAD_TOKEN = "The value of NextToken is not valid."


def assemble_results(
    plan: Plan,
    fetched: Mapping[str, Series],
    *,
    messages: Mapping[str, list[dict[str, str]]] | None = None,
) -> dict[str, Any]:
    """The GetMetricData output for one page. `fetched` maps each `plan.fetches` Id to its
    series (a missing Id means no data); `messages` adds per-result Messages by Id, such as
    MultipleUnits from `series_from_datapoints`."""
    values: dict[str, Value] = {fetch.id: fetched.get(fetch.id, {}) for fetch in plan.fetches}
    for step in plan.expressions:
        grid = _grid(plan, step.period) if function_names(step.node) & _GRID_FUNCTIONS else None
        values[step.id] = evaluate(
            step.node,
            values,
            period=step.period,
            metric_ids_in_order=plan.metric_ids,
            periods_by_id=plan.periods,
            grid=grid,
        )

    descending = plan.scan_by == "TimestampDescending"
    entries = []  # (Id, Label, [(seconds, value, UTC datetime)] in ScanBy order)
    for query_id in plan.returned:
        for label, series in _labelled(plan, query_id, values.get(query_id, {})):
            points = sorted((_point(t, v) for t, v in series.items()), reverse=descending)
            entries.append((query_id, label, points))

    kept, unfinished, last = _page(plan, [points for _, _, points in entries], descending)
    results = []
    for index, (query_id, label, _) in enumerate(entries):
        result: dict[str, Any] = {
            "Id": query_id,
            "Label": label,
            "Timestamps": [moment for _, _, moment in kept[index]],
            "Values": [value for _, value, _ in kept[index]],
            "StatusCode": "PartialData" if index in unfinished else "Complete",
        }
        if messages and messages.get(query_id):
            result["Messages"] = list(messages[query_id])
        results.append(result)
    output: dict[str, Any] = {"MetricDataResults": results, "Messages": []}
    if last is not None and not plan.expressions:
        output["NextToken"] = encode_token(plan.fingerprint, *last)
    return output


Points = list[tuple[float, float, datetime]]


def _point(moment: datetime, value: float) -> tuple[float, float, datetime]:
    # Series from the statistics are keyed by UTC datetimes already (the common case, cheap).
    if isinstance(moment, datetime) and moment.tzinfo is UTC:
        return (moment - _EPOCH).total_seconds(), value, moment
    seconds = _seconds(moment)
    return seconds, value, _EPOCH + timedelta(seconds=seconds)


def _page(
    plan: Plan, results: list[Points], descending: bool
) -> tuple[list[Points], set[int], tuple[float, int] | None]:
    """This page's points of each result (in ScanBy order), the results with points left for
    later pages, and the (seconds, result index) of the page's last point when some are left."""

    def order(seconds: float, index: int) -> tuple[float, int]:
        return (-seconds if descending else seconds, index)

    after = order(*plan.resume_after) if plan.resume_after else None
    if after is None and sum(map(len, results)) <= plan.max_datapoints:
        # The usual answer: a first page that holds everything, so nothing to merge or cut.
        return results, set(), None
    pending = sorted(
        (order(seconds, index), index, seconds)
        for index, points in enumerate(results)
        for seconds, _, _ in points
        if after is None or order(seconds, index) > after
    )
    page, rest = pending[: plan.max_datapoints], pending[plan.max_datapoints :]
    shown = {(index, seconds) for _, index, seconds in page}
    kept = [[p for p in points if (i, p[0]) in shown] for i, points in enumerate(results)]
    unfinished = {index for _, index, _ in rest}
    last = (page[-1][2], page[-1][1]) if rest and page else None
    return kept, unfinished, last


def _labelled(plan: Plan, query_id: str, value: Value) -> list[tuple[str, Series]]:
    label = plan.labels[query_id]
    if isinstance(value, SeriesArray):
        labelled = []
        for member_id, series in value.members:
            member = plan.labels.get(member_id, member_id) if member_id else None
            if not member:
                labelled.append((label, series))
            elif query_id in plan.explicit_labels:
                labelled.append((f"{label} {member}", series))
            else:
                labelled.append((member, series))
        return labelled
    if not isinstance(value, dict):  # plan_queries refuses returned scalars
        raise ConstraintViolationError(
            f"Error in expression {query_id}: The expression must return a time series."
        )
    return [(label, value)]


def _grid(plan: Plan, period: int) -> list[datetime]:
    first, end = aligned_range(plan.start, plan.end, period, plan.now)
    stop = min(end, _utc(plan.now) + timedelta(microseconds=1))
    step = timedelta(seconds=period)
    count = max(0, math.ceil((stop - first) / step))
    return [first + k * step for k in range(count)]


# --- Series from GetMetricStatistics datapoints --------------------------------------------------


def series_from_datapoints(
    datapoints: list[dict[str, Any]], stat: str
) -> tuple[Series, list[dict[str, str]]]:
    """One series for `stat` from `statistics.aggregate` output, and the result Messages.

    Without a Unit filter a bucket may hold several units; GetMetricData computes the series
    from the alphabetically first unit only and says so in a MultipleUnits message (§4.1
    [aws-rec]). Buckets where the statistic is not available are left out.
    """
    units = sorted({point["Unit"] for point in datapoints})
    if not units:
        return {}, []
    series: Series = {}
    for point in datapoints:
        if point["Unit"] != units[0]:
            continue
        if stat in STATISTICS:
            value = point.get(stat)
        else:
            value = (point.get("ExtendedStatistics") or {}).get(stat)
        if value is not None:
            series[point["Timestamp"]] = value
    if len(units) == 1:
        return series, []
    listed = ", ".join(units)
    return series, [{"Code": "MultipleUnits", "Value": f"Multiple units returned: '[{listed}]'"}]


# --- NextToken -----------------------------------------------------------------------------------


def fingerprint(queries: list[dict[str, Any]], start: datetime, end: datetime, scan_by: str) -> str:
    """Identifies a request across pages; MaxDatapoints is left out on purpose."""
    payload = json.dumps(
        {"q": queries, "s": _seconds(start), "e": _seconds(end), "b": scan_by},
        sort_keys=True,
        default=str,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def encode_token(request: str, seconds: float, index: int) -> str:
    payload = json.dumps({"f": request, "t": seconds, "r": index}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode()


def decode_token(token: str, request: str) -> tuple[float, int]:
    """(epoch seconds, result index) of the last point returned, for this request only."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        seconds, index = data["t"], data["r"]
        valid = (
            data["f"] == request
            and isinstance(seconds, int | float)
            and math.isfinite(seconds)
            and isinstance(index, int)
            and index >= 0
        )
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError) as exc:
        raise InvalidPageTokenError(_BAD_TOKEN) from exc
    if not valid:
        raise InvalidPageTokenError(_BAD_TOKEN)
    return float(seconds), index


def _seconds(moment: datetime | float) -> float:
    if isinstance(moment, datetime):
        return (_utc(moment) - _EPOCH).total_seconds()
    return float(moment)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
