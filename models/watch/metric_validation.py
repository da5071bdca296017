"""PutMetricData validation (cloudwatch-api.md §3.0, §3.1): request members in, Datums out.

Pure: no DB, no Flask, no Celery. Input dicts carry CloudWatch member names exactly as the
protocol layer parsed them; the result is the list of normalised `Datum`s to store.

How problems are reported, and why:
- Model constraints (today only the StandardUnit enum) are checked first and on their own,
  as AWS's Coral layer does before CloudWatch code runs: `ConstraintViolationError` with the
  Coral text `N validation error(s) detected: …; …` (§1.6, §3.1).
- Every other problem of the request is collected, in request order (Namespace, the metric
  count, then each datum), and raised as ONE error whose message joins the lines with "\\n"
  (§3.1 [aws-rec]). Its class is that of the first problem: AWS answers with a single code,
  and the recorded multi-line errors only ever mixed lines of one code.
- All or nothing: Datums are returned only when nothing is wrong.

Decisions on points the reference leaves open (each marked [?] there):
- An empty string or empty list counts as absent (the query protocol cannot tell them apart):
  `Namespace=""` is MissingParameter, `Values: []` is no Values, `Unit: ""` is unit "None",
  an empty dimension Value is "is required" (the text AWS sends for it [aws-rec]).
- A datum with none of Value, Values and StatisticValues is refused with AWS's recorded text
  `At least one of the parameters …Value and …StatisticValues must be specified.`
  (InvalidParameterCombination [aws-rec], from before Values existed; kept verbatim).
- StatisticValues: every member required (MissingParameter), finite and within ±2^360,
  SampleCount > 0 and Minimum <= Maximum (InvalidParameterValue). Sum is not cross-checked
  against Minimum*SampleCount..Maximum*SampleCount: float rounding would refuse honest sets.
- Counts: each finite, >= 0 and <= 2^360. A zero count adds nothing (§4.1): its pair is
  dropped; a datum whose counts are all zero is valid but yields no Datum.
- Namespace: printable ASCII (the API text allows all ASCII except control characters; the
  User Guide's narrower list is not enforced), not only whitespace, not starting with ':',
  and not starting with "AWS/" (reserved, InvalidParameterValue).
- Non-zero values below 2^-360 in magnitude are accepted (only older docs refused them).
- EntityMetricData: their MetricData count towards the 1000 and are validated like
  MetricData (paths `EntityMetricData.member.K.MetricData.member.N.…`) and returned after it.
  The entities are checked by `entity_validation` (which also says that we do not store
  them). With StrictEntityValidation=true their problems join the request's problems, as
  InvalidParameterValue lines in request order (each entry's entity before its datums);
  with false they fail nothing, and the first one's kind is returned for the 200 response's
  X-Amzn-Failure-Message. StrictEntityValidation is required when EntityMetricData is given
  ([doc]); a request without it is refused with MissingParameter rather than given a default,
  since either default would silently change what the caller gets back.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from models.errors import (
    DomainError,
    InvalidParameterCombinationError,
    InvalidParameterError,
    MissingParameterError,
)
from models.watch.constraints import enum_line, raise_violations
from models.watch.datums import Datum, canonical_dimensions
from models.watch.entity_validation import (
    EntityProblem,
    entity_problems,
    entry_count_problems,
    first_failure,
)

# StandardUnit, in the model's order (the order AWS lists them in enum errors).
# fmt: off
STANDARD_UNITS: tuple[str, ...] = (
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
    "Terabits/Second", "Count/Second", "None",
)
# fmt: on
_UNIT_SET = frozenset(STANDARD_UNITS)
NAMESPACE_MAX = 255
METRIC_NAME_MAX = 255
DIMENSION_NAME_MAX = 255
DIMENSION_VALUE_MAX = 1024
MAX_DIMENSIONS = 30
MAX_METRICS = 1000
MAX_VALUES = 150
VALUE_LIMIT = 2.0**360
MAX_AGE = timedelta(days=14)
MAX_AHEAD = timedelta(hours=2)
STORAGE_RESOLUTIONS = (1, 60)
DEFAULT_STORAGE_RESOLUTION = 60
DEFAULT_UNIT = "None"

Problem = tuple[type[DomainError], str]


@dataclass(frozen=True)
class AcceptedMetricData:
    datums: list[Datum]
    # A lenient request's first entity problem (X-Amzn-Failure-Message); None when there
    # is none, and always for a strict request (whose entity problems fail it instead).
    entity_failure: str | None = None


def validate_put_metric_data(
    namespace: str | None,
    metric_data: list[dict[str, Any]] | None,
    now: datetime,
    *,
    entity_metric_data: list[dict[str, Any]] | None = None,
    strict_entity_validation: bool | None = None,
) -> list[Datum]:
    """Check a whole PutMetricData request and return its Datums, or raise one DomainError."""
    return accept_put_metric_data(
        namespace,
        metric_data,
        now,
        entity_metric_data=entity_metric_data,
        strict_entity_validation=strict_entity_validation,
    ).datums


def accept_put_metric_data(
    namespace: str | None,
    metric_data: list[dict[str, Any]] | None,
    now: datetime,
    *,
    entity_metric_data: list[dict[str, Any]] | None = None,
    strict_entity_validation: bool | None = None,
) -> AcceptedMetricData:
    """`validate_put_metric_data`, with what a lenient request's response must report."""
    groups = _datum_groups(metric_data, entity_metric_data)

    # The lines (with their paths) are only built when some unit is not a StandardUnit.
    if any((d.get("Unit") or DEFAULT_UNIT) not in _UNIT_SET for _, _, data in groups for d in data):
        raise_violations(
            [
                enum_line(d.get("Unit") or None, f"{coral}.unit", STANDARD_UNITS)
                for _, coral, d in _each_datum(groups)
            ]
        )

    problems: list[Problem] = []
    entries = list(entity_metric_data or [])
    # Only an explicit false is lenient; a missing flag is refused below.
    strict = strict_entity_validation is not False
    entity_found: list[EntityProblem] = []

    def entity_check(found: list[EntityProblem]) -> None:
        entity_found.extend(found)
        if strict:
            problems.extend((InvalidParameterError, p.message) for p in found)

    problems += _namespace_problems(namespace)
    total = sum(len(data) for _, _, data in groups)
    if total == 0:
        problems.append((MissingParameterError, "The parameter MetricData is required."))
    if entries and strict_entity_validation is None:
        problems.append(
            (
                MissingParameterError,
                "The parameter StrictEntityValidation is required when EntityMetricData is given.",
            )
        )
    entity_check(entry_count_problems(entries))
    if total > MAX_METRICS:
        problems.append((InvalidParameterError, _too_many("MetricData", MAX_METRICS)))

    now = _utc(now)
    window = (now - MAX_AGE, now + MAX_AHEAD)
    datums: list[Datum] = []
    for k, (query_prefix, _, data) in enumerate(groups):
        if k > 0:  # groups after the first are the EntityMetricData entries, in order
            entry = entries[k - 1] or {}
            entity_check(entity_problems(entry.get("Entity"), f"EntityMetricData.member.{k}"))
        for n, datum in enumerate(data, start=1):
            plain = _plain_value_datum(str(namespace), datum, now, window)
            if plain is not None:
                datums.append(plain)
                continue
            found, built = _check_datum(f"{query_prefix}.member.{n}", datum, now)
            problems += found
            if not problems and built is not None:
                datums.append(Datum(namespace=str(namespace), **built))
    if problems:
        raise problems[0][0]("\n".join(message for _, message in problems))
    return AcceptedMetricData(datums, None if strict else first_failure(entity_found))


