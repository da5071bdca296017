"""The OpenStack-style watch REST API, /v1/<tenant_id>/..., on the watch frontend (port 8003).

A second view of the alarms, metrics, history and dashboards the CloudWatch endpoint serves:
every write goes through the same validation (models/watch/*_validation.py) and the same
services (models/watch/alarms.py, ...), every read through the same queries, and datapoints
through the same metrics queue. Nothing here decides what a value means; the namespaces
deal with HTTP, the schemas in web/api/schemas/watches.py with shape.

Routes (X-Auth-Token; the token's tenant must be the path's):

    GET    /alarms                   state, name_prefix, type, limit, marker
    POST   /alarms                   201; 409 when the name exists (CloudWatch would upsert)
    GET    /alarms/<name>
    PUT    /alarms/<name>            full replace (404 when missing)
    PATCH  /alarms/<name>            RFC 7396 merge patch of the configuration
    DELETE /alarms/<name>            204
    GET    /alarms/<name>/state      PUT too: {"state", "reason", "reason_data"}
    GET    /alarms/<name>/history    type, start, end, limit, marker
    GET    /metrics                  namespace, name, dimension (repeat), recently_active, ...
    GET    /metrics/statistics       namespace, name, dimension, statistics, percentiles, ...
    POST   /metrics/data             202: queued like PutMetricData
    GET    /dashboards               name_prefix, marker
    GET|PUT|DELETE /dashboards/<name>

The Swagger 2.0 document is at /openapi.json (and /v1/swagger.json); Swagger UI at /docs.

Alarm JSON: Aodh's names where the concept is the same, CloudWatch's values otherwise.

    REST (Aodh)                     CloudWatch
    alarm_id                        AlarmArn
    name, description               AlarmName, AlarmDescription
    type: threshold | composite     MetricAlarm | CompositeAlarm
    enabled                         ActionsEnabled (whether actions run, not evaluation)
    alarm_actions, ok_actions,      AlarmActions, OKActions, InsufficientDataActions
      insufficient_data_actions
    state: ok | alarm |             StateValue: OK | ALARM | INSUFFICIENT_DATA
      insufficient data
    state_reason, state_reason_data StateReason, StateReasonData (parsed JSON, not a string)
    state_timestamp                 StateUpdatedTimestamp
    state_transitioned_timestamp    StateTransitionedTimestamp
    timestamp                       AlarmConfigurationUpdatedTimestamp
    rule.namespace, .metric_name    Namespace, MetricName
    rule.dimensions [{name, value}] Dimensions [{Name, Value}]
    rule.statistic                  Statistic, or ExtendedStatistic when not one of the five
    rule.period, .unit              Period, Unit
    rule.evaluation_periods         EvaluationPeriods
    rule.datapoints_to_alarm        DatapointsToAlarm
    rule.threshold                  Threshold
    rule.comparison_operator:       ComparisonOperator: GreaterThanThreshold,
      gt | ge | lt | le               GreaterThanOrEqualToThreshold, LessThan..., ...OrEqualTo...
    rule.treat_missing_data         TreatMissingData (same values)
    rule.evaluate_low_sample_count_percentile   EvaluateLowSampleCountPercentile
    rule.metrics [{id, expression, label, return_data, period, account_id,
      metric_stat {metric {namespace, metric_name, dimensions}, period, stat, unit}}]
                                    Metrics (MetricDataQuery), for metric math alarms
    alarm_rule                      AlarmRule (composite alarms)
    actions_suppressor[...]         ActionsSuppressor, ...WaitPeriod, ...ExtensionPeriod
    actions_suppressed_by/_reason   ActionsSuppressedBy, ActionsSuppressedReason
    tags [{key, value}] (create)    Tags

History items: {alarm_id, name, alarm_type, timestamp, type, summary, detail}, where type is
`configuration` | `state transition` | `action` (ConfigurationUpdate | StateUpdate | Action)
and detail is HistoryData as an object. History outlives its alarm (30 days), so
`/alarms/<name>/history` answers 200 for a deleted alarm too.

Metrics: a metric is {namespace, metric_name, dimensions}. `dimension` query values are
`Name:Value` (split at the first colon); GET /metrics also takes a bare `Name` (any value).
POST /metrics/data takes {namespace, metric_data: [{metric_name, dimensions, timestamp,
value | values (+ counts) | statistic_values {sample_count, sum, minimum, maximum}, unit,
storage_resolution}]} and answers 202 {batch_id, accepted}: the batch id is the request id,
the idempotency key of the ingest task. Statistics answer {label, datapoints: [{timestamp,
unit, sample_count, average, sum, minimum, maximum, percentiles {p99: ...}}]} with only the
statistics asked for; defaults: all five standard statistics, period 60, end now, start an
hour before end. Timestamps are ISO 8601 (UTC when no offset is given), answered in UTC
with a `Z`.

Errors use web/api/errors.py's body. Decisions:
- 422: the body or query string does not have the documented shape (wrong JSON type,
  unknown member, missing required member, value outside an enum); `error.fields` holds
  marshmallow's messages per field.
- 400: well-shaped but refused by the shared validation, with the message the CloudWatch
  endpoint gives (it names CloudWatch members: MetricName is rule.metric_name, ...).
- 401 / 403: no or bad token / a token of another tenant. 404: no such alarm or dashboard.
- 409: POST of an existing alarm name. 413: a body over 1 MB. 415: a body that is not JSON.
- PUT and PATCH replace an existing alarm only (404 otherwise); a change of type, and a
  DELETE of an alarm a composite alarm names, are refused by the services (400).
- Paging: `limit` + `marker`. An alarm page's `next_marker` is the name of its last alarm;
  the others are opaque. A marker the server did not issue is a 400.
- An alarm name is the rest of the path (`<path:name>`), so names holding `/` work, raw or
  as %2F. A name that starts with `/` (the router merges `//`) or ends in `/state` or
  `/history` is reachable only through the list.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Flask, Response, g, jsonify, render_template, request, url_for
from flask_restx import Api, Namespace, Resource
from marshmallow import Schema, ValidationError, fields
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import MethodNotAllowed

from models.errors import InvalidInputError
from models.identity.tenants import Principal
from models.watch import (
    alarm_history,
    alarms,
    dashboards,
    metric_queries,
    metrics,
    statistics,
    suppression,
)
from models.watch.alarm_validation import (
    alarm_name_problems,
    normalised_tags,
    tag_problems,
    validate_put_composite_alarm,
    validate_put_metric_alarm,
    validate_set_alarm_state,
)
from models.watch.alarms import COMPOSITE_ALARM, METRIC_ALARM, Deployment
from models.watch.dashboard_validation import (
    DashboardBodyError,
    validate_dashboard_body,
    validate_dashboard_name,
    validate_dashboard_name_prefix,
)
from models.watch.datums import canonical_dimensions
from models.watch.metric_validation import validate_put_metric_data
from models.watch.statistics import STATISTICS
from models.watch.tables import Alarm
from tasks.routing import METRICS_QUEUE
from web.api.errors import TITLES, error_response
from web.api.schemas import field_messages, json_schema, query_parameters, summarise
from web.api.schemas import watches as schemas
from web.auth import require_tenant

# What the CloudWatch handlers send once an alarm write is committed (the debounced immediate
# evaluation; a transition's actions and parent re-evaluations): the same calls, not copies.
from web.aws.alarms import _evaluate_soon as evaluate_soon
from web.aws.alarms import _send_effects as send_effects
from web.context import web_context
from web.sessions import db_session

# CloudWatch's request limit (§3.1), with room for the JSON around the datapoints.
MAX_BODY_BYTES = 1024 * 1024 + 64 * 1024
DEFAULT_STATISTICS_PERIOD = 60
DEFAULT_STATISTICS_RANGE = timedelta(hours=1)
ALL_TYPES = [METRIC_ALARM, COMPOSITE_ALARM]


class _WatchApi(Api):
    def _register_doc(self, app_or_blueprint: Any) -> None:
        # flask-restx would claim GET /v1/ as its root; that path is the CloudWatch endpoint's
        # (heat-cfntools' boto 2 client posts there). Swagger UI is served at /docs instead.
        pass

    @property
    def base_path(self) -> str:
        return str(self.blueprint.url_prefix)  # restx builds it from the root we left out


blueprint = Blueprint("watch_v1", __name__, url_prefix="/v1")
api = _WatchApi(
    blueprint,
    title="heatwatch watch API",
    version="1",
    description="OpenStack-style alarms, metrics and dashboards: the same data as the "
    "CloudWatch-compatible endpoint on this port.",
    doc=False,
    authorizations={"token": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"}},
    security="token",
)
docs_blueprint = Blueprint("watch_docs", __name__)

alarms_ns = Namespace("alarms", path="/<string:tenant_id>/alarms", description="Alarms")
metrics_ns = Namespace("metrics", path="/<string:tenant_id>/metrics", description="Metrics")
dashboards_ns = Namespace(
    "dashboards", path="/<string:tenant_id>/dashboards", description="Dashboards"
)
for _ns in (alarms_ns, metrics_ns, dashboards_ns):
    api.add_namespace(_ns)


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
    app.register_blueprint(docs_blueprint)


# --- HTTP plumbing ------------------------------------------------------------------------------


def _handle_error(exc: Exception) -> Response:
    """flask-restx catches errors before Flask does; hand them to our JSON handlers
    (heat_v1's `errors_as_ours`), except 405, whose Allow header those handlers drop."""
    if isinstance(exc, MethodNotAllowed):
        response = error_response(405, exc.description or "Method not allowed.")
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods or ()))
        return response
    raise exc


