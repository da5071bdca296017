"""Console sign-in: an API token pasted once, then carried in Flask's signed session cookie.

Decisions:
- The cookie holds the token Fernet-encrypted under HEATWATCH_SECRET_KEY (the identity
  store's SecretBox), not only signed: a Flask session is readable base64, and a leaked
  console cookie should not hand out a token that can also write through the REST APIs.
- The token is authenticated again on every request (`authenticate_token`), so revoking it
  or disabling its tenant ends the console session at the next request, live refreshes
  included. The cookie carries no authority of its own.
- The session key is HMAC-SHA256 of the newest Fernet key with a fixed label, so the Fernet
  key itself never signs anything; the older keys of the list give SECRET_KEY_FALLBACKS, so
  rotating HEATWATCH_SECRET_KEY (new key first) signs nobody out.
- The cookie is HttpOnly, SameSite=Strict, scoped to /console (the REST APIs never see it),
  Secure when the request came over https (`request.is_secure`: behind a TLS-terminating
  proxy that needs ProxyFix), and valid for SESSION_MAX_AGE after sign-in.
- CSRF: each session gets a random token, sent back in a hidden field of every form and
  compared in constant time on every POST. A login POST without a session has no token to
  match, which also stops a cross-site login into someone else's tenant.
- Tokens are never logged: the request log line holds the path, never the form.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Flask,
    Request,
    abort,
    g,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from models.identity.tenants import Principal, authenticate_token
from web.context import web_context
from web.sessions import db_session

COOKIE_NAME = "heatwatch_console"
COOKIE_PATH = "/console"
SESSION_MAX_AGE = timedelta(hours=12)
CSRF_FIELD = "csrf_token"
MAX_TOKEN_LENGTH = 512  # ours are 43 characters; anything far longer is not a token
_LABEL = b"heatwatch console session key v1"
_TOKEN_KEY = "token"
_CSRF_KEY = "csrf"

F = TypeVar("F", bound=Callable[..., Any])


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, with the console's cookie attributes whatever the app config.

    Only console requests open it. The watch app has a secret key for the console, so Flask
    would otherwise build a signing serializer and parse cookies on every request of the
    CloudWatch endpoint and the REST API, none of which reads `session` (about 7% of a
    PutMetricAlarm's time in the API, profiled). Elsewhere the session is Flask's null
    session: empty, as it would be anyway, since the cookie's Path keeps it to /console.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not is_console_path(request.path):
            return None  # Flask substitutes its null session and never saves it
        return super().open_session(app, request)

    def get_cookie_name(self, app: Flask) -> str:
        return COOKIE_NAME

    def get_cookie_path(self, app: Flask) -> str:
        return COOKIE_PATH

    def get_cookie_httponly(self, app: Flask) -> bool:
        return True

    def get_cookie_samesite(self, app: Flask) -> str:
        return "Strict"

    def get_cookie_secure(self, app: Flask) -> bool:
        return has_request_context() and request.is_secure


def is_console_path(path: str) -> bool:
    """Would a browser send the console's cookie (Path=/console) with a request for `path`?"""
    return path == COOKIE_PATH or path.startswith(COOKIE_PATH + "/")


def session_keys(secret_key_setting: str) -> list[str]:
    """The session signing keys, newest first, one per Fernet key of HEATWATCH_SECRET_KEY."""
    keys = [key.strip() for key in secret_key_setting.split(",") if key.strip()]
    return [hmac.new(key.encode(), _LABEL, hashlib.sha256).hexdigest() for key in keys]


def install(app: Flask, secret_key_setting: str) -> None:
    keys = session_keys(secret_key_setting)
    app.secret_key = keys[0]
    app.config["SECRET_KEY_FALLBACKS"] = keys[1:]
    app.permanent_session_lifetime = SESSION_MAX_AGE
    app.session_interface = ConsoleSessionInterface()


# --- Signing in and out -----------------------------------------------------------------------


def sign_in(token: str) -> Principal | None:
    """Authenticate a pasted token; on success start a fresh session that carries it."""
    token = token.strip()
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    principal = authenticate_token(db_session("identity"), token)
    if principal is None:
        return None
    # A new session on sign-in: nothing set before it (a planted cookie) carries over.
    session.clear()
    session[_TOKEN_KEY] = web_context().secret_box.encrypt(token).decode()
    session[_CSRF_KEY] = secrets.token_urlsafe(32)
    return principal


def sign_out() -> None:
    session.clear()


def current_principal() -> Principal | None:
    """The principal of the session's token, authenticated again now (None: signed out)."""
    sealed = session.get(_TOKEN_KEY)
    if not isinstance(sealed, str):
        return None
    try:
        token = web_context().secret_box.decrypt(sealed.encode())
    except ValueError:  # sealed under a key no longer configured
        token = ""
    principal = authenticate_token(db_session("identity"), token)
    if principal is None:
        session.pop(_TOKEN_KEY)  # revoked or unreadable: the cookie stops carrying it
    return principal


def signed_in(*, redirect_to_login: bool = True) -> Callable[[F], F]:
    """Views for a signed-in tenant: pages redirect to the login page, fragments and images
    (fetched by script or <img>) answer 401 so the script can notice."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if principal is None:
                if redirect_to_login:
                    return redirect(url_for("console.login", next=this_url()))
                abort(401, "Sign in to the console again.")
            g.principal = principal  # the request log line names the tenant
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def this_url() -> str:
    """The current console URL rebuilt by the router, so odd alarm names stay encoded."""
    values: dict[str, Any] = request.args.to_dict(flat=False)
    values.update(request.view_args or {})
    return url_for(str(request.endpoint), **values)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path inside the console, never another site."""
    default = url_for("console.alarm_list")
    if not target or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(COOKIE_PATH + "/"):
        return default
    if parts.path.startswith(url_for("console.login")):
        return default
    return target


# --- CSRF -------------------------------------------------------------------------------------


def csrf_token() -> str:
    """This session's CSRF token (made on first use, so the login form starts a session)."""
    token = session.get(_CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[_CSRF_KEY] = token
    return token


def check_csrf() -> None:
    expected = session.get(_CSRF_KEY)
    sent = request.form.get(CSRF_FIELD, "")
    if not isinstance(expected, str) or not expected:
        abort(403, "This form has no session behind it: load the page again and resubmit.")
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(403, "This form did not come from this console session: load it again.")