# --- Request structure ---------------------------------------------------------------------


def _datum_groups(
    metric_data: list[dict[str, Any]] | None, entity_metric_data: list[dict[str, Any]] | None
) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(query path prefix, Coral path prefix, datums) for MetricData and each entity's data."""
    groups = [("MetricData", "metricData", list(metric_data or []))]
    for k, entity in enumerate(entity_metric_data or [], start=1):
        groups.append(
            (
                f"EntityMetricData.member.{k}.MetricData",
                f"entityMetricData.{k}.member.metricData",
                list(entity.get("MetricData") or []),
            )
        )
    return groups


def _each_datum(
    groups: list[tuple[str, str, list[dict[str, Any]]]],
) -> Iterable[tuple[str, str, dict[str, Any]]]:
    for query_prefix, coral_prefix, data in groups:
        for n, datum in enumerate(data, start=1):
            yield f"{query_prefix}.member.{n}", f"{coral_prefix}.{n}.member", datum


# --- Names ---------------------------------------------------------------------------------


def _namespace_problems(namespace: str | None) -> list[Problem]:
    if not namespace:
        return [(MissingParameterError, "The parameter Namespace is required.")]
    problems = text_problems("Namespace", namespace, NAMESPACE_MAX, no_leading_colon=True)
    if namespace.startswith("AWS/"):
        problems.insert(
            0,
            (
                InvalidParameterError,
                f"The value {namespace} for parameter Namespace is invalid. "
                'Namespaces beginning with "AWS/" are reserved for AWS.',
            ),
        )
    return problems


