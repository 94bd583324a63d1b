"""How long the app waits for its database: to connect, for a statement, for a lock.

Twilio gives a webhook 15 seconds and then counts it failed, and a monitor's health
check must not hang with the database. Without limits, a database stalled by a lock
kept every webhook waiting about 19 seconds; with them, a stalled request fails in
seconds and the webhook answers from the spool instead (conversations/spooled.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc, text
from sqlalchemy.orm import Session

# What the database being away looks like: refused or lost connections, a statement or
# lock wait cut short by the limits below, no pooled connection free in time.
AWAY = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)

# libpq waits at least this long to connect, whatever it is asked.
MIN_CONNECT_SECONDS = 2


@dataclass(frozen=True)
class Timeouts:
    """Seconds the app waits for its database; 0 means no limit (not for connecting)."""

    connect: int = 2
    statement: int = 5
    lock: int = 2

    @classmethod
    def of(cls, config: Any) -> Timeouts:
        """Read the three settings from a config mapping."""
        return cls(
            connect=config["RESPONDER_DB_CONNECT_TIMEOUT_SECONDS"],
            statement=config["RESPONDER_DB_STATEMENT_TIMEOUT_SECONDS"],
            lock=config["RESPONDER_DB_LOCK_TIMEOUT_SECONDS"],
        )


def is_away(error: BaseException) -> bool:
    """Tell whether a database error means it is away, rather than a fault in the SQL.

    SQLite reports a missing table (a database never migrated) as an operational
    error too, with its generic code; that is a fault to fix, not an outage to wait out.
    """
    if not isinstance(error, AWAY):
        return False
    orig = getattr(error, "orig", None)
    return getattr(orig, "sqlite_errorname", None) != "SQLITE_ERROR"


def postgresql_connect_args(timeouts: Timeouts) -> dict[str, Any]:
    """Connection parameters that bound connecting, every statement and every lock wait.

    tcp_user_timeout matters when the server vanishes from the network rather than
    refusing: without it a pooled connection's first packet would wait for TCP to
    give up, which takes many minutes.
    """
    connect = max(timeouts.connect, MIN_CONNECT_SECONDS)
    statement, lock = timeouts.statement * 1000, timeouts.lock * 1000
    options = f"-c statement_timeout={statement} -c lock_timeout={lock}"
    return {
        "connect_timeout": connect,
        "tcp_user_timeout": connect * 1000,
        "options": options,
    }


def sqlite_busy_seconds(timeouts: Timeouts) -> int:
    """How long SQLite waits for the write lock every transaction takes at BEGIN.

    That wait is the only one a SQLite statement has, so it gets the statement's limit;
    0, no limit, becomes a day (SQLite's own 0 would mean not waiting at all).
    """
    return timeouts.statement or 86_400


def limit(session: Session, seconds: float) -> None:
    """Bound the statements and lock waits of the session's transaction to seconds.

    PostgreSQL only, and only until the transaction ends (SET LOCAL); 0 lifts the
    limit. SQLite's one wait, for its write lock, is set per connection instead.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    milliseconds = int(seconds * 1000)
    session.execute(text(f"SET LOCAL statement_timeout = {milliseconds}"))
    if milliseconds:
        session.execute(text(f"SET LOCAL lock_timeout = {milliseconds}"))
