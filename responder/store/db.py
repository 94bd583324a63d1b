"""Database wiring: one engine per app, one session per request or command.

The declarative base lives in store/base.py, free of Flask; it is imported here too
because the tests and migrations that build the schema reach it through this module.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any

from flask import Flask, g
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from responder import services
from responder.privacy.addresses import Keys
from responder.store import cursors, sealed
from responder.store.base import Base as Base
from responder.store.timeouts import Timeouts, postgresql_connect_args, sqlite_busy_seconds

log = logging.getLogger(__name__)

# A pooled PostgreSQL connection left idle this long is pinged before its next use: the
# server may have restarted meanwhile. One handed straight back to the next request is
# not: the ping is a statement and a round trip of its own, a few percent of a message.
IDLE_BEFORE_PING_SECONDS = 1.0
_IDLE_SINCE = "responder_idle_since"


def make_engine(url: str, timeouts: Timeouts | None = None) -> Engine:
    """Create an engine; SQLite gets real transactions that take the write lock up front."""
    timeouts = timeouts or Timeouts()
    # Parameters hold message text: keep them out of SQL logging and out of the
    # database errors that reach the log with their tracebacks.
    if not url.startswith("sqlite"):
        connect_args = {**postgresql_connect_args(timeouts), "cursor_factory": cursors.Cursor}
        engine = create_engine(url, hide_parameters=True, connect_args=connect_args)
        _ping_when_idle(engine)
        return engine
    busy = sqlite_busy_seconds(timeouts)
    engine = create_engine(url, connect_args={"timeout": busy}, hide_parameters=True)

    # pysqlite opens transactions lazily and not for SELECT, which breaks SAVEPOINT
    # and lets two writers read the same state before either writes. Taking the
    # write lock at BEGIN serialises requests the way row locks do on PostgreSQL.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")
        # Erased messages must not linger in free pages of the file.
        dbapi_connection.execute("PRAGMA secure_delete = ON")
        # Readers do not wait for a writer, and a commit writes once, to the log. After
        # every erasure the log is copied into the file and emptied (_forgotten): until
        # then the erased texter's key stays in the file's old pages and the log's.
        dbapi_connection.execute("PRAGMA journal_mode = WAL")

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Ping a connection that sat in the pool for IDLE_BEFORE_PING_SECONDS or more.

    A failed ping gives the connection up and the pool opens a new one, so the first
    message after a restart of the database in a quiet hour gets its real answer, not
    the outage reply. A restart in the very second before a message can still fail that
    one message: it is then answered and kept as during an outage.
    """

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # A connection's info goes with it: a new one has none and needs no ping.
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < IDLE_BEFORE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("the pooled connection no longer answers") from exc


def init_app(app: Flask, keys: Keys) -> sessionmaker[Session]:
    """Return the app's session factory, closing each request's session at its end.

    Its sessions carry the data keys, which seal and open what people write (sealed.py).
    """
    app.teardown_appcontext(_close_session)
    engine = make_engine(app.config["DATABASE_URL"], Timeouts.of(app.config))
    sessions = sessionmaker(engine, expire_on_commit=False, info={sealed.KEYS: keys})
    if engine.dialect.name == "sqlite":
        event.listen(sessions, "after_commit", _forgotten)
        event.listen(sessions, "after_rollback", _kept)
    return sessions


def _kept(session: Session) -> None:
    """A transaction that was to delete texters' keys rolled back: they are all still
    there, and the session's next commit has no log to empty for them."""
    session.info.pop(sealed.FORGETTING, None)


def _forgotten(session: Session) -> None:
    """After a transaction that deleted texters' keys, leave no copy of them on disk.

    With the log, a commit appends new versions of the pages it changed to it; the
    database file keeps the old pages, key and all, until a checkpoint copies the new
    ones over them, and the log keeps its earlier versions until it is reset. TRUNCATE
    does both now. It waits for readers as long as the busy timeout allows.
    """
    if not session.info.pop(sealed.FORGETTING, False):
        return
    connection = session.get_bind().raw_connection()
    try:
        busy, _, _ = connection.driver_connection.execute(
            "PRAGMA wal_checkpoint(TRUNCATE)"
        ).fetchone()
        outcome = "a reader held it" if busy else None
    except sqlite3.Error as exc:
        outcome = type(exc).__name__
    finally:
        connection.close()
    if outcome is not None:
        # The next checkpoint copies the pages; until then the old ones stay in the log.
        # The erasure itself has committed: the texter's answer does not depend on this.
        log.warning("SQLite log not emptied after deleting texters' keys: %s", outcome)


def engine() -> Engine:
    """Return the current app's engine."""
    return services.of().sessions.kw["bind"]


def get_session() -> Session:
    """Return the session of the current request or command, opening it on first use."""
    if "db_session" not in g:
        g.db_session = services.of().sessions()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