_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f]")


@lru_cache(maxsize=4096)
def _text_is_clean(text: str, maximum: int, ascii_only: bool, no_leading_colon: bool) -> bool:
    """Whether `text_problems` would find nothing. A 1000-datum request repeats the same few
    names and dimension values; asking once per distinct text keeps the check off the
    per-datum path, and the messages (which name the member) are built only on failure."""
    if len(text) > maximum or (no_leading_colon and text.startswith(":")):
        return False
    if ascii_only:
        return text.isascii() and not _CONTROL_CHARACTER.search(text) and bool(text.strip())
    return True


def text_problems(
    path: str, text: str, maximum: int, *, ascii_only: bool = True, no_leading_colon: bool = False
) -> list[Problem]:
    """Charset and length checks, in the order AWS listed them [aws-rec]: charset first."""
    if _text_is_clean(text, maximum, ascii_only, no_leading_colon):
        return []
    problems: list[str] = []
    if ascii_only and not text.isascii():
        problems.append(f"The value for parameter {path} contains non-ASCII characters.")
    if ascii_only and _CONTROL_CHARACTER.search(text):
        problems.append(f"The value for parameter {path} contains control characters.")
    if ascii_only and not text.strip():
        problems.append(f"The parameter {path} must contain at least one non-whitespace character.")
    if no_leading_colon and text.startswith(":"):
        problems.append(f"The parameter {path} must not start with ':'.")
    if len(text) > maximum:
        problems.append(f"The parameter {path} must be shorter than {maximum + 1} characters.")
    return [(InvalidParameterError, message) for message in problems]


def dimension_problems(
    path: str,
    dimensions: list[dict[str, Any]],
    *,
    maximum: int | None = MAX_DIMENSIONS,
    value_required: bool = True,
) -> list[Problem]:
    """Problems of a Dimensions list under `path` ("" for a top-level member). `maximum` None
    leaves the count to the caller; `value_required` False is ListMetrics' DimensionFilter,
    whose Value is optional."""
    base = f"{path}.Dimensions" if path else "Dimensions"
    problems: list[Problem] = []
    if maximum is not None and len(dimensions) > maximum:
        problems.append((InvalidParameterError, _too_many(base, maximum)))
    for m, dimension in enumerate(dimensions, start=1):
        name, value = dimension.get("Name"), dimension.get("Value")
        if (
            name
            and value
            and _text_is_clean(name, DIMENSION_NAME_MAX, True, True)
            and _text_is_clean(value, DIMENSION_VALUE_MAX, True, False)
        ):
            continue  # the common case, without building member paths
        dim_path = f"{base}.member.{m}"
        if not name:
            problems.append((MissingParameterError, _required(f"{dim_path}.Name")))
        else:
            problems += text_problems(
                f"{dim_path}.Name", name, DIMENSION_NAME_MAX, no_leading_colon=True
            )
        if value:
            problems += text_problems(f"{dim_path}.Value", value, DIMENSION_VALUE_MAX)
        elif value_required or value is not None:
            # An empty filter Value is no filter value either: AWS requires 1+ characters.
            problems.append((MissingParameterError, _required(f"{dim_path}.Value")))
    return problems


