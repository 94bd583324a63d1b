"""Fresh, migrated databases for each run: a SQLite file and the bench PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from responder.config import normalise_database_url
from responder.db import make_engine
from responder.migrate import upgrade


def sqlite(folder: Path) -> str:
    """Create and migrate a SQLite file in folder; return its URL."""
    url = "sqlite:///" + str(folder / "bench.sqlite3")
    _migrate(url)
    return url


def postgresql(url: str) -> str:
    """Empty the given PostgreSQL database and migrate it; return its URL.

    The whole public schema goes, not just the tables, so enum types and Alembic's
    own version table from an earlier run cannot survive into this one.
    """
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
