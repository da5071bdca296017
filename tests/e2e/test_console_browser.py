"""The web console in a real browser: Debian's Chromium, headless, driven by Playwright,
against the whole system under honcho (the `live_system` fixture).

The browser signs in with the tenant's token, reads the alarm list, opens an alarm page
whose graph must load, and watches the list follow a SetAlarmState made through boto3
without a reload. It also opens Swagger UI at /docs and checks it draws every operation of
the watch REST API's OpenAPI document. Screenshots go to the test's tmp_path (their paths
are printed; run with -s to see them). Playwright never downloads a browser here: it
launches /usr/bin/chromium, which `make install-browser` installs (apt's chromium and
chromium-driver).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from tests.e2e.cloudwatch_clients import cloudwatch_client
from tests.e2e.conftest import LiveSystem
from tests.support import wait_for

CHROMIUM = Path("/usr/bin/chromium")
STATE_WAIT = 45.0  # e2e runs beat with a 1 s tick; new alarms are evaluated right away
REFRESH_WAIT_MS = 20_000  # the page refreshes every 5 s


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the console's browser test drives Debian's Chromium. "
            "Run `make install-browser` (apt-get install chromium chromium-driver).",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--headless=new", "--no-sandbox"]
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # A CSP violation (inline script or style) or a failed script shows up here.
        if message.type == "error" and "401" not in message.text:
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], errors


@pytest.fixture(scope="module")
def alarms(live_system: LiveSystem, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Alarms whose states hold still without data, one with a graph full of datapoints."""
    tenant = live_system.tenant
    cw = cloudwatch_client(
        live_system.watch_url,
        tenant.access_key_id,
        tenant.secret_access_key,
        data_root=tmp_path_factory.mktemp("console-models"),
    )
    prefix = f"console-{uuid.uuid4().hex[:6]}"
    namespace = f"E2E/Console/{prefix}"
    now = datetime.now(UTC)
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": "CPU",
                "Dimensions": [{"Name": "Host", "Value": "web-1"}],
                "Timestamp": now - timedelta(minutes=40 - i),
                "Value": float(v),
            }
            for i, v in enumerate([30, 45, 52, 61, 58, 70, 84, 91, 77, 66] * 4)
        ],
    )
    names = {
        # TreatMissingData decides the state of an alarm without data, and keeps deciding it.
        "ALARM": f"{prefix}-breaching",
        "OK": f"{prefix}-not-breaching",
        "INSUFFICIENT_DATA": f"{prefix}-no-data",
    }
    for state, name in names.items():
        treat = {"ALARM": "breaching", "OK": "notBreaching"}.get(state, "missing")
        cw.put_metric_alarm(
            AlarmName=name, Namespace=f"{namespace}/empty", MetricName="Nothing",
            Statistic="Average", Period=60, EvaluationPeriods=1, Threshold=1.0,
            ComparisonOperator="GreaterThanThreshold", TreatMissingData=treat,
        )  # fmt: skip
    # "ignore" keeps whatever state it is given: the one the refresh test sets.
    flip = f"{prefix}-flip"
    cw.put_metric_alarm(
        AlarmName=flip, Namespace=f"{namespace}/empty", MetricName="Nothing",
        Statistic="Average", Period=60, EvaluationPeriods=1, Threshold=1.0,
        ComparisonOperator="GreaterThanThreshold", TreatMissingData="ignore",
    )  # fmt: skip
    # A name with a slash and markup: shown as text, reachable through its link.
    graphed = f"{prefix}-cpu/web <b>1</b>"
    cw.put_metric_alarm(
        AlarmName=graphed, AlarmDescription="CPU of web-1 over 80 for 2 of 3 minutes",
        Namespace=namespace, MetricName="CPU", Dimensions=[{"Name": "Host", "Value": "web-1"}],
        Statistic="Average", Period=60, EvaluationPeriods=3, DatapointsToAlarm=2,
        Threshold=80.0, ComparisonOperator="GreaterThanThreshold", TreatMissingData="ignore",
    )  # fmt: skip

    def settled() -> bool:
        found = cw.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]
        states = {alarm["AlarmName"]: alarm["StateValue"] for alarm in found}
        # Evaluated at least once: a state reason other than the creation's.
        evaluated = all(alarm["StateReason"] != "Unchecked: Initial alarm creation"
                        for alarm in found if alarm["AlarmName"] in names.values())  # fmt: skip
        return evaluated and all(states.get(name) == state for state, name in names.items())

    wait_for(settled, timeout=STATE_WAIT, interval=0.5, what="the console's alarms to settle")
    return {"cw": cw, "prefix": prefix, "names": names, "flip": flip, "graphed": graphed}


def _log_in(page: Page, live_system: LiveSystem, path: str = "/console/") -> None:
    page.goto(live_system.watch_url + path)
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    page.fill("#token", live_system.tenant.auth_token)
    page.click("button[type=submit]")


def _row(page: Page, name: str) -> Any:
    return page.locator("#alarm-rows tr").filter(
        has=page.get_by_role("link", name=name, exact=True)
    )