def validate_metric_reference(
    namespace: str | None,
    metric_name: str | None,
    dimensions: list[dict[str, Any]],
    *,
    dimension_values_required: bool = True,
) -> None:
    """The names a read request gives (GetMetricStatistics, ListMetrics): the model's
    lengths and patterns with PutMetricData's texts (§3.0), but no reserved-namespace rule,
    since AWS/ metrics may be read. Counts are the caller's (30 dimensions, 10 filters)."""
    problems: list[Problem] = []
    if namespace:
        problems += text_problems("Namespace", namespace, NAMESPACE_MAX, no_leading_colon=True)
    if metric_name:
        problems += text_problems("MetricName", metric_name, METRIC_NAME_MAX, ascii_only=False)
    problems += dimension_problems(
        "", dimensions, maximum=None, value_required=dimension_values_required
    )
    if problems:
        raise problems[0][0]("\n".join(message for _, message in problems))


# --- One datum -----------------------------------------------------------------------------


_PLAIN_MEMBERS = frozenset(
    {"MetricName", "Dimensions", "Timestamp", "Value", "Unit", "StorageResolution"}
)


def _plain_value_datum(
    namespace: str, datum: dict[str, Any], now: datetime, window: tuple[datetime, datetime]
) -> Datum | None:
    """The Datum of a faultless single-`Value` datum, the shape most datums have; None for
    any other shape and for anything `_check_datum` could object to, which then decides.

    A screen, not a second set of rules: each test here is one of `_check_datum`'s, asked
    as "is it fine?" without building the member paths its messages need (at 1000 datums a
    request, that general walk was most of the API's time). tests/unit/watch/
    test_metric_validation.py checks both agree on valid and invalid datums.
    """
    if not datum.keys() <= _PLAIN_MEMBERS:
        return None
    value = datum.get("Value")
    name = datum.get("MetricName")
    if type(value) is not float or not -VALUE_LIMIT <= value <= VALUE_LIMIT:
        return None  # NaN fails the comparison too
    if not name or not _text_is_clean(name, METRIC_NAME_MAX, False, False):
        return None
    pairs = []
    for dimension in datum.get("Dimensions") or ():
        dim_name, dim_value = dimension.get("Name"), dimension.get("Value")
        if not (
            dim_name
            and dim_value
            and _text_is_clean(dim_name, DIMENSION_NAME_MAX, True, True)
            and _text_is_clean(dim_value, DIMENSION_VALUE_MAX, True, False)
        ):
            return None
        pairs.append((dim_name, dim_value))
    if len(pairs) > MAX_DIMENSIONS:
        return None
    timestamp = datum.get("Timestamp")
    if timestamp is None:
        timestamp = now
    else:
        timestamp = _utc(timestamp)
        if not window[0] <= timestamp <= window[1]:
            return None
    resolution = datum.get("StorageResolution")
    if resolution is None:
        resolution = DEFAULT_STORAGE_RESOLUTION
    elif resolution not in STORAGE_RESOLUTIONS:
        return None
    return Datum(
        namespace,
        name,
        canonical_dimensions(pairs) if len(pairs) > 1 else tuple(pairs),
        timestamp,
        datum.get("Unit") or DEFAULT_UNIT,
        int(resolution),
        1.0,
        value,
        value,
        value,
        ((value, 1.0),),
    )


