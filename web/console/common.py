"""What the console's views share: the blueprint, its headers and error pages, the helpers
its templates call, and reading the query string (alarm names, time ranges, metrics)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException

from models.errors import DomainError, InvalidInputError, NotFoundError
from models.identity.tenants import Principal
from models.watch import alarms, statistics
from models.watch.alarm_validation import alarm_name_problems
from models.watch.alarms import COMPOSITE_ALARM, METRIC_ALARM, Deployment
from models.watch.datums import canonical_dimensions
from models.watch.evaluation import alarm_period
from models.watch.tables import Alarm
from web.console import session_auth
from web.context import web_context
from web.sessions import db_session

log = logging.getLogger("heatwatch.web")

blueprint = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

STATES = ("ALARM", "INSUFFICIENT_DATA", "OK")
ALARM_TYPES = (METRIC_ALARM, COMPOSITE_ALARM)
ALARM_PAGE_SIZE = 100
HISTORY_PAGE_SIZE = 20
METRIC_PAGE_SIZE = 100
REFRESH_SECONDS = 5
GRAPH_WIDTH, GRAPH_HEIGHT = 600, 300
MAX_GRAPH_SIDE = 2000
RANGES = {
    "1h": timedelta(hours=1),
    "3h": timedelta(hours=3),
    "12h": timedelta(hours=12),
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
    "1w": timedelta(weeks=1),
}
DEFAULT_RANGE = "3h"  # the REST API's graphs' too
# An alarm's graph by default: metric_graphs.alarm_graph_range (3 hours, or the evaluation
# window when that is longer).
AUTO_RANGE = "auto"
# A metric graph's period when none is asked for: about 60 to 170 points over the range.
AUTO_PERIODS = {"1h": 60, "3h": 60, "12h": 300, "1d": 600, "3d": 1800, "1w": 3600}
STATISTIC_CHOICES = ("Average", "Sum", "Minimum", "Maximum", "SampleCount", "p90", "p99")
PERIOD_CHOICES = (10, 60, 300, 900, 3600)
GRAPH_SUFFIX = "/graph.png"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


# --- Headers, errors, template helpers --------------------------------------------------------


@blueprint.after_request
def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.before_request
def _limit_body() -> None:
    request.max_content_length = 16 * 1024  # the only bodies are the login and logout forms


def _error_page(status: int, message: str) -> tuple[str, int]:
    return render_template("console/error.html", status=status, message=message), status


@blueprint.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[str, int] | HTTPException:
    if exc.code is None or exc.code < 400:
        return exc  # redirects raised by routing (a missing trailing slash)
    return _error_page(exc.code, exc.description or exc.name)


@blueprint.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> tuple[str, int]:
    if isinstance(exc, NotFoundError):
        return _error_page(404, exc.message or "Not found.")
    if isinstance(exc, InvalidInputError):
        return _error_page(400, exc.message)
    log.warning("console request refused", extra={"error": type(exc).__name__})
    return _error_page(409, exc.message)


@blueprint.errorhandler(Exception)
def _unexpected(exc: Exception) -> tuple[str, int]:
    log.exception("unhandled error")  # logged once, here, with the request id bound
    return _error_page(500, "The console failed to show this page.")


def alarm_url(name: str, endpoint: str = "console.alarm_page", **args: Any) -> str:
    """The alarm's page (or graph) URL: its name in the path when that survives browsers
    and the router, else in the query string."""
    segments = name.split("/")
    path_safe = all(segment not in ("", ".", "..") for segment in segments) and not (
        name.endswith(GRAPH_SUFFIX)
    )
    if path_safe:
        return url_for(endpoint, name=name, **args)
    return url_for(f"{endpoint}_by_query", name=name, **args)


def alarm_graph_url(name: str, **args: Any) -> str:
    return alarm_url(name, "console.alarm_graph_png", **args)


def when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def pretty_json(text: str | None) -> str:
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def dimensions_text(dimensions: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{name}={value}" for name, value in dimensions) or "(none)"


@blueprint.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "alarm_url": alarm_url,
        "alarm_graph_url": alarm_graph_url,
        "csrf_token": session_auth.csrf_token,
        "csrf_field": session_auth.CSRF_FIELD,
        "when": when,
        "pretty_json": pretty_json,
        "states": STATES,
        "principal": g.get("principal"),
        "refresh_seconds": REFRESH_SECONDS,
    }


def utc_now() -> datetime:
    return datetime.now(UTC)


def tenant_id() -> str:
    """The signed-in tenant (session_auth.signed_in has authenticated this request)."""
    principal: Principal = g.principal
    return principal.tenant_id


def deployment() -> Deployment:
    return Deployment(region=web_context().settings.region)


def find_alarm(name: str) -> Alarm:
    """The tenant's alarm of that name; a name no alarm could have is simply not found."""
    found = None
    if not alarm_name_problems(name):
        found = alarms.find_alarm(db_session("watch"), tenant_id(), name)
    if found is None:
        abort(404, f"Alarm {name} does not exist.")
    return found


def range_arg() -> str:
    name = request.args.get("range") or DEFAULT_RANGE
    if name not in RANGES:
        abort(400, f"There is no time range {name!r}: use one of {', '.join(RANGES)}.")
    return name


def time_range(range_name: str) -> tuple[datetime, datetime]:
    end = utc_now()
    return end - RANGES[range_name], end


def alarm_ranges(alarm: Alarm) -> list[str]:
    """The ranges an alarm's graph can be drawn over: a metric alarm's graph reads at most
    MAX_DATAPOINTS of its periods (a composite alarm's reads none)."""
    limit = timedelta.max
    if alarm.alarm_type == METRIC_ALARM:
        limit = timedelta(seconds=alarm_period(alarm) * statistics.MAX_DATAPOINTS)
    return [AUTO_RANGE, *(name for name, span in RANGES.items() if span <= limit)]


def int_arg(name: str, default: int | None) -> int | None:
    text = request.args.get(name, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        abort(400, f"{name} must be a whole number, not {text!r}.")


@dataclass(frozen=True)
class MetricQuery:
    """One metric's graph as the query string names it."""

    namespace: str
    metric_name: str
    dimensions: tuple[tuple[str, str], ...]
    statistic: str
    period: int | None  # None: chosen from the range (AUTO_PERIODS)
    range_name: str

    @property
    def effective_period(self) -> int:
        return self.period or AUTO_PERIODS[self.range_name]

    def args(self, **extra: Any) -> dict[str, Any]:
        args: dict[str, Any] = {
            "namespace": self.namespace,
            "name": self.metric_name,
            "dimension": [f"{name}:{value}" for name, value in self.dimensions],
            "statistic": self.statistic,
            "range": self.range_name,
        }
        if self.period is not None:
            args["period"] = self.period
        return {**args, **extra}

    @classmethod
    def from_request(cls) -> MetricQuery:
        namespace = request.args.get("namespace", "")
        metric_name = request.args.get("name", "")
        if not namespace or not metric_name:
            abort(400, "A metric graph needs both namespace and name.")
        dimensions = []
        for text in request.args.getlist("dimension"):
            name, colon, value = text.partition(":")
            if not colon or not name:
                abort(400, f"The dimension {text!r} is not Name:Value.")
            dimensions.append((name, value))
        return cls(
            namespace=namespace,
            metric_name=metric_name,
            dimensions=canonical_dimensions(dimensions),
            statistic=request.args.get("statistic") or "Average",
            period=int_arg("period", None),
            range_name=range_arg(),
        )
