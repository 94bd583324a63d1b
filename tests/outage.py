"""Database outages for tests: stopped for real, or stalled by a lock held elsewhere.

PostgreSQL stops taking connections to the test database and its open ones are ended;
SQLite's file is replaced by something it cannot open. A stall is a lock held by
another connection: a row or a table on PostgreSQL, the write lock on SQLite.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text

from responder import services, worker
from responder.channels import twilio
from tests.fake_twilio import FakeTwilio
from tests.twilio_requests import post_signed, sms


@contextmanager
def database_stopped(app: Flask) -> Iterator[None]:
    """Make the app's database unreachable until the block ends."""
    url = make_url(app.config["DATABASE_URL"])
    engine = services.of(app).sessions.kw["bind"]
    if url.get_backend_name() == "sqlite":
        engine.dispose()
        path = Path(url.database or "")
        away = path.with_name(path.name + ".away")
        path.rename(away)
        path.mkdir()  # a folder where the file was: "unable to open database file"
        try:
            yield
        finally:
            path.rmdir()
            away.rename(path)
        return
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = url.database
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
    try:
        yield
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


@contextmanager
def contact_locked(app: Flask) -> Iterator[None]:
    """Hold the texter's row (PostgreSQL) or the write lock (SQLite) from another connection."""
    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite":
        held = sqlite3.connect(url.database or "", isolation_level=None)
        held.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            held.execute("ROLLBACK")
            held.close()
        return
    other = create_engine(url)
    with other.connect() as connection:
        connection.execute(text("SELECT id FROM contacts FOR UPDATE"))
        yield
        connection.rollback()
    other.dispose()


@contextmanager
def table_locked(app: Flask, table: str) -> Iterator[None]:
    """Lock a whole table (PostgreSQL) or the database (SQLite) from another connection."""
    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite":
        with contact_locked(app):
            yield
        return
    other = create_engine(url)
    with other.connect() as connection:
        connection.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        yield
        connection.rollback()
    other.dispose()


def timed_post(client: FlaskClient, body: str, **extra: str) -> tuple[list[str], float]:
    """Post a signed message; return the replies and the seconds the answer took."""
    start = time.monotonic()
    response = post_signed(client, sms(body, **extra))
    took = time.monotonic() - start
    assert response.status_code == 200
    return twilio.read_twiml(response.get_data(as_text=True)), took


def spooled_files(app: Flask) -> list[Path]:
    return sorted(Path(app.config["RESPONDER_SPOOL_DIR"]).glob("*.spool"))


def run_worker(app: Flask, fake: FakeTwilio) -> None:
    """One round of the real worker: spooled messages, then the outbox."""
    jobs = worker.jobs_for(app.config, services.of(app))
    transport = twilio.rest(app.config, fake)
    worker.tick(services.of(app).sessions, jobs, transport, worker.utcnow)
