"""The SQL the app sends for one request, recorded from its engine and sent again bare.

Recording rolls the request's transaction back, so the rows the app found stay as they
were; each replay runs in a transaction rolled back too, and so finds the same rows.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import psycopg
from sqlalchemy import event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

# Transaction control is the driver's and the replay's own; the budget test leaves it out.
NOT_COUNTED = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")


@dataclass(frozen=True)
class Statement:
    sql: str
    parameters: Any
    many: bool


@dataclass(frozen=True)
class Capture:
    """A message's statements, and where PostgreSQL's id sequences stood before them.

    Ids the database hands out flow into later statements (a reply names the message it
    answers), so each replay starts the sequences where the app found them.
    """

    statements: list[Statement] = field(default_factory=list)
    sequences: list[tuple[str, int, bool]] = field(default_factory=list)


@contextmanager
def recording(engine: Engine) -> Iterator[Capture]:
    """Record the statements sent on engine in the block, whose commits roll back instead.

    Flushing then rolling back sends what a commit sends, bar the COMMIT.
    """
    captured = Capture(sequences=_sequences(engine))

    def record(_conn: object, _cursor: object, sql: str, parameters: Any, _c: object, many: bool):
        if sql.split(None, 1)[0].upper() not in NOT_COUNTED:
            # Rows inserted together come as one statement with one set of parameters
            # ("insertmanyvalues"), sent with execute although the event says many.
            many = many and isinstance(parameters, list)
            captured.statements.append(Statement(sql, parameters, many))

    def flush_then_roll_back(session: Session) -> None:
        session.flush()
        session.rollback()

    event.listen(engine, "before_cursor_execute", record)
    try:
        with mock.patch.object(Session, "commit", flush_then_roll_back):
            yield captured
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _sequences(engine: Engine) -> list[tuple[str, int, bool]]:
    """Each id sequence's name and state on PostgreSQL; none on SQLite, whose ids are
    the largest stored plus one and so come back with a rollback."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as connection:
        names = connection.exec_driver_sql(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"
        ).scalars()
        return [
            (name, *connection.exec_driver_sql(f'SELECT last_value, is_called FROM "{name}"').one())
            for name in list(names)
        ]


def replay(database_url: str, captured: Capture, times: int, warm_up: int) -> float:
    """Send the captured statements with the bare driver, warm_up times untimed then
    times timed, each time in a transaction rolled back; the client CPU seconds taken."""
    statements = captured.statements
    if database_url.startswith("sqlite"):
        return _replay_sqlite(make_url(database_url).database or "", statements, times, warm_up)
    # psycopg's own URL; its default cursor binds on the server, as the app's engine does.
    plain = make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(plain.render_as_string(hide_password=False)) as connection:
        cursor = connection.cursor()
        spent = 0.0
        for index in range(-warm_up, times):
            for sequence in captured.sequences:
                cursor.execute("SELECT setval(%s, %s, %s)", sequence)
            connection.commit()
            started = time.process_time()
            for statement in statements:
                if statement.many:
                    cursor.executemany(statement.sql, statement.parameters)
                else:
                    cursor.execute(statement.sql, statement.parameters)
                    if cursor.description is not None:
                        cursor.fetchall()
            connection.rollback()
            spent += (time.process_time() - started) * (index >= 0)
        return spent


def _replay_sqlite(path: str, statements: list[Statement], times: int, warm_up: int) -> float:
    # As the app's engine: transactions by hand, the write lock taken at BEGIN.
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA secure_delete = ON")
        spent = 0.0
        for index in range(-warm_up, times):
            started = time.process_time()
            connection.execute("BEGIN IMMEDIATE")
            for statement in statements:
                if statement.many:
                    connection.executemany(statement.sql, statement.parameters)
                else:
                    connection.execute(statement.sql, statement.parameters).fetchall()
            connection.execute("ROLLBACK")
            spent += (time.process_time() - started) * (index >= 0)
        return spent
    finally:
        connection.close()
