"""The console's pages of alarms (list, one alarm, their live fragments) and signing in/out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort, g, redirect, render_template, request, url_for

from models.watch import alarm_history, alarms
from models.watch.alarms import COMPOSITE_ALARM, METRIC_ALARM
from models.watch.tables import Alarm, AlarmHistoryItem
from web.console import session_auth
from web.console.common import (
    ALARM_PAGE_SIZE,
    ALARM_TYPES,
    AUTO_RANGE,
    DEFAULT_RANGE,
    GRAPH_HEIGHT,
    GRAPH_WIDTH,
    HISTORY_PAGE_SIZE,
    RANGES,
    STATES,
    MetricQuery,
    alarm_graph_url,
    alarm_ranges,
    alarm_url,
    blueprint,
    deployment,
    dimensions_text,
    find_alarm,
    pretty_json,
    tenant_id,
    utc_now,
    when,
)
from web.sessions import db_session

# --- Signing in and out -----------------------------------------------------------------------


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    next_url = session_auth.safe_next(request.values.get("next"))
    if request.method == "POST":
        session_auth.check_csrf()
        principal = session_auth.sign_in(request.form.get("token", ""))
        if principal is not None:
            g.principal = principal
            return redirect(next_url)
        error = "That token is not valid: it is unknown, revoked, or its tenant is disabled."
        return render_template("console/login.html", next_url=next_url, error=error), 401
    if session_auth.current_principal() is not None:
        return redirect(next_url)
    return render_template("console/login.html", next_url=next_url, error=None)


@blueprint.post("/logout")
def logout() -> Any:
    session_auth.check_csrf()
    session_auth.sign_out()
    return redirect(url_for(".login"))


# --- Alarms -----------------------------------------------------------------------------------


def _alarm_list() -> dict[str, Any]:
    state = request.args.get("state") or None
    if state is not None and state not in STATES:
        abort(400, f"There is no alarm state {state!r}: use one of {', '.join(STATES)}.")
    prefix = request.args.get("prefix") or None
    marker = request.args.get("next") or None
    session, tenant = db_session("watch"), tenant_id()
    found, next_token = alarms.describe_alarms(
        session,
        deployment(),
        tenant,
        name_prefix=prefix,
        alarm_types=ALARM_TYPES,
        state_value=state,
        max_records=ALARM_PAGE_SIZE,
        next_token=marker,
    )
    counts = alarms.count_by_state(session, tenant, alarm_types=ALARM_TYPES, name_prefix=prefix)
    filters = {key: value for key, value in (("state", state), ("prefix", prefix)) if value}
    return {
        "alarms": found,
        "counts": counts,
        "total": sum(counts.values()),
        "state": state,
        "prefix": prefix or "",
        "filters": filters,
        "next_url": url_for(".alarm_list", **filters, next=next_token) if next_token else None,
        "first_url": url_for(".alarm_list", **filters) if marker else None,
        "fragment_url": url_for(".alarm_list_fragment", **filters, next=marker),
        "now": utc_now(),
    }


@blueprint.get("/")
@session_auth.signed_in()
def alarm_list() -> str:
    return render_template("console/alarms.html", **_alarm_list())


@blueprint.get("/fragments/alarms")
@session_auth.signed_in(redirect_to_login=False)
def alarm_list_fragment() -> str:
    return render_template("console/fragments/alarms.html", **_alarm_list())


@dataclass(frozen=True)
class ConfigRow:
    label: str
    value: str
    block: bool = False  # shown preformatted (JSON, rules)


def _configuration(alarm: Alarm) -> list[ConfigRow]:
    rows = [
        ConfigRow("Type", "composite" if alarm.alarm_type == COMPOSITE_ALARM else "metric"),
        ConfigRow("Description", alarm.description or "—"),
    ]
    if alarm.alarm_type == COMPOSITE_ALARM:
        rows.append(ConfigRow("Alarm rule", alarm.alarm_rule or "", block=True))
        if alarm.actions_suppressor:
            rows.append(ConfigRow("Actions suppressor", alarm.actions_suppressor))
    elif alarm.metrics is not None:
        rows.append(ConfigRow("Metrics", json.dumps(alarm.metrics, indent=2), block=True))
    else:
        rows += [
            ConfigRow("Namespace", alarm.namespace or ""),
            ConfigRow("Metric", alarm.metric_name or ""),
            ConfigRow("Dimensions", dimensions_text(alarms.dimensions_of(alarm))),
            ConfigRow("Statistic", alarm.statistic or alarm.extended_statistic or ""),
            ConfigRow("Period", f"{alarm.period} s"),
        ]
        if alarm.unit:
            rows.append(ConfigRow("Unit", alarm.unit))
    if alarm.alarm_type == METRIC_ALARM:
        bound = alarm.threshold if alarm.threshold is not None else alarm.threshold_metric_id
        evaluation = alarm.evaluation_periods
        rows += [
            ConfigRow("Condition", f"{alarm.comparison_operator} {bound}"),
            ConfigRow(
                "Datapoints to alarm",
                f"{alarm.datapoints_to_alarm or evaluation} out of {evaluation}",
            ),
            ConfigRow("Missing data", alarm.treat_missing_data or "missing"),
        ]
    rows += [
        ConfigRow("Actions enabled", "yes" if alarm.actions_enabled else "no"),
        ConfigRow("Alarm actions", "\n".join(alarm.alarm_actions) or "—"),
        ConfigRow("OK actions", "\n".join(alarm.ok_actions) or "—"),
        ConfigRow("Insufficient data actions", "\n".join(alarm.insufficient_data_actions) or "—"),
        ConfigRow("Configuration updated", when(alarm.config_updated_at)),
    ]
    return rows


@dataclass(frozen=True)
class HistoryRow:
    timestamp: datetime
    kind: str
    summary: str
    detail: str


HISTORY_KINDS = {
    "StateUpdate": "state",
    "ConfigurationUpdate": "configuration",
    "Action": "action",
}


def _history_row(item: AlarmHistoryItem) -> HistoryRow:
    kind = HISTORY_KINDS.get(item.item_type, item.item_type)
    return HistoryRow(item.timestamp, kind, item.summary, pretty_json(item.data))


def _alarm_view(name: str) -> dict[str, Any]:
    alarm = find_alarm(name)
    older = request.args.get("older") or None
    ranges = alarm_ranges(alarm)
    range_name = request.args.get("range") or AUTO_RANGE
    if range_name not in ranges:
        abort(400, f"This alarm's graph has no time range {range_name!r}: {', '.join(ranges)}.")
    items, next_token = alarm_history.describe_history(
        db_session("watch"),
        tenant_id(),
        alarm_name=alarm.name,
        alarm_types=list(ALARM_TYPES),
        item_type=None,
        start=None,
        end=None,
        max_records=HISTORY_PAGE_SIZE,
        next_token=older,
        ascending=False,
    )
    metric_url = None
    if alarm.alarm_type == METRIC_ALARM and alarm.metric_name is not None:
        metric_url = url_for(
            ".metric_graph_page",
            **MetricQuery(
                namespace=alarm.namespace or "",
                metric_name=alarm.metric_name,
                dimensions=tuple(alarms.dimensions_of(alarm)),
                statistic=alarm.statistic or alarm.extended_statistic or "Average",
                period=alarm.period,
                range_name=range_name if range_name in RANGES else DEFAULT_RANGE,
            ).args(),
        )
    page_args = {"range": range_name} if range_name != AUTO_RANGE else {}
    return {
        "alarm": alarm,
        "configuration": _configuration(alarm),
        "reason_data": pretty_json(alarm.state_reason_data),
        "history": [_history_row(item) for item in items],
        "older_url": alarm_url(alarm.name, **page_args, older=next_token) if next_token else None,
        "newest_url": alarm_url(alarm.name, **page_args) if older else None,
        "graph_url": alarm_graph_url(alarm.name, **page_args),
        "range_name": range_name,
        "ranges": ranges,
        "range_urls": {
            r: alarm_url(alarm.name, **({"range": r} if r != AUTO_RANGE else {})) for r in ranges
        },
        "metric_url": metric_url,
        "fragment_url": url_for(".alarm_fragment", name=alarm.name, older=older),
        "graph_size": (GRAPH_WIDTH, GRAPH_HEIGHT),
        "now": utc_now(),
    }


@blueprint.get("/alarms/<path:name>")
@session_auth.signed_in()
def alarm_page(name: str) -> str:
    return render_template("console/alarm.html", **_alarm_view(name))


@blueprint.get("/alarm")
@session_auth.signed_in()
def alarm_page_by_query() -> str:
    return render_template("console/alarm.html", **_alarm_view(request.args.get("name", "")))


@blueprint.get("/fragments/alarm")
@session_auth.signed_in(redirect_to_login=False)
def alarm_fragment() -> str:
    view = _alarm_view(request.args.get("name", ""))
    return render_template("console/fragments/alarm.html", **view)
