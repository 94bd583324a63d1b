"""Fresh, migrated databases for each run: a SQLite file and the bench PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from responder.config import normalise_database_url
from responder.store.db import make_engine
from responder.store.migrate import upgrade


def sqlite(folder: Path) -> str:
    """Create and migrate a SQLite file in folder; return its URL."""
    url = "sqlite:///" + str(folder / "bench.sqlite3")
    _migrate(url)
    return url


def postgresql(url: str) -> str:
    """Empty the given PostgreSQL database, creating it if need be, and migrate it; return
    its URL.

    The whole public schema goes, not just the tables, so enum types and Alembic's
    own version table from an earlier run cannot survive into this one.
    """
    _create_if_missing(normalise_database_url(url))
    engine = make_engine(normalise_database_url(url))
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    _migrate(url)
    return url


def _migrate(url: str) -> None:
    engine = make_engine(normalise_database_url(url))
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def _create_if_missing(url: str) -> None:
    """Create the benchmark's database on its server when it is not there yet."""
    name = make_url(url).database
    # The server's own maintenance database is there to connect to for this.
    server = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if found is None:
                quoted = '"' + str(name).replace('"', '""') + '"'
                connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        server.dispose()
