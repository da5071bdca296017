"""The OpenStack-style watch REST API, /v1/<tenant_id>/..., on the watch frontend (port 8003).

A second view of the alarms, metrics, history and dashboards the CloudWatch endpoint serves:
every write goes through the same validation (models/watch/*_validation.py) and the same
services (models/watch/alarms.py, ...), every read through the same queries, and datapoints
through the same metrics queue. Nothing here decides what a value means; the namespaces
deal with HTTP, the schemas in web/api/schemas/watches.py with shape.

The package: this module holds the blueprint, the flask-restx `api` and `init_app`;
http.py the plumbing (errors, bodies, query strings, the OpenAPI decorator); alarms.py,
metrics.py and dashboards.py one namespace each; docs.py /openapi.json and /docs.

Routes (X-Auth-Token; the token's tenant must be the path's):

    GET    /alarms                   state, name_prefix, type, limit, marker
    POST   /alarms                   201; 409 when the name exists (CloudWatch would upsert)
    GET    /alarms/<name>
    PUT    /alarms/<name>            full replace (404 when missing)
    PATCH  /alarms/<name>            RFC 7396 merge patch of the configuration
    DELETE /alarms/<name>            204
    GET    /alarms/<name>/state      PUT too: {"state", "reason", "reason_data"}
    GET    /alarms/<name>/history    type, start, end, limit, marker
    GET    /alarms/<name>/graph.png  start, end, width, height: a PNG image
    GET    /metrics                  namespace, name, dimension (repeat), recently_active, ...
    GET    /metrics/statistics       namespace, name, dimension, statistics, percentiles, ...
    GET    /metrics/graph.png        namespace, name, dimension, statistic, period, start, end,
                                     width, height, title: a PNG image
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

Graphs (models/watch/metric_graphs.py, drawn as GetMetricWidgetImage draws): 200 with an
`image/png` body; errors are JSON as everywhere else. /metrics/graph.png draws one
`statistic` (default Average; the five standard statistics or a percentile-type one such as
p99) of one metric (its exact dimension set), period default 60, end default now, start
default three hours before end; width and height in pixels, 1 to 2000 (default 600 x 300).
/alarms/<name>/graph.png draws a metric alarm's metric (or its metric math's returned
series) with its statistic and period, the threshold line, and the alarm's states as bands
(ALARM red, INSUFFICIENT_DATA grey); a composite alarm's graph is its state bands alone.
Its default range ends now and covers three hours, or the evaluation window when that is
longer. Either graph reads at most 1,440 periods (GetMetricStatistics' limit): a longer
range is a 400.

Errors use web/api/errors.py's body. Decisions:
- 422: the body or query string does not have the documented shape (wrong JSON type,
  unknown member, missing required member, value outside an enum or range); `error.fields` holds
  marshmallow's messages per field.
- 400: well-shaped but refused by the shared validation, with the message the CloudWatch
  endpoint gives (it names CloudWatch members: MetricName is rule.metric_name, ...); for a
  graph also a statistic, period or range it cannot draw, and a metric math alarm whose
  query cannot be read.
- 401 / 403: no or bad token / a token of another tenant. 404: no such alarm or dashboard.
- 409: POST of an existing alarm name. 413: a body over 1 MB. 415: a body that is not JSON.
- PUT and PATCH replace an existing alarm only (404 otherwise); a change of type, and a
  DELETE of an alarm a composite alarm names, are refused by the services (400).
- Paging: `limit` + `marker`. An alarm page's `next_marker` is the name of its last alarm;
  the others are opaque. A marker the server did not issue is a 400.
- An alarm name is the rest of the path (`<path:name>`), so names holding `/` work, raw or
  as %2F. A name that starts with `/` (the router merges `//`) or ends in `/state`,
  `/history` or `/graph.png` is reachable only through the list.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask
from flask_restx import Api

from web.api.watch import alarms, dashboards, http, metrics
from web.api.watch.docs import docs_blueprint


class _WatchApi(Api):
    def _register_doc(self, app_or_blueprint: Any) -> None:
        # flask-restx would claim GET /v1/ as its root; that path is the CloudWatch endpoint's
        # (heat-cfntools' boto 2 client posts there). Swagger UI is served at /docs instead.
        pass

    @property
    def base_path(self) -> str:
        return str(self.blueprint.url_prefix)  # restx builds it from the root we left out


# The v1 API's blueprint (its name prefixes the endpoints: watch_v1.alarms_alarm_list, ...).
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
http.install(api)
for _module in (alarms, metrics, dashboards):
    api.add_namespace(_module.ns)
docs = docs_blueprint(api)


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
    app.register_blueprint(docs)
