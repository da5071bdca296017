"""The watch REST API's graphs, /metrics/graph.png and /alarms/<name>/graph.png, through the
watch app on a migrated SQLite watch DB.

Data and alarm history are written with the services (the ingest worker's record_batch, the
evaluator, SetAlarmState's service) at chosen times, so that a graph of "the last hours"
has something to show; the graphs themselves are read over HTTP only.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from config.settings import Settings
from models.identity.tenants import NewCredentials
from models.sessions import Database, session_scope
from models.watch import alarms, evaluation, metric_graphs, metrics
from models.watch.alarm_validation import (
    ManualState,
    validate_put_composite_alarm,
    validate_put_metric_alarm,
)
from models.watch.datums import Datum, canonical_dimensions
from tests.support import create_tenant
from web.watch_app import create_watch_app

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MINUTE = timedelta(minutes=1)
SERIES_RGB = (0x1F, 0x77, 0xB4)  # the first palette color: a graph's one line
RED_BAND_RGB = (248, 222, 222)  # ALARM's red at the bands' 15 % over white
GREY_BAND_RGB = (235, 235, 235)  # INSUFFICIENT_DATA's grey likewise
DEPLOYMENT = alarms.Deployment(region="us-east-1")


@pytest.fixture
def app(migrated_settings: Settings, make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(create_watch_app, migrated_settings)


@pytest.fixture
def tenant(migrated_settings: Settings) -> NewCredentials:
    return create_tenant(migrated_settings, f"graphs-{uuid.uuid4().hex[:6]}")


@pytest.fixture
def watch_db(migrated_settings: Settings) -> Iterator[Database]:
    database = Database(migrated_settings.watch_database_url, "watch")
    yield database
    database.dispose()


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


@dataclass
class Rest:
    client: FlaskClient
    tenant: NewCredentials

    def get(self, path: str, token: str | None = "", **query: Any) -> Any:
        headers = {} if token is None else {"X-Auth-Token": token or self.tenant.auth_token}
        return self.client.get(
            f"/v1/{self.tenant.tenant_id}{path}", headers=headers, query_string=query
        )


@pytest.fixture
def rest(app: Flask, tenant: NewCredentials) -> Rest:
    return Rest(app.test_client(), tenant)


def store(db: Database, tenant_id: str, values: list[tuple[datetime, float]]) -> None:
    with session_scope(db) as session:
        metrics.record_batch(session, tenant_id, uuid.uuid4().hex, [
            Datum(
                namespace="App", metric_name="CPU",
                dimensions=canonical_dimensions([("Host", "web-1")]), timestamp=at,
                unit="Percent", storage_resolution=60, sample_count=1.0, sum=value,
                minimum=value, maximum=value, distribution=((value, 1.0),),
            )
            for at, value in values
        ])  # fmt: skip


def put_alarm(db: Database, tenant_id: str, at: datetime, name: str = "cpu-high") -> None:
    params = {
        "AlarmName": name, "Namespace": "App", "MetricName": "CPU",
        "Dimensions": [{"Name": "Host", "Value": "web-1"}], "Statistic": "Maximum",
        "Period": 60, "EvaluationPeriods": 1, "Threshold": 80.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }  # fmt: skip
    with session_scope(db) as session:
        alarms.put_metric_alarm(
            session, DEPLOYMENT, tenant_id, validate_put_metric_alarm(params), at
        )


def png_of(response: Any, size: tuple[int, int] = (600, 300)) -> np.ndarray:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "image/png"
    assert response.data.startswith(PNG_SIGNATURE)
    picture = Image.open(io.BytesIO(response.data))
    assert picture.size == size
    return np.asarray(picture.convert("RGB"), dtype=int)


def count(picture: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 2) -> int:
    return int((np.abs(picture - np.array(rgb)).max(axis=2) <= tolerance).sum())


def assert_error(response: Any, status: int, *, mentions: str = "") -> dict:
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert response.status_code == status, body
    assert body["code"] == status
    assert mentions in body["explanation"]
    return body


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# --- /metrics/graph.png --------------------------------------------------------------------------


def test_a_metric_graph_is_a_png_of_the_stored_data(
    rest: Rest, watch_db: Database, now: datetime
) -> None:
    start = now - timedelta(hours=2)
    store(watch_db, rest.tenant.tenant_id, [(start + i * 5 * MINUTE, 10.0 + i) for i in range(24)])
    query = {"namespace": "App", "name": "CPU", "dimension": "Host:web-1", "statistic": "p99",
             "period": 300, "start": iso(start), "end": iso(now), "width": 500, "height": 250,
             "title": "web-1 CPU"}  # fmt: skip

    response = rest.get("/metrics/graph.png", **query)

    picture = png_of(response, (500, 250))
    assert response.headers["Cache-Control"] == "no-store"
    # The same graph as the domain function draws for the same arguments.
    with session_scope(watch_db) as session:
        expected = metric_graphs.metric_graph(
            session, rest.tenant.tenant_id, namespace="App", metric_name="CPU",
            dimensions=[("Host", "web-1")], statistic="p99", period=300, start=start, end=now,
            width=500, height=250, title="web-1 CPU",
        )  # fmt: skip
    assert response.data == expected
    # Another host has no data: no line, only the legend's sample of it.
    empty = png_of(
        rest.get("/metrics/graph.png", **{**query, "dimension": "Host:web-2"}), (500, 250)
    )
    assert count(picture, SERIES_RGB, 0) > 5 * count(empty, SERIES_RGB, 0)


def test_a_metric_graph_has_defaults_for_all_but_the_metric(
    rest: Rest, watch_db: Database, now: datetime
) -> None:
    store(
        watch_db, rest.tenant.tenant_id, [(now - i * MINUTE, 50.0 + i % 7) for i in range(1, 170)]
    )
    picture = png_of(rest.get("/metrics/graph.png", namespace="App", name="CPU",
                              dimension="Host:web-1"))  # fmt: skip
    assert count(picture, SERIES_RGB, 0) > 500  # a line: the default range (3 h) holds the data


@pytest.mark.parametrize(
    ("query", "mentions"),
    [
        ({"statistic": "Median"}, "The value Median for parameter Statistic is not a valid"),
        ({"period": 7}, "The parameter Period must be a multiple of 60."),
        ({"period": 1}, "You have requested up to 10800 datapoints"),  # three hours by default
        ({"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "before its end"),
        ({"namespace": ""}, "The parameter Namespace must be a string of 1 to 255 characters."),
    ],
)
def test_a_graph_it_cannot_draw_is_400_with_the_reason(
    rest: Rest, query: dict, mentions: str
) -> None:
    response = rest.get("/metrics/graph.png", **{"namespace": "App", "name": "CPU", **query})
    assert_error(response, 400, mentions=mentions)


@pytest.mark.parametrize(
    "query",
    [
        {"name": "CPU"},  # no namespace
        {"namespace": "App", "name": "CPU", "width": "0"},
        {"namespace": "App", "name": "CPU", "height": "2001"},
        {"namespace": "App", "name": "CPU", "width": "wide"},
        {"namespace": "App", "name": "CPU", "dimension": "NoColon"},
        {"namespace": "App", "name": "CPU", "start": "yesterday"},
        {"namespace": "App", "name": "CPU", "colour": "red"},  # not a parameter
    ],
)
def test_a_malformed_graph_query_is_422_naming_the_field(rest: Rest, query: dict) -> None:
    body = assert_error(rest.get("/metrics/graph.png", **query), 422)
    assert body["error"]["type"] == "ValidationError"
    assert body["error"]["fields"]


def test_graphs_need_the_tenants_token(
    rest: Rest, migrated_settings: Settings, watch_db: Database, now: datetime
) -> None:
    put_alarm(watch_db, rest.tenant.tenant_id, now - timedelta(hours=1))
    other = create_tenant(migrated_settings, f"other-{uuid.uuid4().hex[:6]}")
    for path, query in (("/metrics/graph.png", {"namespace": "App", "name": "CPU"}),
                        ("/alarms/cpu-high/graph.png", {})):  # fmt: skip
        assert_error(rest.get(path, token=None, **query), 401)
        assert_error(rest.get(path, token="not-a-token", **query), 401)
        assert_error(rest.get(path, token=other.auth_token, **query), 403)
        # Authentication comes first: a malformed query without a token is still a 401.
        assert_error(rest.get(path, token=None, width="0"), 401)


# --- /alarms/<name>/graph.png --------------------------------------------------------------------


def test_an_alarm_graph_shades_the_time_the_alarm_spent_in_alarm(
    rest: Rest, watch_db: Database, now: datetime
) -> None:
    tenant_id = rest.tenant.tenant_id
    created = now - timedelta(hours=2)
    put_alarm(watch_db, tenant_id, created)
    store(watch_db, tenant_id, [(created + i * MINUTE, 50.0 if i < 59 else 95.0)
                                for i in range(120)])  # fmt: skip
    before = png_of(rest.get("/alarms/cpu-high/graph.png"))
    assert count(before, RED_BAND_RGB) < 100  # only the red threshold line's edges, no band
    assert count(before, GREY_BAND_RGB) > 10000  # INSUFFICIENT_DATA since it was created

    # The evaluator, an hour ago, finds the breaching minute (95 at -61 min): ALARM since.
    with session_scope(watch_db) as session:
        at = now - 60 * MINUTE + timedelta(seconds=1.5)
        evaluation.evaluate_alarms(session, DEPLOYMENT, evaluation.due_alarms(session, at), at)
    state = rest.get("/alarms/cpu-high/state").get_json()
    assert state["state"] == "alarm"

    after = png_of(rest.get("/alarms/cpu-high/graph.png"))
    assert count(after, RED_BAND_RGB) > 10000  # the last hour: a third of the plot
    assert count(after, GREY_BAND_RGB) > 5000  # created until the evaluation: shorter now
    assert count(after, SERIES_RGB, 0) > 300
    # A range that ends before the transition has no red band; sizes are honoured.
    earlier = rest.get("/alarms/cpu-high/graph.png", start=iso(created), end=iso(now - 65 * MINUTE),
                       width=300, height=200)  # fmt: skip
    assert count(png_of(earlier, (300, 200)), RED_BAND_RGB) < 100


def test_a_composite_alarm_graph_is_its_state_bands(
    rest: Rest, watch_db: Database, now: datetime
) -> None:
    tenant_id = rest.tenant.tenant_id
    put_alarm(watch_db, tenant_id, now - timedelta(hours=2))
    with session_scope(watch_db) as session:
        config = validate_put_composite_alarm(
            {"AlarmName": "any", "AlarmRule": 'ALARM("cpu-high")'}
        )
        alarms.put_composite_alarm(session, DEPLOYMENT, tenant_id, config, now - timedelta(hours=2))
        alarms.set_alarm_state(session, DEPLOYMENT, tenant_id, "any",
                               ManualState("ALARM", "test"), now - 60 * MINUTE)  # fmt: skip

    picture = png_of(rest.get("/alarms/any/graph.png"))

    assert count(picture, RED_BAND_RGB) > 10000
    assert count(picture, SERIES_RGB, 40) == 0  # no metric, no line


def test_alarm_graph_errors(rest: Rest, watch_db: Database, now: datetime) -> None:
    put_alarm(watch_db, rest.tenant.tenant_id, now - timedelta(hours=1))
    assert_error(rest.get("/alarms/nope/graph.png"), 404, mentions="Alarm nope does not exist.")
    assert_error(rest.get(f"/alarms/{'x' * 300}/graph.png"), 404)  # no alarm can have that name
    assert_error(
        rest.get("/alarms/cpu-high/graph.png", start=iso(now), end=iso(now - MINUTE)),
        400, mentions="The start of the graph must be before its end.",
    )  # fmt: skip
    assert_error(
        rest.get("/alarms/cpu-high/graph.png", start=iso(now - timedelta(days=2))),
        400, mentions="which exceeds the limit of 1440",
    )  # fmt: skip
    assert_error(rest.get("/alarms/cpu-high/graph.png", height="0"), 422)
    assert_error(rest.get("/alarms/cpu-high/graph.png", title="x"), 422)  # not a parameter here


# --- The document --------------------------------------------------------------------------------


def test_the_graphs_are_documented_as_png_with_json_errors(app: Flask) -> None:
    document = app.test_client().get("/openapi.json").get_json()
    for path in ("/{tenant_id}/metrics/graph.png", "/{tenant_id}/alarms/{name}/graph.png"):
        operation = document["paths"][path]["get"]
        assert operation["produces"] == ["image/png", "application/json"]
        assert operation["responses"]["200"]["schema"] == {"type": "file"}
        for status in ("400", "401", "403", "422"):
            assert operation["responses"][status]["schema"] == {"$ref": "#/definitions/Error"}
        names = {p["name"] for p in operation["parameters"]}
        assert {"start", "end", "width", "height"} <= names
    metric = document["paths"]["/{tenant_id}/metrics/graph.png"]["get"]
    width = next(p for p in metric["parameters"] if p["name"] == "width")
    assert (width["minimum"], width["maximum"]) == (1, 2000)
    assert {p["name"] for p in metric["parameters"] if p.get("required")} == {"namespace", "name"}
    # Every other operation still answers JSON only.
    others = [op for path, item in document["paths"].items() if not path.endswith(".png")
              for method, op in item.items() if method != "parameters"]  # fmt: skip
    assert all("produces" not in op for op in others)
    assert document["produces"] == ["application/json"]
