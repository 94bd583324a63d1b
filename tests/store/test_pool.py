"""Pooled PostgreSQL connections after the server dropped them: idle ones are checked first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from responder.store import db


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    made = db.make_engine(postgres_url)
    yield made
    made.dispose()


def backend_of(engine: Engine) -> int:
    """Use the pool's one connection and hand it back; the server process behind it."""
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def drop(engine: Engine, pid: int) -> None:
    """End that server process from another connection, as a restart of the server would."""
    other = db.make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with other.connect() as connection:
            ended = connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            assert ended.scalar_one() is True
    finally:
        other.dispose()


def test_a_connection_idle_past_the_limit_is_replaced_before_a_request_uses_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    dropped = backend_of(engine)
    drop(engine, dropped)
    # The pooled connection has been idle for longer than the limit.
    monkeypatch.setattr(db, "IDLE_BEFORE_PING_SECONDS", 0.0)

    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar_one() == 1
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != dropped


def test_a_connection_handed_straight_back_is_used_without_a_ping(engine: Engine) -> None:
    dropped = backend_of(engine)
    drop(engine, dropped)

    # Within the second, the dropped connection is not pinged: its first statement fails,
    # as during an outage, and the pool gives it up, so the next request gets a new one.
    with pytest.raises(OperationalError), engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert backend_of(engine) != dropped
