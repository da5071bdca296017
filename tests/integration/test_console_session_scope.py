"""Only console requests open the console's session (session_auth.ConsoleSessionInterface):
elsewhere the session is Flask's empty null session, as the cookie's Path=/console would
leave it anyway, and nothing reads or writes the cookie. A real watch app, SQLite stores."""

from __future__ import annotations

import re

import pytest
from flask import Flask, request, session
from flask.sessions import NullSession
from flask.testing import FlaskClient

from config.settings import Settings
from tests.support import create_tenant
from web.console import session_auth
from web.watch_app import create_watch_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(migrated_settings: Settings, make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(create_watch_app, migrated_settings)


@pytest.mark.parametrize(
    ("path", "opened"),
    [
        ("/console", True),
        ("/console/", True),
        ("/console/alarms/a/b", True),
        ("/console/static/console.js", True),
        ("/", False),
        ("/v1/", False),
        ("/v1/tenant/alarms", False),
        ("/healthz", False),
        ("/consoles", False),  # not under the cookie's path
        ("/docs", False),
    ],
)
def test_the_session_is_opened_only_under_the_console_path(
    app: Flask, path: str, opened: bool
) -> None:
    with app.test_request_context(path):
        assert request.path == path
        null = isinstance(session._get_current_object(), NullSession)  # type: ignore[attr-defined]
        assert null is not opened


def log_in(client: FlaskClient, token: str) -> int:
    found = CSRF.search(client.get("/console/login").get_data(as_text=True))
    assert found
    response = client.post("/console/login", data={"csrf_token": found.group(1), "token": token})
    return response.status_code


def test_a_signed_in_browser_keeps_its_session_and_other_paths_never_touch_it(
    app: Flask, migrated_settings: Settings
) -> None:
    tenant = create_tenant(migrated_settings, "scope")
    client = app.test_client()
    assert log_in(client, tenant.auth_token) == 302
    cookie = client.get_cookie(session_auth.COOKIE_NAME, path=session_auth.COOKIE_PATH)
    assert cookie is not None

    # A client that sends the cookie everywhere (no browser does: Path=/console).
    for path in ("/healthz", "/openapi.json", f"/v1/{tenant.tenant_id}/alarms"):
        response = client.get(path, headers={"Cookie": f"{cookie.key}={cookie.value}"})
        assert "Set-Cookie" not in response.headers, path
        assert "Cookie" not in response.headers.get("Vary", ""), path

    page = client.get("/console/")
    assert page.status_code == 200  # still signed in
    assert "scope" in page.get_data(as_text=True)