def _check_datum(
    path: str, datum: dict[str, Any], now: datetime
) -> tuple[list[Problem], dict[str, Any] | None]:
    """Problems of one datum and, when it has none, the Datum fields (without namespace).

    The fields are None for a valid datum that carries no samples (all counts zero).
    """
    problems: list[Problem] = []
    name = datum.get("MetricName")
    if not name:
        problems.append((MissingParameterError, _required(f"{path}.MetricName")))
    elif not _text_is_clean(name, METRIC_NAME_MAX, False, False):
        problems += text_problems(f"{path}.MetricName", name, METRIC_NAME_MAX, ascii_only=False)
    dimensions = list(datum.get("Dimensions") or [])
    if dimensions:
        problems += dimension_problems(path, dimensions)

    timestamp = _utc(datum["Timestamp"]) if datum.get("Timestamp") is not None else now
    if now - timestamp > MAX_AGE:
        problems.append(
            (
                InvalidParameterError,
                f"The parameter {path}.Timestamp must specify a time within the past two weeks.",
            )
        )
    elif timestamp - now > MAX_AHEAD:
        problems.append(
            (
                InvalidParameterError,
                f"The parameter {path}.Timestamp must specify a time no more than two hours "
                "in the future.",
            )
        )

    resolution = datum.get("StorageResolution")
    if resolution is None:
        resolution = DEFAULT_STORAGE_RESOLUTION
    elif resolution not in STORAGE_RESOLUTIONS:
        problems.append(
            (
                InvalidParameterError,
                f"The value {resolution} for parameter {path}.StorageResolution is invalid. "
                "Valid values are 1 and 60.",
            )
        )

    value_problems, summary = _check_values(path, datum)
    problems += value_problems
    if problems or summary is None:
        return problems, None
    return problems, {
        "metric_name": name,
        "dimensions": canonical_dimensions([(d["Name"], d["Value"]) for d in dimensions]),
        "timestamp": timestamp,
        "unit": datum.get("Unit") or DEFAULT_UNIT,
        "storage_resolution": int(resolution),
        **summary,
    }


def _check_values(path: str, datum: dict[str, Any]) -> tuple[list[Problem], dict[str, Any] | None]:
    value = datum.get("Value")
    values = list(datum.get("Values") or [])
    counts = list(datum.get("Counts") or [])
    stats = datum.get("StatisticValues")
    presence = (
        ("Value", value is not None),
        ("Values", bool(values)),
        ("StatisticValues", stats is not None),
    )
    given = [member for member, present in presence if present]
    problems: list[Problem] = [
        (
            InvalidParameterCombinationError,
            f"The parameters {path}.{a} and {path}.{b} are mutually exclusive "
            "and you have specified both.",
        )
        for i, a in enumerate(given)
        for b in given[i + 1 :]
    ]
    if not given:
        problems.append(
            (
                InvalidParameterCombinationError,
                f"At least one of the parameters {path}.Value and {path}.StatisticValues "
                "must be specified.",
            )
        )
    if value is not None:
        problems += _number_problems(f"{path}.Value", value)
    if len(values) > MAX_VALUES:
        problems.append((InvalidParameterError, _too_many(f"{path}.Values", MAX_VALUES)))
    if counts and len(counts) != len(values):
        problems.append(
            (
                InvalidParameterError,
                f"The parameters {path}.Values and {path}.Counts must be of the same size.",
            )
        )
    if values and not _numbers_in_range(values, -VALUE_LIMIT):
        for i, v in enumerate(values, start=1):
            problems += _number_problems(f"{path}.Values.member.{i}", v)
    if counts and not _numbers_in_range(counts, 0.0):
        for i, c in enumerate(counts, start=1):
            problems += _number_problems(f"{path}.Counts.member.{i}", c, minimum=0.0)
    if stats is not None:
        problems += _statistic_values_problems(f"{path}.StatisticValues", stats)
    if problems:
        return problems, None

    if value is not None:
        v = float(value)
        return [], _summary(1.0, v, v, v, ((v, 1.0),))
    if stats is not None:
        return [], _summary(
            *(float(stats[k]) for k in ("SampleCount", "Sum", "Minimum", "Maximum")), None
        )
    pairs = _value_counts(values, counts)
    if not pairs:
        return [], None
    if not counts:  # each value once: the summary is over the values, at C speed
        floats = list(map(float, values))
        return [], _summary(float(len(floats)), math.fsum(floats), min(floats), max(floats), pairs)
    return [], _summary(
        math.fsum(c for _, c in pairs),
        math.fsum(v * c for v, c in pairs),
        min(v for v, _ in pairs),
        max(v for v, _ in pairs),
        pairs,
    )


