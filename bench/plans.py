"""The SQL behind one request, and PostgreSQL's plan for each statement of it.

The app runs in-process on the same database and settings as the server, with a
listener on its engine that writes down every statement and its parameters. Each
SELECT, UPDATE and DELETE is then run again under EXPLAIN (ANALYZE, BUFFERS) in a
transaction that is rolled back: EXPLAIN ANALYZE really executes an UPDATE, and the
bench must not change what it measures. Parameters are never printed: they hold
message text and number hashes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from responder import services

# Tables that grow with the helpline's history; a sequential scan of one is a finding.
BIG_TABLES = ("contacts", "conversations", "messages", "events")
SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")
# Values PostgreSQL writes into a plan's conditions: a number's keyed hash, a Twilio
# sid, a list of ids. None says anything about the plan, so none is printed.
VALUES = (
    (re.compile(r"'[0-9a-fA-F]{24,}'"), "'…'"),
    (re.compile(r"'(SM|MM)[0-9a-fA-F]{32}'"), "'…'"),
    (re.compile(r"'\{[^']*\}'"), "'{…}'"),
)
EXPLAINED = ("SELECT", "UPDATE", "DELETE", "WITH")


@dataclass(frozen=True)
class Statement:
    sql: str
    parameters: Any


@dataclass(frozen=True)
class Plan:
    statement: Statement
    lines: tuple[str, ...]

    @property
    def big_seq_scans(self) -> tuple[str, ...]:
        return tuple(
            match.group(1)
            for line in self.lines
            if (match := SEQ_SCAN.search(line)) and match.group(1) in BIG_TABLES
        )

    @property
    def execution_ms(self) -> float:
        for line in self.lines:
            if line.startswith("Execution Time:"):
                return float(line.split()[2])
        return 0.0


def engine_of(app: Flask) -> Engine:
    return services.of(app).sessions.kw["bind"]


@contextmanager
def recording(engine: Engine) -> Iterator[list[Statement]]:
    """Collect the statements the engine sends while the block runs."""
    seen: list[Statement] = []

    def note(
        conn: Any, cursor: Any, sql: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        seen.append(Statement(sql, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def statements_of(engine: Engine, request: Callable[[], None]) -> list[Statement]:
    with recording(engine) as seen:
        request()
    return list(seen)


def explain(engine: Engine, statements: list[Statement]) -> list[Plan]:
    """Plan and run each statement that reads or changes rows, then undo it."""
    plans = []
    raw = engine.raw_connection()
    try:
        for statement in statements:
            if not statement.sql.lstrip().upper().startswith(EXPLAINED):
                continue
            cursor = raw.cursor()
            try:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement.sql, statement.parameters)
                lines = tuple(row[0] for row in cursor.fetchall())
            finally:
                cursor.close()
                raw.rollback()
            plans.append(Plan(statement, lines))
    finally:
        raw.close()
    return plans


def compact_sql(sql: str, width: int = 150) -> str:
    """One line of SQL: column lists shortened to what the reader needs, the clauses kept."""
    flat = " ".join(sql.split())
    flat = re.sub(r"SELECT (?!count\().*? FROM", "SELECT … FROM", flat)
    flat = re.sub(r"\w+\.(\w+)", r"\1", flat)
    flat = re.sub(r"%\(\w+\)s", "?", flat)
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def describe(plan: Plan) -> list[str]:
    """The statement on one line, then its plan indented, a sequential scan marked."""
    lines = [compact_sql(plan.statement.sql)]
    planning = False
    for line in plan.lines:
        # The planner's own buffer counts say nothing about the indexes: leave them out.
        planning = line.startswith("Planning:") or (planning and line.startswith(" "))
        if planning:
            continue
        mark = ">> " if (m := SEQ_SCAN.search(line)) and m.group(1) in BIG_TABLES else "   "
        for pattern, replacement in VALUES:
            line = pattern.sub(replacement, line)
        lines.append(mark + line)
    return lines