api.handle_error = _handle_error  # type: ignore[method-assign]


class _DetailedError(Exception):
    """An HTTP error whose body carries more than the message (validation details)."""

    def __init__(self, status: int, message: str, error_type: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.details = details


def _detailed_response(exc: _DetailedError) -> Response:
    response = error_response(exc.status, exc.message, exc.error_type)
    body = response.get_json()
    body["error"].update(_string_keys(exc.details))
    response.set_data(json.dumps(body))
    return response


def _string_keys(value: Any) -> Any:
    # marshmallow keys list items by index; JSON keys are strings (and must sort together).
    if isinstance(value, Mapping):
        return {str(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(item) for item in value]
    return value


def _schema_error(exc: ValidationError) -> Response:
    messages = field_messages(exc)
    summary = "; ".join(summarise(messages)) or "The request does not have the expected shape."
    return _detailed_response(_DetailedError(422, summary, "ValidationError", fields=messages))


blueprint.register_error_handler(ValidationError, _schema_error)
blueprint.register_error_handler(_DetailedError, _detailed_response)


@blueprint.before_request
def _limit_body() -> None:
    request.max_content_length = MAX_BODY_BYTES


def _http_error(status: int, message: str, error_type: str | None = None) -> _DetailedError:
    return _DetailedError(status, message, error_type or TITLES[status].replace(" ", ""))


def _json_body() -> Any:
    if not request.is_json:
        raise _http_error(415, "Send the body as JSON (Content-Type: application/json).")
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    if body is None:
        raise _http_error(400, "The request body is not valid JSON.")
    return body


def _load(schema_class: type[Schema], data: Any) -> Any:
    return schema_class().load(data)


def _query(schema_class: type[Schema]) -> dict[str, Any]:
    """The query string loaded by a schema: list fields take every value of a repeated name."""
    schema = schema_class()
    raw: dict[str, Any] = {}
    for key in request.args:
        many = isinstance(schema.fields.get(key), fields.List)
        raw[key] = request.args.getlist(key) if many else request.args.get(key)
    return schema.load(raw)  # type: ignore[no-any-return]


def _dump(schema_class: type[Schema], view: Any) -> Any:
    return schema_class().dump(view)


def _no_content() -> Response:
    # No body, but the document's one media type rather than Flask's default text/html.
    return Response(status=204, mimetype="application/json")


def _now() -> datetime:
    return datetime.now(UTC)


def _deployment() -> Deployment:
    return Deployment(region=web_context().settings.region)


# --- OpenAPI documentation ----------------------------------------------------------------------

_models: dict[str, Any] = {}


def _model(schema_class: type[Schema], mode: str = "dump", name: str | None = None) -> Any:
    name = name or schema_class.__name__.removesuffix("Schema")
    if name not in _models:
        _models[name] = api.schema_model(name, json_schema(schema_class(), mode=mode))
    return _models[name]


_ERROR = _model(schemas.ErrorSchema)
_READ_ERRORS = (401, 403, 422)
_WRITE_ERRORS = (400, 401, 403, 413, 415, 422)


def _documented(
    ns: Namespace,
    *,
    ok: tuple[int, str, type[Schema] | None] | list[tuple[int, str, type[Schema] | None]],
    errors: tuple[int, ...],
    query: type[Schema] | None = None,
    body: tuple[str, type[Schema]] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        if query is not None:
            func = ns.doc(params=query_parameters(query()))(func)
        if body is not None:
            func = ns.expect(_model(body[1], "load", body[0]))(func)
        for status, description, schema in ok if isinstance(ok, list) else [ok]:
            func = ns.response(status, description, _model(schema) if schema else None)(func)
        for code in sorted(set(errors)):
            func = ns.response(code, TITLES[code], _ERROR)(func)
        return func

    return decorate


@docs_blueprint.get("/openapi.json")
def openapi() -> tuple[Response, int]:
    document = api.__schema__
    # flask-restx answers {"error": ...} when the document cannot be built (it logs why).
    return jsonify(document), 500 if "error" in document else 200


@docs_blueprint.get("/docs")
def swagger_ui() -> str:
    return render_template("swagger-ui.html", title=api.title, specs_url=url_for(".openapi"))


# --- Alarms -------------------------------------------------------------------------------------


def _valid_name(name: str) -> bool:
    """Whether an alarm could have this name; one that cannot is simply not found."""
    return not alarm_name_problems(name)


def _find_alarm(tenant_id: str, name: str) -> Alarm:
    found = alarms.find_alarm(db_session("watch"), tenant_id, name) if _valid_name(name) else None
    if found is None:
        raise _http_error(404, f"Alarm {name} does not exist.", "NotFound")
    return found


def _alarm_view(alarm: Alarm, deployment: Deployment) -> dict[str, Any]:
    status = None
    if alarm.alarm_type == COMPOSITE_ALARM:
        status = suppression.status(db_session("watch"), alarm, deployment.region, _now())
    arn = deployment.alarm_arn(alarm.tenant_id, alarm.name)
    return schemas.alarm_view(alarm, arn, status)


def _alarm_out(alarm: Alarm, deployment: Deployment) -> dict[str, Any]:
    return _dump(schemas.AlarmSchema, _alarm_view(alarm, deployment))  # type: ignore[no-any-return]


def _write_alarm(
    principal: Principal, loaded: schemas.AlarmRequest, *, replacing: bool
) -> dict[str, Any]:
    """Create (replacing=False) or replace an alarm: CloudWatch's validation and service,
    then the same immediate evaluation PutMetricAlarm asks for once the change is committed."""
    if loaded.alarm_type == METRIC_ALARM:
        config: Any = validate_put_metric_alarm(loaded.params)
    else:
        config = validate_put_composite_alarm(loaded.params)
    session, deployment, tenant_id = db_session("watch"), _deployment(), principal.tenant_id
    exists = alarms.find_alarm(session, tenant_id, config.name) is not None
    if exists and not replacing:
        raise _http_error(409, f"An alarm named {config.name} already exists.", "Conflict")
    if replacing and not exists:
        raise _http_error(404, f"Alarm {config.name} does not exist.", "NotFound")
    put = (
        alarms.put_metric_alarm if loaded.alarm_type == METRIC_ALARM else alarms.put_composite_alarm
    )
    try:
        alarm = put(session, deployment, tenant_id, config, _now())
        session.commit()
    except IntegrityError as exc:  # a concurrent create of the same name won the insert
        session.rollback()
        raise _http_error(409, f"An alarm named {config.name} already exists.") from exc
    evaluate_soon()  # evaluated right after create or update, debounced as for PutMetricAlarm
    return _alarm_out(alarm, deployment)


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


@alarms_ns.route("")
class AlarmList(Resource):
    @_documented(
        alarms_ns, ok=(200, "A page of alarms", schemas.AlarmPageSchema),
        errors=(400, *_READ_ERRORS), query=schemas.AlarmListQuery,
    )  # fmt: skip
    def get(self, tenant_id: str) -> Any:
        """List alarms by name, filtered by state, name prefix and type."""
        principal = require_tenant(tenant_id)
        query = _query(schemas.AlarmListQuery)
        kind = query.get("type")
        deployment = _deployment()
        found, next_token = alarms.describe_alarms(
            db_session("watch"),
            deployment,
            principal.tenant_id,
            name_prefix=query.get("name_prefix"),
            alarm_types=[schemas.ALARM_TYPE_FILTERS[kind]] if kind else ALL_TYPES,
            state_value=schemas.STATES.get(query.get("state", "")),
            max_records=query.get("limit", alarms.DEFAULT_MAX_RECORDS),
            # The marker is the last name seen; describe_alarms pages by name with a token
            # that wraps exactly that, so it is built rather than reimplemented.
            next_token=alarms._encode_token(query["marker"]) if "marker" in query else None,
        )  # fmt: skip
        page: dict[str, Any] = {"alarms": [_alarm_view(alarm, deployment) for alarm in found]}
        if next_token:
            page["next_marker"] = found[-1].name
        return _dump(schemas.AlarmPageSchema, page)

    @_documented(
        alarms_ns, ok=(201, "Created", schemas.AlarmSchema), errors=(409, *_WRITE_ERRORS),
        body=("AlarmCreate", schemas.AlarmCreateSchema),
    )  # fmt: skip
    def post(self, tenant_id: str) -> Any:
        """Create an alarm (409 if one has the name: use PUT to replace it)."""
        principal = require_tenant(tenant_id)
        loaded = _load(schemas.AlarmCreateSchema, _json_body())
        created = _write_alarm(principal, loaded, replacing=False)
        location = f"{request.base_url}/{quote(created['name'], safe='')}"
        return created, 201, {"Location": location}


@alarms_ns.route("/<path:name>")
class AlarmItem(Resource):
    @_documented(alarms_ns, ok=(200, "The alarm", schemas.AlarmSchema), errors=(401, 403, 404))
    def get(self, tenant_id: str, name: str) -> Any:
        """Show an alarm."""
        principal = require_tenant(tenant_id)
        return _alarm_out(_find_alarm(principal.tenant_id, name), _deployment())

    @_documented(
        alarms_ns, ok=(200, "Replaced", schemas.AlarmSchema), errors=(404, *_WRITE_ERRORS),
        body=("AlarmWrite", schemas.AlarmWriteSchema),
    )  # fmt: skip
    def put(self, tenant_id: str, name: str) -> Any:
        """Replace an alarm's whole configuration (its state and history stay)."""
        principal = require_tenant(tenant_id)
        _find_alarm(principal.tenant_id, name)
        loaded = _load(schemas.AlarmWriteSchema, _json_body())
        loaded.params["AlarmName"] = name
        return _write_alarm(principal, loaded, replacing=True)

    @_documented(
        alarms_ns, ok=(200, "Updated", schemas.AlarmSchema), errors=(404, *_WRITE_ERRORS),
        body=("AlarmPatch", schemas.AlarmPatchSchema),
    )  # fmt: skip
    def patch(self, tenant_id: str, name: str) -> Any:
        """Change some of an alarm's configuration: the stored configuration merged with
        the patch is validated as a PUT body would be."""
        principal = require_tenant(tenant_id)
        stored = _find_alarm(principal.tenant_id, name)
        patch = _json_body()
        _load(schemas.AlarmPatchSchema, patch)  # its own shape first: unknown members, types
        merged = _merge_patch(schemas.alarm_document(stored), patch)
        loaded = _load(schemas.AlarmWriteSchema, merged)
        loaded.params["AlarmName"] = name
        return _write_alarm(principal, loaded, replacing=True)

    @_documented(alarms_ns, ok=(204, "Deleted", None), errors=(400, 401, 403, 404))
    def delete(self, tenant_id: str, name: str) -> Response:
        """Delete an alarm (400 while a composite alarm names it)."""
        principal = require_tenant(tenant_id)
        _find_alarm(principal.tenant_id, name)
        session = db_session("watch")
        alarms.delete_alarms(session, _deployment(), principal.tenant_id, [name], _now())
        session.commit()
        return _no_content()


@alarms_ns.route("/<path:name>/state")
class AlarmStateResource(Resource):
    @_documented(
        alarms_ns, ok=(200, "The alarm's state", schemas.AlarmStateSchema), errors=(401, 403, 404)
    )
    def get(self, tenant_id: str, name: str) -> Any:
        """An alarm's state, why it is in it, and since when."""
        principal = require_tenant(tenant_id)
        alarm = _find_alarm(principal.tenant_id, name)
        return _dump(schemas.AlarmStateSchema, schemas.state_view(alarm))

    @_documented(
        alarms_ns, ok=(200, "The state set", schemas.AlarmStateSchema),
        errors=(404, 409, *_WRITE_ERRORS), body=("AlarmStateUpdate", schemas.AlarmStateSchema),
    )  # fmt: skip
    def put(self, tenant_id: str, name: str) -> Any:
        """Set an alarm's state until its next evaluation (SetAlarmState); actions run as for
        any transition."""
        principal = require_tenant(tenant_id)
        _find_alarm(principal.tenant_id, name)
        params = {**_load(schemas.AlarmStateSchema, _json_body()), "AlarmName": name}
        manual = validate_set_alarm_state(params)
        session = db_session("watch")
        stored = alarms.set_alarm_state(
            session, _deployment(), principal.tenant_id, name, manual, _now()
        )
        session.commit()
        send_effects(stored.action_ids, stored.parent_ids)
        alarm = _find_alarm(principal.tenant_id, name)
        return _dump(schemas.AlarmStateSchema, schemas.state_view(alarm))


@alarms_ns.route("/<path:name>/history")
class AlarmHistoryResource(Resource):
    @_documented(
        alarms_ns, ok=(200, "History, newest first", schemas.HistoryPageSchema),
        errors=(400, 404, *_READ_ERRORS), query=schemas.HistoryQuery,
    )  # fmt: skip
    def get(self, tenant_id: str, name: str) -> Any:
        """An alarm's history (kept 30 days, also after the alarm is deleted)."""
        principal = require_tenant(tenant_id)
        query = _query(schemas.HistoryQuery)
        if not _valid_name(name):
            return _dump(schemas.HistoryPageSchema, {"history": []})
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
        deployment = _deployment()
        page: dict[str, Any] = {
            "history": [
                schemas.history_view(item, deployment.alarm_arn(item.tenant_id, item.alarm_name))
                for item in items
            ]
        }
        if next_token:
            page["next_marker"] = next_token
        return _dump(schemas.HistoryPageSchema, page)


# --- Metrics ------------------------------------------------------------------------------------


@metrics_ns.route("")
class MetricList(Resource):
    @_documented(
        metrics_ns, ok=(200, "A page of metrics", schemas.MetricPageSchema),
        errors=(400, *_READ_ERRORS), query=schemas.MetricListQuery,
    )  # fmt: skip
    def get(self, tenant_id: str) -> Any:
        """List metrics with data in the last two weeks (or three hours: recently_active)."""
        principal = require_tenant(tenant_id)
        query = _query(schemas.MetricListQuery)
        filters = query.get("dimension", [])
        recently_active = bool(query.get("recently_active"))
        metrics.validate_list_request("PT3H" if recently_active else None, len(filters))
        found, next_token = metrics.list_metrics(
            db_session("watch"),
            principal.tenant_id,
            namespace=query.get("namespace"),
            metric_name=query.get("name"),
            dimension_filters=filters,
            recently_active=recently_active,
            now=_now(),
            page_token=query.get("marker"),
            page_size=query.get("limit", metrics.LIST_PAGE_SIZE),
        )
        page: dict[str, Any] = {"metrics": [schemas.metric_view(m) for m in found]}
        if next_token:
            page["next_marker"] = next_token
        return _dump(schemas.MetricPageSchema, page)


@metrics_ns.route("/statistics")
class MetricStatistics(Resource):
    @_documented(
        metrics_ns, ok=(200, "Datapoints, oldest first", schemas.StatisticsSchema),
        errors=(400, *_READ_ERRORS), query=schemas.StatisticsQuery,
    )  # fmt: skip
    def get(self, tenant_id: str) -> Any:
        """Statistics of one metric (its exact dimension set), as GetMetricStatistics."""
        principal = require_tenant(tenant_id)
        query = _query(schemas.StatisticsQuery)
        now = _now()
        end = query.get("end") or now
        start = query.get("start") or end - DEFAULT_STATISTICS_RANGE
        period = query.get("period", DEFAULT_STATISTICS_PERIOD)
        dimensions = query.get("dimension", [])
        wanted, extended = query.get("statistics"), query.get("percentiles")
        if not wanted and not extended:
            wanted = list(STATISTICS)
        statistics.validate_statistics_request(
            start, end, period, wanted, extended, now, len(dimensions)
        )
        aligned_start, aligned_end = statistics.aligned_range(start, end, period, now)
        points = metric_queries.datapoints(
            db_session("watch"), principal.tenant_id, query["namespace"], query["name"],
            canonical_dimensions(dimensions), aligned_start, aligned_end, period, wanted,
            extended, query.get("unit"),
        )  # fmt: skip
        view = {"label": query["name"], "datapoints": [schemas.datapoint_view(p) for p in points]}
        return _dump(schemas.StatisticsSchema, view)


@metrics_ns.route("/data")
class MetricData(Resource):
    @_documented(
        metrics_ns, ok=(202, "Queued for storage", schemas.MetricDataAcceptedSchema),
        errors=_WRITE_ERRORS, body=("MetricData", schemas.MetricDataSchema),
    )  # fmt: skip
    def post(self, tenant_id: str) -> Any:
        """Store datapoints: PutMetricData's validation, then the same metrics queue."""
        principal = require_tenant(tenant_id)
        loaded = _load(schemas.MetricDataSchema, _json_body())
        datums = validate_put_metric_data(loaded.namespace, loaded.metric_data, _now())
        # The request id names the batch, so a redelivered ingest task finds it stored.
        web_context().celery.send_task(
            "metrics.ingest_batch",
            args=[principal.tenant_id, g.request_id, [d.to_message() for d in datums], None],
            queue=METRICS_QUEUE,
        )
        accepted = {"batch_id": g.request_id, "accepted": len(datums)}
        return _dump(schemas.MetricDataAcceptedSchema, accepted), 202


# --- Dashboards ---------------------------------------------------------------------------------


def _dashboard_name(name: str) -> str:
    try:
        validate_dashboard_name(name)
    except InvalidInputError as exc:
        raise _http_error(404, f"Dashboard {name} does not exist.", "NotFound") from exc
    return name


def _dashboard_view(tenant_id: str, name: str) -> dict[str, Any]:
    found = dashboards.get_dashboard(db_session("watch"), tenant_id, name)
    return {
        "name": found.name,
        "dashboard_id": dashboards.dashboard_arn(tenant_id, found.name),
        "body": json.loads(found.body),
        "last_modified": found.updated_at,
    }


@dashboards_ns.route("")
class DashboardList(Resource):
    @_documented(
        dashboards_ns, ok=(200, "A page of dashboards", schemas.DashboardPageSchema),
        errors=(400, *_READ_ERRORS), query=schemas.DashboardListQuery,
    )  # fmt: skip
    def get(self, tenant_id: str) -> Any:
        """List dashboards by name."""
        principal = require_tenant(tenant_id)
        query = _query(schemas.DashboardListQuery)
        prefix = query.get("name_prefix")
        validate_dashboard_name_prefix(prefix)
        entries, next_token = dashboards.list_dashboards(
            db_session("watch"), principal.tenant_id, prefix, query.get("marker")
        )
        page: dict[str, Any] = {
            "dashboards": [
                {
                    "name": entry.name,
                    "dashboard_id": dashboards.dashboard_arn(principal.tenant_id, entry.name),
                    "last_modified": entry.last_modified,
                    "size": entry.size,
                }
                for entry in entries
            ]
        }
        if next_token:
            page["next_marker"] = next_token
        return _dump(schemas.DashboardPageSchema, page)


@dashboards_ns.route("/<string:name>")
class DashboardItem(Resource):
    @_documented(
        dashboards_ns, ok=(200, "The dashboard", schemas.DashboardSchema), errors=(401, 403, 404)
    )
    def get(self, tenant_id: str, name: str) -> Any:
        """Show a dashboard."""
        principal = require_tenant(tenant_id)
        view = _dashboard_view(principal.tenant_id, _dashboard_name(name))
        return _dump(schemas.DashboardSchema, view)

    @_documented(
        dashboards_ns,
        ok=[(200, "Replaced", schemas.DashboardPutSchema),
            (201, "Created", schemas.DashboardPutSchema)],
        errors=_WRITE_ERRORS, body=("DashboardWrite", schemas.DashboardWriteSchema),
    )  # fmt: skip
    def put(self, tenant_id: str, name: str) -> Any:
        """Create or replace a dashboard (PutDashboard); tags count only on create."""
        principal = require_tenant(tenant_id)
        validate_dashboard_name(name)
        loaded = _load(schemas.DashboardWriteSchema, _json_body())
        tags = [{"Key": t["key"], "Value": t["value"]} for t in loaded.get("tags") or []]
        problems = tag_problems(tags)
        if problems:
            raise problems[0][0]("\n".join(message for _, message in problems))
        body = json.dumps(loaded["body"], separators=(",", ":"))
        try:
            warnings = validate_dashboard_body(body)
        except DashboardBodyError as exc:
            raise _DetailedError(
                400, exc.message, "InvalidParameterInput",
                messages=[{"data_path": m.data_path, "message": m.message} for m in exc.messages],
            ) from exc  # fmt: skip
        session = db_session("watch")
        try:
            dashboards.get_dashboard(session, principal.tenant_id, name)
            created = False
        except dashboards.DashboardNotFoundError:
            created = True
        dashboards.put_dashboard(
            session, principal.tenant_id, name, body, normalised_tags(tags), _now()
        )
        session.commit()
        view = {
            **_dashboard_view(principal.tenant_id, name),
            "messages": [{"data_path": m.data_path, "message": m.message} for m in warnings],
        }
        return _dump(schemas.DashboardPutSchema, view), 201 if created else 200

    @_documented(dashboards_ns, ok=(204, "Deleted", None), errors=(401, 403, 404))
    def delete(self, tenant_id: str, name: str) -> Response:
        """Delete a dashboard."""
        principal = require_tenant(tenant_id)
        session = db_session("watch")
        dashboards.delete_dashboards(session, principal.tenant_id, [_dashboard_name(name)])
        session.commit()
        return _no_content()
