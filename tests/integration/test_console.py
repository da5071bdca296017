"""The web console (/console) on a real watch app with SQLite stores, through Flask's client.

Alarms, state changes and datapoints are written with the same services the APIs use, so
the console is checked against what the stores really hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config.settings import Settings
from models.identity import tenants
from models.identity.crypto import generate_key
from models.identity.tenants import NewCredentials
from models.sessions import Database, session_scope
from models.watch import alarms, metrics
from models.watch.alarm_validation import (
    validate_put_composite_alarm,
    validate_put_metric_alarm,
    validate_set_alarm_state,
)
from models.watch.alarms import Deployment
from models.watch.metric_validation import validate_put_metric_data
from tests.support import create_tenant
from web.console import session_auth
from web.watch_app import create_watch_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(migrated_settings: Settings, make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(create_watch_app, migrated_settings)


@pytest.fixture
def tenant(migrated_settings: Settings) -> NewCredentials:
    return create_tenant(migrated_settings, "console")


@dataclass
class Store:
    """Writes through the watch services, as the CloudWatch handlers would."""

    settings: Settings
    tenant_id: str

    def _database(self) -> Database:
        return Database(self.settings.watch_database_url, "watch")

    def run(self, work: Any) -> Any:
        database = self._database()
        try:
            with session_scope(database) as session:
                return work(session)
        finally:
            database.dispose()

    def put_alarm(self, name: str, **params: Any) -> None:
        config = validate_put_metric_alarm(
            {
                "AlarmName": name,
                "Namespace": "App",
                "MetricName": "CPU",
                "Dimensions": [{"Name": "Host", "Value": "web-1"}],
                "Statistic": "Average",
                "Period": 60,
                "EvaluationPeriods": 2,
                "Threshold": 80.0,
                "ComparisonOperator": "GreaterThanThreshold",
                "AlarmActions": ["http://127.0.0.1:9/alarm"],
                **params,
            }
        )
        self.run(
            lambda s: alarms.put_metric_alarm(
                s, Deployment("us-east-1"), self.tenant_id, config, datetime.now(UTC)
            )
        )

    def put_composite(self, name: str, rule: str) -> None:
        config = validate_put_composite_alarm({"AlarmName": name, "AlarmRule": rule})
        self.run(
            lambda s: alarms.put_composite_alarm(
                s, Deployment("us-east-1"), self.tenant_id, config, datetime.now(UTC)
            )
        )

    def set_state(self, name: str, state: str, reason: str, at: datetime | None = None) -> None:
        manual = validate_set_alarm_state(
            {"AlarmName": name, "StateValue": state, "StateReason": reason}
        )
        self.run(
            lambda s: alarms.set_alarm_state(
                s, Deployment("us-east-1"), self.tenant_id, name, manual, at or datetime.now(UTC)
            )
        )

    def put_datapoints(self, namespace: str, name: str, values: list[float]) -> None:
        now = datetime.now(UTC)
        data = [
            {
                "MetricName": name,
                "Dimensions": [{"Name": "Host", "Value": "web-1"}],
                "Value": value,
                "Timestamp": now - timedelta(minutes=len(values) - i),
            }
            for i, value in enumerate(values)
        ]
        datums = validate_put_metric_data(namespace, data, now)
        self.run(lambda s: metrics.record_batch(s, self.tenant_id, f"batch-{name}", datums))


@pytest.fixture
def store(migrated_settings: Settings, tenant: NewCredentials) -> Store:
    return Store(migrated_settings, tenant.tenant_id)


def csrf_of(client: FlaskClient, path: str = "/console/login") -> str:
    page = client.get(path)
    found = CSRF.search(page.get_data(as_text=True))
    assert found, page.get_data(as_text=True)
    return found.group(1)


def log_in(client: FlaskClient, token: str, **form: str) -> Any:
    csrf = csrf_of(client)
    return client.post("/console/login", data={"csrf_token": csrf, "token": token, **form})


@pytest.fixture
def client(app: Flask, tenant: NewCredentials) -> FlaskClient:
    """A browser signed in as the tenant."""
    client = app.test_client()
    response = log_in(client, tenant.auth_token)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


# --- Signing in and out ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/console/", "/console/metrics", "/console/alarms/cpu-high", "/console/metrics/graph"],
)
def test_pages_redirect_to_the_login_page_when_signed_out(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/console/login"
    assert parse_qs(location.query)["next"] == [path]


@pytest.mark.parametrize(
    "path",
    [
        "/console/fragments/alarms",
        "/console/fragments/alarm?name=x",
        "/console/alarms/x/graph.png",
        "/console/metrics/graph.png?namespace=App&name=CPU",
    ],
)
def test_fragments_and_images_answer_401_when_signed_out(app: Flask, path: str) -> None:
    assert app.test_client().get(path).status_code == 401


def test_login_with_a_good_token_sets_a_strict_httponly_cookie_without_the_token(
    app: Flask, tenant: NewCredentials
) -> None:
    client = app.test_client()
    response = log_in(client, f"  {tenant.auth_token}\n")  # pasted with whitespace around
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{session_auth.COOKIE_NAME}=")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
    # Signed and encrypted: neither the token nor its base64 is readable in the cookie.
    assert tenant.auth_token not in cookie
    assert tenant.auth_token[:12] not in cookie

    page = client.get("/console/")
    assert page.status_code == 200
    assert "console" in text(page)  # the tenant's name in the header


def test_over_https_the_cookie_is_secure(app: Flask, tenant: NewCredentials) -> None:
    client = app.test_client()
    page = client.get("/console/login", base_url="https://127.0.0.1")
    assert "Secure" in page.headers["Set-Cookie"]
    csrf = CSRF.search(text(page)).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/console/login",
        data={"csrf_token": csrf, "token": tenant.auth_token},
        base_url="https://127.0.0.1",
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_a_session_outlives_a_rotation_of_the_secret_key(
    app: Flask, tenant: NewCredentials, migrated_settings: Settings, make_app
) -> None:  # type: ignore[no-untyped-def]
    assert app.secret_key not in migrated_settings.secret_key  # derived, not the Fernet key
    client = app.test_client()
    assert log_in(client, tenant.auth_token).status_code == 302
    cookie = client.get_cookie(session_auth.COOKIE_NAME, path=session_auth.COOKIE_PATH)
    assert cookie is not None

    # The operator puts a new key first; the old one stays in the list to decrypt.
    rotated = replace(
        migrated_settings, secret_key=f"{generate_key()},{migrated_settings.secret_key}"
    )
    after = make_app(create_watch_app, rotated).test_client()
    after.set_cookie(cookie.key, cookie.value, path=session_auth.COOKIE_PATH)
    assert after.get("/console/").status_code == 200
    # Without the old key the cookie is worthless.
    replaced = replace(migrated_settings, secret_key=generate_key())
    stranger = make_app(create_watch_app, replaced).test_client()
    stranger.set_cookie(cookie.key, cookie.value, path=session_auth.COOKIE_PATH)
    assert stranger.get("/console/").status_code == 302


def test_a_bad_token_is_refused_and_starts_no_session(app: Flask) -> None:
    client = app.test_client()
    response = log_in(client, "not-a-token")
    assert response.status_code == 401
    assert "not valid" in text(response)
    assert client.get("/console/").status_code == 302


def test_a_revoked_token_stops_working_at_the_next_request(
    client: FlaskClient, migrated_settings: Settings, tenant: NewCredentials
) -> None:
    assert client.get("/console/").status_code == 200
    identity = Database(migrated_settings.identity_database_url, "identity")
    try:
        with session_scope(identity) as session:
            (token,) = tenants.list_api_tokens(session, tenant.tenant_id)
            tenants.revoke_api_token(session, token.id)
    finally:
        identity.dispose()

    assert client.get("/console/").status_code == 302
    assert client.get("/console/fragments/alarms").status_code == 401
    # ... and it cannot sign in again either.
    assert log_in(client, tenant.auth_token).status_code == 401


def test_login_without_the_sessions_csrf_token_is_refused(
    app: Flask, tenant: NewCredentials
) -> None:
    # A cross-site form post: no console session, hence no CSRF token to match.
    fresh = app.test_client()
    response = fresh.post("/console/login", data={"token": tenant.auth_token})
    assert response.status_code == 403
    assert fresh.get("/console/").status_code == 302

    # A session, but a wrong or missing token in the form.
    client = app.test_client()
    csrf_of(client)
    for form in ({"csrf_token": "forged"}, {}):
        response = client.post("/console/login", data={"token": tenant.auth_token, **form})
        assert response.status_code == 403
    assert client.get("/console/").status_code == 302


def test_login_goes_on_to_the_page_asked_for_and_never_off_the_console(
    app: Flask, tenant: NewCredentials
) -> None:
    client = app.test_client()
    response = log_in(client, tenant.auth_token, next="/console/metrics?namespace=App")
    assert response.headers["Location"] == "/console/metrics?namespace=App"

    for target in ("https://example.com/", "//example.com/console/", "/v1/x", "/console\\x"):
        client = app.test_client()
        response = log_in(client, tenant.auth_token, next=target)
        assert response.headers["Location"] == "/console/", target


def test_logout_clears_the_session_and_needs_the_csrf_token(client: FlaskClient) -> None:
    assert client.post("/console/logout", data={}).status_code == 403
    assert client.get("/console/").status_code == 200

    csrf = csrf_of(client, "/console/")
    response = client.post("/console/logout", data={"csrf_token": csrf})
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/login"
    assert client.get("/console/").status_code == 302


def test_console_pages_carry_a_content_security_policy_and_refuse_framing(
    client: FlaskClient,
) -> None:
    for path in ("/console/", "/console/login", "/console/static/console.js"):
        with client.get(path) as response:  # a static file is streamed: close it
            policy = response.headers["Content-Security-Policy"]
            assert "script-src 'self'" in policy
            assert "unsafe-inline" not in policy
            assert response.headers["X-Frame-Options"] == "DENY"
    assert client.get("/console/").headers["Cache-Control"] == "no-store"
    # No inline script anywhere: the one script is a file.
    page = text(client.get("/console/"))
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/console/static/console.js" defer>']


# --- Alarms -----------------------------------------------------------------------------------


def test_the_alarm_list_shows_states_reasons_transitions_and_counts(
    client: FlaskClient, store: Store
) -> None:
    store.put_alarm("cpu-high")
    store.put_alarm("disk-full", ActionsEnabled=False)
    store.put_alarm("mem-low")
    store.set_state(
        "cpu-high", "ALARM", "Threshold Crossed: 95 > 80", datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    )
    store.set_state("mem-low", "OK", "Back to normal")

    page = text(client.get("/console/"))
    body = re.search(r'<tbody id="alarm-rows".*?</tbody>', page, re.S).group(0)  # type: ignore[union-attr]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    by_name = {re.search(r">([^<]+)</a>", row).group(1): row for row in rows}  # type: ignore[union-attr]
    assert list(by_name) == ["cpu-high", "disk-full", "mem-low"]
    assert "state-alarm" in by_name["cpu-high"]
    assert "Threshold Crossed: 95 &gt; 80" in by_name["cpu-high"]
    assert "2030-01-02 03:04:05 UTC" in by_name["cpu-high"]
    assert "state-insufficient-data" in by_name["disk-full"]
    assert "<td>no</td>" in by_name["disk-full"]
    assert "state-ok" in by_name["mem-low"]
    assert 'href="/console/alarms/cpu-high"' in by_name["cpu-high"]

    counts = re.search(r'<nav id="state-counts".*?</nav>', page, re.S).group(0)  # type: ignore[union-attr]
    numbers = re.findall(r"</span> (\d+)</a>", counts)
    assert numbers == ["3", "1", "1", "1"]  # all, ALARM, INSUFFICIENT_DATA, OK


def test_the_alarm_list_filters_by_state_and_prefix(client: FlaskClient, store: Store) -> None:
    for name in ("a-1", "a-2", "b-1"):
        store.put_alarm(name)
    store.set_state("a-2", "ALARM", "manual")
    store.set_state("b-1", "ALARM", "manual")

    alarmed = text(client.get("/console/?state=ALARM"))
    assert ">a-2</a>" in alarmed
    assert ">b-1</a>" in alarmed
    assert ">a-1</a>" not in alarmed
    only_a = text(client.get("/console/?state=ALARM&prefix=a-"))
    assert ">a-2</a>" in only_a
    assert ">b-1</a>" not in only_a
    assert "No alarms in OK" in text(client.get("/console/?state=OK"))
    counts = re.search(r'<nav id="state-counts".*?</nav>', only_a, re.S).group(0)  # type: ignore[union-attr]
    assert re.findall(r"</span> (\d+)</a>", counts) == ["2", "1", "1", "0"]  # the a-* only

    refused = client.get("/console/?state=BROKEN")
    assert refused.status_code == 400
    assert "There is no alarm state" in text(refused)


def test_the_list_fragment_holds_the_parts_the_script_swaps(
    client: FlaskClient, store: Store
) -> None:
    store.put_alarm("cpu-high")
    page = text(client.get("/console/?state=ALARM"))
    assert 'data-refresh="/console/fragments/alarms?state=ALARM"' in page

    store.set_state("cpu-high", "ALARM", "manual")
    response = client.get("/console/fragments/alarms?state=ALARM")
    assert response.status_code == 200
    fragment = text(response)
    assert "<html" not in fragment  # a fragment, not a page
    for live_id in ("updated", "state-counts", "alarm-rows"):
        assert re.search(rf'id="{live_id}"[^>]*data-live', fragment), live_id
    assert "<table><tbody" in fragment.replace("\n", "")  # parsed as table rows, not text
    assert ">cpu-high</a>" in fragment
    assert "state-alarm" in fragment


def test_the_alarm_page_shows_configuration_state_and_history_newest_first(
    client: FlaskClient, store: Store
) -> None:
    store.put_alarm("cpu-high", AlarmDescription="CPU over 80", DatapointsToAlarm=1)
    for i, state in enumerate(["ALARM", "OK"] * 12):
        store.set_state("cpu-high", state, f"manual {i}")

    response = client.get("/console/alarms/cpu-high")
    assert response.status_code == 200
    page = text(response)
    assert "CPU over 80" in page
    assert "GreaterThanThreshold 80.0" in page
    assert "Host=web-1" in page
    assert "1 out of 2" in page
    assert "http://127.0.0.1:9/alarm" in page
    assert "manual 23" in page
    assert "state-ok" in page
    assert 'src="/console/alarms/cpu-high/graph.png"' in page
    assert 'href="/console/alarms/cpu-high?range=1d"' in page  # 1,440 periods of 60 s
    assert 'href="/console/alarms/cpu-high?range=3d"' not in page  # more: not offered
    assert 'data-refresh="/console/fragments/alarm?name=cpu-high"' in page

    history = re.search(r'<tbody id="history-rows".*?</tbody>', page, re.S).group(0)  # type: ignore[union-attr]
    summaries = re.findall(r"Alarm updated from (\w+) to (\w+)", history)
    assert len(summaries) == 20  # one page
    assert summaries[0] == ("ALARM", "OK")  # the last change first
    older = re.search(r'<a href="([^"]+)">older</a>', page).group(1)  # type: ignore[union-attr]
    older_page = text(client.get(older.replace("&amp;", "&")))
    rest = re.search(r'<tbody id="history-rows".*?</tbody>', older_page, re.S).group(0)  # type: ignore[union-attr]
    # 24 state changes and the creation: 5 on the second page, the oldest being the creation.
    assert len(re.findall(r"<tr>", rest)) == 5
    assert "created" in rest
    assert ">older</a>" not in older_page
    assert ">newest</a>" in older_page


def test_the_alarm_fragment_holds_the_state_panel_and_history(
    client: FlaskClient, store: Store
) -> None:
    store.put_alarm("cpu-high")
    store.set_state("cpu-high", "ALARM", "manual")
    fragment = text(client.get("/console/fragments/alarm?name=cpu-high"))
    for live_id in ("updated", "alarm-state", "history-rows"):
        assert re.search(rf'id="{live_id}"[^>]*data-live', fragment), live_id
    assert "state-alarm" in fragment
    assert client.get("/console/fragments/alarm?name=nope").status_code == 404


def test_a_composite_alarm_page_shows_its_rule_and_its_state_timeline(
    client: FlaskClient, store: Store
) -> None:
    store.put_alarm("cpu-high")
    store.put_composite("service-down", 'ALARM("cpu-high")')
    page = text(client.get("/console/alarms/service-down"))
    assert "ALARM(&#34;cpu-high&#34;)" in page
    assert 'src="/console/alarms/service-down/graph.png"' in page
    assert 'href="/console/alarms/service-down?range=1w"' in page  # no periods to count
    assert "metric graph" not in page
    assert ">composite</td>" in text(client.get("/console/"))
    graph = client.get("/console/alarms/service-down/graph.png?range=1w")
    assert graph.status_code == 200
    assert graph.mimetype == "image/png"


def test_an_unknown_alarm_is_a_404_page(client: FlaskClient) -> None:
    for path in ("/console/alarms/nope", "/console/alarm?name=nope", "/console/alarm?name="):
        response = client.get(path)
        assert response.status_code == 404
        assert response.mimetype == "text/html"
    assert "Alarm nope does not exist." in text(client.get("/console/alarms/nope"))


ODD_NAMES = [
    "<script>alert(1)</script>",
    "a/b",
    "/leading",
    "x/../y",
    "double//slash",
    "ends/graph.png",
    'q?x=1&y="2"#frag',
    "100% sure",
    "ünïcødé ☃",
]


def test_any_alarm_name_is_escaped_and_its_link_reaches_its_page(
    client: FlaskClient, store: Store
) -> None:
    for name in ODD_NAMES:
        store.put_alarm(name)
    listing = text(client.get("/console/"))
    assert "<script>alert(1)</script>" not in listing
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing

    links = re.findall(r'<td class="name"><a href="([^"]+)">', listing)
    assert len(links) == len(ODD_NAMES)
    for link in links:
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, link
        page = text(response)
        assert "<script>alert" not in page
        shown = re.search(r'<h1 class="alarm-name">(.*?)</h1>', page).group(1)  # type: ignore[union-attr]
        assert shown in {
            n.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")
            for n in ODD_NAMES
        }, shown
    assert 'href="/console/alarms/a/b"' in listing  # a plain slash stays in the path


def test_the_metric_list_links_each_metric_to_its_graph(client: FlaskClient, store: Store) -> None:
    store.put_datapoints("App", "CPU", [10.0, 20.0, 30.0])
    store.put_datapoints("Other", "Mem", [1.0])
    page = text(client.get("/console/metrics"))
    assert "Host=web-1" in page
    assert (
        'href="/console/metrics/graph?namespace=App&amp;name=CPU&amp;dimension=Host:web-1'
        "&amp;statistic=Average&amp;range=3h" in page
    )
    filtered = text(client.get("/console/metrics?namespace=Other"))
    assert ">Mem</td>" in filtered
    assert ">CPU</td>" not in filtered

    graph_page = client.get("/console/metrics/graph?namespace=App&name=CPU&dimension=Host:web-1")
    assert graph_page.status_code == 200
    assert (
        'src="/console/metrics/graph.png?namespace=App&amp;name=CPU&amp;dimension=Host:web-1'
        in text(graph_page)
    )


@pytest.mark.parametrize(
    "query",
    [
        "namespace=App",  # no metric name
        "namespace=App&name=CPU&dimension=NoColon",
        "namespace=App&name=CPU&period=often",
        "namespace=App&name=CPU&range=forever",
        "namespace=App&name=CPU&width=99999",
        "namespace=App&name=CPU&statistic=Median",  # refused by the graph service
        "namespace=App&name=CPU&period=7",  # likewise: not a valid period
    ],
)
def test_a_bad_graph_query_is_a_400(client: FlaskClient, query: str) -> None:
    response = client.get(f"/console/metrics/graph.png?{query}")
    assert response.status_code == 400, text(response)


def test_graphs_are_pngs(client: FlaskClient, store: Store) -> None:
    store.put_datapoints("App", "CPU", [10.0, 20.0, 30.0])
    store.put_alarm("cpu-high")
    store.put_alarm("ends/graph.png")
    for path in (
        "/console/alarms/cpu-high/graph.png",
        "/console/alarms/cpu-high/graph.png?range=1d&_=123",
        "/console/alarm/graph.png?name=ends/graph.png",
        "/console/metrics/graph.png?namespace=App&name=CPU&dimension=Host:web-1",
        "/console/metrics/graph.png?namespace=App&name=CPU&dimension=Host:web-1"
        "&statistic=Maximum&period=300&range=3h",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, text(response))
        assert response.mimetype == "image/png"
        assert response.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert client.get("/console/alarms/nope/graph.png").status_code == 404
    assert client.get("/console/alarms/cpu-high/graph.png?range=1y").status_code == 400
    # 10,080 periods of 60 s: more than a graph reads, refused by the graph service.
    assert client.get("/console/alarms/cpu-high/graph.png?range=1w").status_code == 400
    assert client.get("/console/alarms/cpu-high?range=1w").status_code == 400


def test_the_metric_graph_page_says_why_a_graph_cannot_be_drawn(client: FlaskClient) -> None:
    base = "/console/metrics/graph?namespace=App&name=CPU&dimension=Host:web-1"
    response = client.get(f"{base}&period=10&range=1w")
    assert response.status_code == 400
    page = text(response)
    assert 'role="alert"' in page
    assert "graph.png" not in page
    assert 'name="period"' in page  # the form stays, to pick another period
    response = client.get(f"{base}&statistic=Median")
    assert response.status_code == 400
    assert "Median" in text(response)
