"""The app's CPU per message beside its floor: the web part alone and its SQL sent bare.

    .venv/bin/python -m bench.floor               # PostgreSQL (BENCH_FLOOR_DATABASE_URL)
    .venv/bin/python -m bench.floor --sqlite      # SQLite as well
    .venv/bin/python -m bench.floor --messages 50 # fewer messages of each kind

For four kinds of texter message, in one process and one run, it times the client CPU
(time.process_time) of:
  app  the signed POST /twilio/messages through the app, a fresh texter each time,
       brought to the right state beforehand, untimed;
  web  the web part alone for the same form: the fallback route (Flask, the form,
       TwiML, no database) plus the signature check the fallback does not do;
  sql  the very statements the app sent for that message, captured from its engine
       and replayed with the bare driver inside a transaction rolled back each time,
       so every replay finds the rows the app found.
The ratio app / (web + sql) says how much the app spends beyond that floor. It reports
and never fails on speed; it exits non-zero when a message was answered wrongly or a
replay failed.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from bench import databases, replay
from bench.report import verdict, yardstick
from bench.texters import message_count, message_form, waiting_note
from responder import create_app, services
from responder.channels import twilio

DEFAULT_POSTGRESQL = "postgresql://postgres@127.0.0.1:5432/bench_floor"
PUBLIC_URL = "https://helpline.example.org"
ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "bench-floor-auth-token"
MESSAGES, FALLBACK = "/twilio/messages", "/twilio/fallback"
# Untimed first rounds of each loop: the first requests fill caches, and both drivers
# prepare a statement on the server once it has been sent five times.
WARM_UP = 5
# A menu page should cost the app at most this many times its floor, on PostgreSQL.
MENU_AIM = 2.0


class WrongAnswer(Exception):
    """The app answered a message otherwise than a texter in that state should be."""


@dataclass(frozen=True)
class Kind:
    """One kind of message: what the texter said before, untimed, and the timed message."""

    name: str
    before: tuple[str, ...]
    text: str
    answered: Callable[[str], bool]


KINDS = (
    Kind("menu page", ("hi",), "1", lambda reply: "Step 1 of" in reply),
    # After the menu, TALK asks the age first; the answer is what puts the texter in the queue.
    Kind("joining the queue", ("hi", "TALK"), "3", lambda reply: "Nobody is free" in reply),
    Kind("while waiting", ("hi", "TALK", "3"), "ok thank you", waiting_note),
    Kind("crisis", ("hi",), "i want to die", lambda reply: "You matter" in reply),
)


@dataclass
class Row:
    """One kind's figures: CPU seconds summed over its messages, and its statements."""

    kind: str
    messages: int
    app: float = 0.0
    web: float = 0.0
    sql: float = 0.0
    statements: int = 0
    failures: list[str] = field(default_factory=list)

    def per_message_ms(self, seconds: float) -> float:
        return seconds / self.messages * 1000 if self.messages else 0.0

    @property
    def ratio(self) -> float:
        floor = self.web + self.sql
        return self.app / floor if floor else 0.0


class Texters:
    """Signed messages from fresh numbers to one app, as Twilio sends them."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self._validator = RequestValidator(AUTH_TOKEN)
        self._next = 0

    def number(self) -> str:
        self._next += 1
        return f"+1415{self._next % 10_000_000:07d}"

    def signature(self, path: str, form: dict[str, str]) -> str:
        return self._validator.compute_signature(PUBLIC_URL + path, form)

    def signed(self, path: str, number: str, text: str) -> tuple[dict[str, str], dict[str, str]]:
        form = message_form(ACCOUNT_SID, number, text)
        return form, {"X-Twilio-Signature": self.signature(path, form)}

    def post(self, path: str, form: dict[str, str], headers: dict[str, str]) -> str | None:
        """Post a signed form; the reply's text, or None when it was not good TwiML."""
        response = self.client.post(path, data=form, headers=headers, base_url=PUBLIC_URL)
        body = response.get_data()
        if response.status_code != 200 or message_count(body) is None:
            return None
        return body.decode()

    def prepare(self, kind: Kind) -> str:
        """A new texter who has said what kind.before says; their number."""
        number = self.number()
        for text in kind.before:
            if self.post(MESSAGES, *self.signed(MESSAGES, number, text)) is None:
                raise WrongAnswer(f"{kind.name}: the app failed a message before it")
        return number


def measure(database_url: str, messages: int, folder: Path, warm_up: int = WARM_UP) -> list[Row]:
    """Time every kind on an app over database_url, which is migrated and may hold rows."""
    app = create_app(_settings(database_url, folder))
    texters = Texters(app)
    try:
        return [_measure_kind(texters, kind, (warm_up, messages), database_url) for kind in KINDS]
    finally:
        _engine(app).dispose()


def _settings(database_url: str, folder: Path) -> dict[str, object]:
    return {
        "RESPONDER_ENV": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-floor-secret-key",
        "RESPONDER_DATA_KEY": "bench-floor-data-key",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_URL": PUBLIC_URL,
        # Warnings (a crisis, the fallback) would print once a message and time the terminal.
        "LOG_LEVEL": "ERROR",
        "RESPONDER_SPOOL_DIR": str(folder / "spool"),
    }


def _engine(app: Flask) -> Any:
    return services.of(app).sessions.kw["bind"]


