"""/v1/<tenant_id>/alarms: alarms, their state, history and graph.

Writes go through CloudWatch's validation and services (validate_put_metric_alarm, ...,
models/watch/alarms.py), then send what the CloudWatch handlers send once committed
(web/alarm_effects.py). Reads use the same queries as DescribeAlarms and
DescribeAlarmHistory; the graph is models/watch/metric_graphs.py's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, request
from flask_restx import Namespace, Resource
from sqlalchemy.exc import IntegrityError

from models.identity.tenants import Principal
from models.watch import alarm_history, alarms, metric_graphs, suppression
from models.watch.alarm_validation import (
    alarm_name_problems,
    validate_put_composite_alarm,
    validate_put_metric_alarm,
    validate_set_alarm_state,
)
from models.watch.alarms import COMPOSITE_ALARM, METRIC_ALARM, Deployment
from models.watch.tables import Alarm
from web.alarm_effects import evaluate_soon, send_effects
from web.api.schemas import watches as schemas
from web.api.watch.http import (
    READ_ERRORS,
    WRITE_ERRORS,
    deployment,
    documented,
    dump,
    http_error,
    json_body,
    load,
    no_content,
    now,
    png_response,
    query_args,
)
from web.auth import require_tenant
from web.sessions import db_session

ALL_TYPES = [METRIC_ALARM, COMPOSITE_ALARM]

ns = Namespace("alarms", path="/<string:tenant_id>/alarms", description="Alarms")


def _valid_name(name: str) -> bool:
    """Whether an alarm could have this name; one that cannot is simply not found."""
    return not alarm_name_problems(name)


def _find_alarm(tenant_id: str, name: str) -> Alarm:
    found = alarms.find_alarm(db_session("watch"), tenant_id, name) if _valid_name(name) else None
    if found is None:
        raise http_error(404, f"Alarm {name} does not exist.", "NotFound")
    return found


def _alarm_view(alarm: Alarm, deployment: Deployment) -> dict[str, Any]:
    status = None
    if alarm.alarm_type == COMPOSITE_ALARM:
        status = suppression.status(db_session("watch"), alarm, deployment.region, now())
    arn = deployment.alarm_arn(alarm.tenant_id, alarm.name)
    return schemas.alarm_view(alarm, arn, status)


def _alarm_out(alarm: Alarm, deployment: Deployment) -> dict[str, Any]:
    return dump(schemas.AlarmSchema, _alarm_view(alarm, deployment))  # type: ignore[no-any-return]


def _write_alarm(
    principal: Principal, loaded: schemas.AlarmRequest, *, replacing: bool
) -> dict[str, Any]:
    """Create (replacing=False) or replace an alarm: CloudWatch's validation and service,
    then the same immediate evaluation PutMetricAlarm asks for once the change is committed."""
    if loaded.alarm_type == METRIC_ALARM:
        config: Any = validate_put_metric_alarm(loaded.params)
    else:
        config = validate_put_composite_alarm(loaded.params)
    session, where, tenant_id = db_session("watch"), deployment(), principal.tenant_id
    exists = alarms.find_alarm(session, tenant_id, config.name) is not None
    if exists and not replacing:
        raise http_error(409, f"An alarm named {config.name} already exists.", "Conflict")
    if replacing and not exists:
        raise http_error(404, f"Alarm {config.name} does not exist.", "NotFound")
    put = (
        alarms.put_metric_alarm if loaded.alarm_type == METRIC_ALARM else alarms.put_composite_alarm
    )
    try:
        alarm = put(session, where, tenant_id, config, now())
        session.commit()
    except IntegrityError as exc:  # a concurrent create of the same name won the insert
        session.rollback()
        raise http_error(409, f"An alarm named {config.name} already exists.") from exc
    evaluate_soon()  # evaluated right after create or update, debounced as for PutMetricAlarm
    return _alarm_out(alarm, where)


def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge member by member, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _merge_patch(merged.get(key), value)
    return merged


@ns.route("")
class AlarmList(Resource):
    @documented(
        ns, ok=(200, "A page of alarms", schemas.AlarmPageSchema),
        errors=(400, *READ_ERRORS), query=schemas.AlarmListQuery,
    )  # fmt: skip
    def get(self, tenant_id: str) -> Any:
        """List alarms by name, filtered by state, name prefix and type."""
        principal = require_tenant(tenant_id)
        query = query_args(schemas.AlarmListQuery)
        kind = query.get("type")
        where = deployment()
        found, next_token = alarms.describe_alarms(
            db_session("watch"),
            where,
            principal.tenant_id,
            name_prefix=query.get("name_prefix"),
            alarm_types=[schemas.ALARM_TYPE_FILTERS[kind]] if kind else ALL_TYPES,
            state_value=schemas.STATES.get(query.get("state", "")),
            max_records=query.get("limit", alarms.DEFAULT_MAX_RECORDS),
            # The marker is the last name seen; describe_alarms pages by name with a token
            # that wraps exactly that, so it is built rather than reimplemented.
            next_token=alarms.encode_page_token(query["marker"]) if "marker" in query else None,
        )  # fmt: skip
        page: dict[str, Any] = {"alarms": [_alarm_view(alarm, where) for alarm in found]}
        if next_token:
            page["next_marker"] = found[-1].name
        return dump(schemas.AlarmPageSchema, page)

    @documented(
        ns, ok=(201, "Created", schemas.AlarmSchema), errors=(409, *WRITE_ERRORS),
        body=("AlarmCreate", schemas.AlarmCreateSchema),
    )  # fmt: skip
    def post(self, tenant_id: str) -> Any:
        """Create an alarm (409 if one has the name: use PUT to replace it)."""
        principal = require_tenant(tenant_id)
        loaded = load(schemas.AlarmCreateSchema, json_body())
        created = _write_alarm(principal, loaded, replacing=False)
        location = f"{request.base_url}/{quote(created['name'], safe='')}"
        return created, 201, {"Location": location}


@ns.route("/<path:name>")
class AlarmItem(Resource):
    @documented(ns, ok=(200, "The alarm", schemas.AlarmSchema), errors=(401, 403, 404))
    def get(self, tenant_id: str, name: str) -> Any:
        """Show an alarm."""
        principal = require_tenant(tenant_id)
        return _alarm_out(_find_alarm(principal.tenant_id, name), deployment())

    @documented(
        ns, ok=(200, "Replaced", schemas.AlarmSchema), errors=(404, *WRITE_ERRORS),
        body=("AlarmWrite", schemas.AlarmWriteSchema),
    )  # fmt: skip
    def put(self, tenant_id: str, name: str) -> Any:
        """Replace an alarm's whole configuration (its state and history stay)."""
        principal = require_tenant(tenant_id)
        _find_alarm(principal.tenant_id, name)
        loaded = load(schemas.AlarmWriteSchema, json_body())
        loaded.params["AlarmName"] = name
        return _write_alarm(principal, loaded, replacing=True)

    @documented(
        ns, ok=(200, "Updated", schemas.AlarmSchema), errors=(404, *WRITE_ERRORS),
        body=("AlarmPatch", schemas.AlarmPatchSchema),
    )  # fmt: skip
    def patch(self, tenant_id: str, name: str) -> Any:
        """Change some of an alarm's configuration: the stored configuration merged with
        the patch is validated as a PUT body would be."""
        principal = require_tenant(tenant_id)
        stored = _find_alarm(principal.tenant_id, name)
        patch = json_body()
        load(schemas.AlarmPatchSchema, patch)  # its own shape first: unknown members, types
        merged = _merge_patch(schemas.alarm_document(stored), patch)
        loaded = load(schemas.AlarmWriteSchema, merged)
        loaded.params["AlarmName"] = name
        return _write_alarm(principal, loaded, replacing=True)

    @documented(ns, ok=(204, "Deleted", None), errors=(400, 401, 403, 404))
    def delete(self, tenant_id: str, name: str) -> Response:
        """Delete an alarm (400 while a composite alarm names it)."""
        principal = require_tenant(tenant_id)
        _find_alarm(principal.tenant_id, name)
        session = db_session("watch")
        alarms.delete_alarms(session, deployment(), principal.tenant_id, [name], now())
        session.commit()
        return no_content()