def _value_counts(values: list[Any], counts: list[Any]) -> tuple[tuple[float, float], ...]:
    """Values/Counts as (value, count) pairs, one per distinct value, in first-seen order.

    Values/Counts is a histogram, so a value given twice is one value with the counts added:
    nothing a statistic reads changes, and a datum of 150 samples drawn from a few distinct
    values (the usual shape of latencies in whole milliseconds) travels and is stored as a
    few pairs instead of 150.
    """
    if not counts:
        tally = Counter(map(float, values))
        return tuple(zip(tally.keys(), map(float, tally.values()), strict=True))
    merged: dict[float, float] = {}
    for v, c in zip(map(float, values), map(float, counts), strict=True):
        if c > 0:
            merged[v] = merged.get(v, 0.0) + c
    return tuple(merged.items())


def _statistic_values_problems(path: str, stats: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for member in ("SampleCount", "Sum", "Minimum", "Maximum"):
        if stats.get(member) is None:
            problems.append((MissingParameterError, _required(f"{path}.{member}")))
        else:
            problems += _number_problems(f"{path}.{member}", stats[member])
    if problems:
        return problems
    if float(stats["SampleCount"]) <= 0:
        problems.append(
            (InvalidParameterError, f"The parameter {path}.SampleCount must be greater than 0.")
        )
    if float(stats["Minimum"]) > float(stats["Maximum"]):
        problems.append(
            (
                InvalidParameterError,
                f"The parameter {path}.Minimum must be less than or equal to "
                f"the parameter {path}.Maximum.",
            )
        )
    return problems


def _numbers_in_range(numbers: list[Any], minimum: float) -> bool:
    """Whether every number is finite and within [minimum, 2^360], screened at C speed; only
    a list that fails is checked number by number, for the messages. Infinities fail the
    bounds; NaN compares false with everything, so it is looked for on its own."""
    try:
        floats = list(map(float, numbers))
    except (TypeError, ValueError):
        return False
    return (
        minimum <= min(floats) and max(floats) <= VALUE_LIMIT and not any(map(math.isnan, floats))
    )


def _number_problems(path: str, number: Any, *, minimum: float = -VALUE_LIMIT) -> list[Problem]:
    """Finite and within [minimum, 2^360] (§3.1); one line per bad number."""
    v = float(number)
    if math.isfinite(v) and minimum <= v <= VALUE_LIMIT:
        return []
    return [
        (InvalidParameterError, f"The value {_java_double(v)} for parameter {path} is invalid.")
    ]


def _summary(
    count: float,
    total: float,
    low: float,
    high: float,
    distribution: tuple[tuple[float, float], ...] | None,
) -> dict[str, Any]:
    return {
        "sample_count": count,
        "sum": total,
        "minimum": low,
        "maximum": high,
        "distribution": distribution,
    }


# --- Small helpers -------------------------------------------------------------------------


def _required(path: str) -> str:
    return f"The parameter {path} is required."


def _too_many(path: str, maximum: int) -> str:
    # The form AWS used for the old 20-metric limit [aws-rec], with today's limits.
    return f"The collection {path} must not have a size greater than {maximum}."


def _java_double(v: float) -> str:
    # AWS (Java) prints NaN / Infinity / -Infinity; finite values keep Python's repr.
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return repr(v)


def _utc(moment: datetime) -> datetime:
    """Aware datetimes are converted to UTC; a naive one is taken to be UTC already."""
    if moment.tzinfo is UTC:
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