def _measure_kind(texters: Texters, kind: Kind, rounds: tuple[int, int], database_url: str) -> Row:
    """Time kind's message rounds[1] times, after rounds[0] untimed."""
    warm_up, messages = rounds
    row = Row(kind.name, messages)
    try:
        row.app, wrong = _time_app(texters, kind, rounds)
        if wrong:
            row.failures.append(f"{kind.name}: {wrong} wrong answers")
        row.web = _time_web(texters, kind, rounds)
        captured = capture(texters, kind)
    except WrongAnswer as exc:
        row.failures.append(str(exc))
        return row
    row.statements = len(captured.statements)
    try:
        row.sql = replay.replay(database_url, captured, messages, warm_up)
    except (psycopg.Error, sqlite3.Error, TypeError) as exc:
        row.failures.append(f"{kind.name}: the replay failed: {type(exc).__name__}")
    return row


def _time_app(texters: Texters, kind: Kind, rounds: tuple[int, int]) -> tuple[float, int]:
    """CPU seconds for kind's message, each from a texter prepared untimed; wrong answers."""
    spent, wrong = 0.0, 0
    for index in range(-rounds[0], rounds[1]):
        form, headers = texters.signed(MESSAGES, texters.prepare(kind), kind.text)
        started = time.process_time()
        reply = texters.post(MESSAGES, form, headers)
        spent += (time.process_time() - started) * (index >= 0)
        wrong += reply is None or not kind.answered(reply)
    return spent, wrong


def _time_web(texters: Texters, kind: Kind, rounds: tuple[int, int]) -> float:
    """CPU seconds for the web part alone: the fallback route, which reads no database
    and checks no signature, and the signature check the main route adds."""
    spent = 0.0
    for index in range(-rounds[0], rounds[1]):
        form, headers = texters.signed(FALLBACK, texters.number(), kind.text)
        signature = texters.signature(MESSAGES, form)
        started = time.process_time()
        reply = texters.post(FALLBACK, form, headers)
        valid = twilio.signature_is_valid(AUTH_TOKEN, PUBLIC_URL + MESSAGES, form, signature)
        spent += (time.process_time() - started) * (index >= 0)
        if reply is None or not valid:
            raise WrongAnswer(f"{kind.name}: the web part alone failed")
    return spent


def capture(texters: Texters, kind: Kind) -> replay.Capture:
    """The statements the app sends for kind's message, its transaction rolled back.

    The texter stays as prepared, so a replay of these statements finds the rows the
    app found.
    """
    number = texters.prepare(kind)
    form, headers = texters.signed(MESSAGES, number, kind.text)
    with replay.recording(_engine(texters.app)) as captured:
        reply = texters.post(MESSAGES, form, headers)
    if reply is None or not kind.answered(reply):
        raise WrongAnswer(f"{kind.name}: a wrong answer while its SQL was captured")
    return captured


def table(backend: str, rows: list[Row]) -> str:
    header = (
        f"{'message':<20}{'app ms':>8}{'web ms':>8}{'sql ms':>8}{'floor ms':>10}"
        f"{'app/floor':>11}{'statements':>12}"
    )
    lines = [f"{backend}: CPU per message, {rows[0].messages if rows else 0} of each", header]
    lines.append("-" * len(header))
    for row in rows:
        app, web, sql = (row.per_message_ms(x) for x in (row.app, row.web, row.sql))
        lines.append(
            f"{row.kind:<20}{app:>8.2f}{web:>8.2f}{sql:>8.2f}{web + sql:>10.2f}"
            f"{row.ratio:>11.1f}{row.statements:>12}"
        )
    return "\n".join(lines)


def menu_verdict(rows: list[Row]) -> str:
    """Hold a menu page's ratio to its floor against MENU_AIM, to two decimals: the
    table's one decimal would show 2.04 as 2.0."""
    menu = next(row for row in rows if row.kind == KINDS[0].name)
    if menu.failures:
        return verdict(False, "menu page: not measured, see above")
    return verdict(
        menu.ratio <= MENU_AIM, f"menu page at {menu.ratio:.2f} times its floor (<= {MENU_AIM:g})"
    )


def report(targets: dict[str, str], messages: int) -> bool:
    """Measure each backend (name: URL, emptied and migrated here), print its table;
    whether every message was answered right and every replay ran."""
    ok = True
    with tempfile.TemporaryDirectory(prefix="responder-floor-") as folder:
        for backend, url in targets.items():
            url = (
                databases.sqlite(Path(folder)) if backend == "sqlite" else databases.postgresql(url)
            )
            rows = measure(url, messages, Path(folder))
            print(table(backend, rows), flush=True)
            if backend == "postgresql":
                print(menu_verdict(rows))
            for failure in (f for row in rows for f in row.failures):
                print(f"  {failure}", file=sys.stderr)
                ok = False
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.floor", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--messages", type=int, default=300, help="messages of each kind")
    parser.add_argument("--sqlite", action="store_true", help="measure SQLite too")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_FLOOR_DATABASE_URL", DEFAULT_POSTGRESQL),
        help="a PostgreSQL database of its own: it is emptied (BENCH_FLOOR_DATABASE_URL)",
    )
    options = parser.parse_args(argv)
    before = yardstick()
    targets = {"postgresql": options.database_url}
    if options.sqlite:
        targets["sqlite"] = ""
    ok = report(targets, options.messages)
    print(f"{os.cpu_count()} CPUs, CPU yardstick {before:.2f} s before, {yardstick():.2f} s after")
    if not ok:
        print("messages were answered wrongly or a replay failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