@ns.route("/<path:name>/state")
class AlarmStateResource(Resource):
    @documented(ns, ok=(200, "The alarm's state", schemas.AlarmStateSchema), errors=(401, 403, 404))
    def get(self, tenant_id: str, name: str) -> Any:
        """An alarm's state, why it is in it, and since when."""
        principal = require_tenant(tenant_id)
        alarm = _find_alarm(principal.tenant_id, name)
        return dump(schemas.AlarmStateSchema, schemas.state_view(alarm))

    @documented(
        ns, ok=(200, "The state set", schemas.AlarmStateSchema),
        errors=(404, 409, *WRITE_ERRORS), body=("AlarmStateUpdate", schemas.AlarmStateSchema),
    )  # fmt: skip
    def put(self, tenant_id: str, name: str) -> Any:
        """Set an alarm's state until its next evaluation (SetAlarmState); actions run as for
        any transition."""
        principal = require_tenant(tenant_id)
        _find_alarm(principal.tenant_id, name)
        params = {**load(schemas.AlarmStateSchema, json_body()), "AlarmName": name}
        manual = validate_set_alarm_state(params)
        session = db_session("watch")
        stored = alarms.set_alarm_state(
            session, deployment(), principal.tenant_id, name, manual, now()
        )
        session.commit()
        send_effects(stored.action_ids, stored.parent_ids)
        alarm = _find_alarm(principal.tenant_id, name)
        return dump(schemas.AlarmStateSchema, schemas.state_view(alarm))


