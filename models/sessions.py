"""Engines and sessions for the three stores, and the one transaction helper everything uses.

Services take a Session and never open or commit one; the web layer opens one per request
(web/sessions.py) and tasks open one per invocation with `session_scope`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def _prepare_sqlite(url: str) -> dict:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # Several processes (APIs, workers) share each file: wait for locks instead of failing.
    return {"timeout": 30}


def make_engine(url: str) -> Engine:
    is_sqlite = url.startswith("sqlite")
    connect_args = _prepare_sqlite(url) if is_sqlite else {}
    engine = create_engine(url, connect_args=connect_args, pool_pre_ping=not is_sqlite)
    if is_sqlite:

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            # WAL lets readers proceed while one process writes; NORMAL sync is safe with WAL.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


class Database:
    """One store: its engine and session factory, created lazily in the process that uses it.

    Lazy creation matters: Celery forks its pool children (and a WSGI server may fork its
    workers), and pooled connections must never cross a fork (SQLAlchemy pooling docs).
    `dispose()` after fork drops any inherited pool.
    """

    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.name = name
        self._engine: Engine | None = None
        self._sessionmaker: sessionmaker[Session] | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine

    def session(self) -> Session:
        if self._sessionmaker is None:
            self._sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        return self._sessionmaker()

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self, *, after_fork: bool = False) -> None:
        """Drop the pool. After a fork, leave the parent's connections open for the parent."""
        if self._engine is not None:
            self._engine.dispose(close=not after_fork)
        self._engine = None
        self._sessionmaker = None


@contextlib.contextmanager
def session_scope(database: Database) -> Iterator[Session]:
    """Commit on success, roll back on error, always close."""
    session = database.session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
