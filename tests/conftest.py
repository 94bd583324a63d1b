"""Fixtures: an app per database backend, signed Twilio requests, realistic form bodies."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import URL, make_url, text

from responder import config, create_app, services
from responder.store.db import Base, make_engine
from responder.store.migrate import upgrade
from tests.counsellors import add_counsellor, queue_texter
from tests.fake_twilio import FakeTwilio
from tests.outbox_rows import Clock
from tests.twilio_requests import settings

# Every setting the app reads from the environment; tests start from none of them.
SETTINGS = (
    "RESPONDER_ENV",
    "DATABASE_URL",
    *config.STRING_SETTINGS,
    *config.INT_SETTINGS,
    *config.BOOL_SETTINGS,
    *config.LIST_SETTINGS,
)

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Reset the PostgreSQL test database once, then migrate it to head.

    Under pytest-xdist each worker gets a database of its own beside the configured one
    (test_gw0, test_gw1, ...), since every test truncates the tables it used.
    """
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("needs TEST_DATABASE_URL: this test is about PostgreSQL itself")
    url = os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        url = own_database(make_url(url), worker)
    engine = make_engine(url)
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(engine)
    engine.dispose()
    yield url


def own_database(shared: URL, worker: str) -> str:
    """Create `<database>_<worker>` on the shared server unless it exists; its URL."""
    name = f"{shared.database}_{worker}"
    admin = make_engine(shared.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        found = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
        if found is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return shared.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at the head revision, empty of rows: SQLite, and PostgreSQL when set up."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    engine = make_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def postgres_app(request: pytest.FixtureRequest) -> Iterator[Flask]:
    """An app on the PostgreSQL test database, emptied afterwards."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("needs TEST_DATABASE_URL: several writers at once need PostgreSQL")
    app = create_app(settings(request.getfixturevalue("postgres_url")))
    yield app
    engine = services.of(app).sessions.kw["bind"]
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build apps on the test database with production settings; dispose their engines.

    Each test's apps share a spool of their own, never the checkout's instance folder.
    """
    built: list[Flask] = []

    def build(**overrides: object) -> Flask:
        spool = {"RESPONDER_SPOOL_DIR": str(tmp_path / "spool")}
        app = create_app(settings(database_url, **{**spool, **overrides}))
        built.append(app)
        return app

    yield build
    for app in built:
        services.of(app).sessions.kw["bind"].dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def clock() -> Clock:
    """The worker's clock, moved by hand; tests needing another start override it."""
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> FakeTwilio:
    """Twilio's REST API at the HTTP edge, on the same clock as the worker."""
    return FakeTwilio(clock)


# The people most tests need: two counsellors, a supervisor, and a texter in the queue
# or held. Each fixture returns the Authorization header of a fresh API token, or the
# conversation's id.
@pytest.fixture
def alice(app: Flask) -> dict[str, str]:
    return add_counsellor(app, "alice")


@pytest.fixture
def bob(app: Flask) -> dict[str, str]:
    return add_counsellor(app, "bob")


@pytest.fixture
def sam(app: Flask) -> dict[str, str]:
    return add_counsellor(app, "sam", role="supervisor")


@pytest.fixture
def waiting(client: FlaskClient) -> int:
    """A texter who asked for a person and waits in the queue."""
    return queue_texter(client)


@pytest.fixture
def held(client: FlaskClient, alice: dict[str, str]) -> int:
    """A conversation alice has claimed through the API, without opening it."""
    conversation_id = queue_texter(client)
    response = client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=alice)
    assert response.status_code == 200
    return conversation_id


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the crisis lists' recall and false alarms whenever their tests ran."""
    ran = terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
    if any("test_crisis_eval.py" in report.nodeid for report in ran):
        from tests.bot.test_crisis_eval import report as crisis_report

        for line in crisis_report():
            terminalreporter.write_line(line)