@ns.route("/<path:name>/history")
class AlarmHistoryResource(Resource):
    @documented(
        ns, ok=(200, "History, newest first", schemas.HistoryPageSchema),
        errors=(400, 404, *READ_ERRORS), query=schemas.HistoryQuery,
    )  # fmt: skip
    def get(self, tenant_id: str, name: str) -> Any:
        """An alarm's history (kept 30 days, also after the alarm is deleted)."""
        principal = require_tenant(tenant_id)
        query = query_args(schemas.HistoryQuery)
        if not _valid_name(name):
            return dump(schemas.HistoryPageSchema, {"history": []})
        item_type = query.get("type")
        items, next_token = alarm_history.describe_history(
            db_session("watch"),
            principal.tenant_id,
            alarm_name=name,
            alarm_types=ALL_TYPES,
            item_type=schemas.HISTORY_TYPES[item_type] if item_type else None,
            start=query.get("start"),
            end=query.get("end"),
            max_records=query.get("limit", alarms.DEFAULT_MAX_RECORDS),
            next_token=query.get("marker"),
            ascending=False,
        )
        where = deployment()
        page: dict[str, Any] = {
            "history": [
                schemas.history_view(item, where.alarm_arn(item.tenant_id, item.alarm_name))
                for item in items
            ]
        }
        if next_token:
            page["next_marker"] = next_token
        return dump(schemas.HistoryPageSchema, page)


@ns.route("/<path:name>/graph.png")
class AlarmGraphResource(Resource):
    @documented(
        ns, ok=(200, "The alarm's graph, a PNG image", None), png=True,
        errors=(400, 404, *READ_ERRORS), query=schemas.AlarmGraphQuery,
    )  # fmt: skip
    def get(self, tenant_id: str, name: str) -> Response:
        """An alarm's graph: its metric, threshold and states over time, as a PNG image.

        The metric (or the metric math's returned series) with the alarm's statistic and
        period, the threshold line, and the alarm's states as bands (ALARM red,
        INSUFFICIENT_DATA grey). A composite alarm has no metric: its graph is the state
        bands alone."""
        principal = require_tenant(tenant_id)
        query = query_args(schemas.AlarmGraphQuery)
        alarm = _find_alarm(principal.tenant_id, name)
        start, end = metric_graphs.alarm_graph_range(
            alarm, now(), start=query.get("start"), end=query.get("end")
        )
        png = metric_graphs.alarm_graph(
            db_session("watch"), principal.tenant_id, alarm, start=start, end=end,
            width=query.get("width", metric_graphs.DEFAULT_WIDTH),
            height=query.get("height", metric_graphs.DEFAULT_HEIGHT),
        )  # fmt: skip
        return png_response(png)
