"""Request-scoped sessions: opened on first use, closed when the request ends.

A view asks for `db_session("identity")`; the same session serves the rest of the request.
Services flush; the view decides when to commit.
"""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy.orm import Session

from web.context import web_context


def db_session(store: str) -> Session:
    sessions: dict[str, Session] = g.setdefault("db_sessions", {})
    if store not in sessions:
        sessions[store] = web_context().databases[store].session()
    return sessions[store]


def _close_sessions(_exc: BaseException | None) -> None:
    for session in g.pop("db_sessions", {}).values():
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close_sessions)