def _screenshot(page: Page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    print(f"\nconsole screenshot: {path}")


def test_a_bad_token_keeps_the_browser_on_the_login_page(
    page: Page, live_system: LiveSystem, tmp_path: Path
) -> None:
    page.goto(f"{live_system.watch_url}/console/login")
    page.fill("#token", "not-a-token")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    _screenshot(page, tmp_path / "console-login.png")
    page.goto(f"{live_system.watch_url}/console/")
    expect(page).to_have_url(re.compile(r"/console/login\?next="))


def test_the_alarm_list_renders_with_each_alarms_state(
    page: Page, live_system: LiveSystem, alarms: dict[str, Any], tmp_path: Path
) -> None:
    _log_in(page, live_system)
    expect(page).to_have_url(f"{live_system.watch_url}/console/")
    expect(page.locator("table.alarms")).to_be_visible()

    page.goto(f"{live_system.watch_url}/console/?prefix={alarms['prefix']}")
    for state, name in alarms["names"].items():
        badge = _row(page, name).locator(".badge")
        expect(badge).to_have_text(state)
    graphed = _row(page, alarms["graphed"])
    expect(graphed).to_have_count(1)  # the markup in its name is text, not HTML
    expect(page.locator("#alarm-rows b")).to_have_count(0)
    # The badges are coloured by state.
    colour = "e => getComputedStyle(e).backgroundColor"
    colours = {
        state: _row(page, name).locator(".badge").evaluate(colour)
        for state, name in alarms["names"].items()
    }
    assert colours == {
        "ALARM": "rgb(214, 39, 40)",
        "OK": "rgb(44, 160, 44)",
        "INSUFFICIENT_DATA": "rgb(127, 127, 127)",
    }
    expect(page.locator("#updated")).to_contain_text("updated")
    _screenshot(page, tmp_path / "console-alarms.png")


def test_an_alarm_page_shows_its_graph_and_history(
    page: Page, live_system: LiveSystem, alarms: dict[str, Any], tmp_path: Path
) -> None:
    _log_in(page, live_system)
    page.goto(f"{live_system.watch_url}/console/?prefix={alarms['prefix']}")
    page.get_by_role("link", name=alarms["graphed"], exact=True).click()
    expect(page.locator("h1.alarm-name")).to_have_text(alarms["graphed"])
    expect(page.locator("#alarm-state .badge")).to_be_visible()
    expect(page.locator("#history-rows")).to_contain_text("created")

    graph = page.locator("#alarm-graph")
    expect(graph).to_be_visible()
    page.wait_for_function(
        "() => { const g = document.getElementById('alarm-graph');"
        " return g.complete && g.naturalWidth > 0; }",
        timeout=REFRESH_WAIT_MS,
    )
    assert graph.evaluate("g => g.naturalWidth") == 600
    # The refresh fetches the graph again with a cache-busting query, and it loads again.
    page.wait_for_function(
        "() => { const g = document.getElementById('alarm-graph');"
        " return g.src.includes('_=') && g.complete && g.naturalWidth > 0; }",
        timeout=REFRESH_WAIT_MS,
    )
    _screenshot(page, tmp_path / "console-alarm.png")

    page.get_by_role("link", name="metric graph").click()
    metric_graph = page.locator("#metric-graph")
    expect(metric_graph).to_be_visible()
    page.wait_for_function(
        "() => { const g = document.getElementById('metric-graph');"
        " return g.complete && g.naturalWidth > 0; }",
        timeout=REFRESH_WAIT_MS,
    )
    expect(page.locator("ul.watching")).to_contain_text(alarms["graphed"])
    _screenshot(page, tmp_path / "console-metric.png")


def test_the_list_follows_a_state_change_without_reloading(
    page: Page, live_system: LiveSystem, alarms: dict[str, Any], tmp_path: Path
) -> None:
    _log_in(page, live_system, f"/console/?prefix={alarms['prefix']}")
    badge = _row(page, alarms["flip"]).locator(".badge")
    expect(badge).to_have_text("INSUFFICIENT_DATA")
    page.evaluate("window.notReloaded = true")

    alarms["cw"].set_alarm_state(
        AlarmName=alarms["flip"], StateValue="ALARM", StateReason="set by the browser test"
    )
    expect(badge).to_have_text("ALARM", timeout=REFRESH_WAIT_MS)
    expect(_row(page, alarms["flip"])).to_contain_text("set by the browser test")
    assert page.evaluate("window.notReloaded") is True  # swapped in place, not reloaded
    _screenshot(page, tmp_path / "console-after-refresh.png")


def test_swagger_ui_renders_the_watch_api_in_the_browser(
    page: Page, live_system: LiveSystem, tmp_path: Path
) -> None:
    """Swagger UI at /docs loads its assets and draws every operation of /openapi.json."""
    document = page.request.get(f"{live_system.watch_url}/openapi.json").json()
    operations = sum(
        1
        for methods in document["paths"].values()
        for method in methods
        if method in {"get", "put", "post", "patch", "delete"}
    )
    page.goto(f"{live_system.watch_url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("heatwatch watch API")
    # One section per namespace, folded at first (flask-restx's default): open each.
    tags = page.locator(".opblock-tag")
    expect(tags).to_have_count(len(document["tags"]))
    for n in range(len(document["tags"])):
        tags.nth(n).click()
    expect(page.locator(".opblock")).to_have_count(operations)
    expect(page.locator(".opblock-summary-path").first).to_contain_text("/{tenant_id}/")
    shot = tmp_path / "swagger-ui.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
