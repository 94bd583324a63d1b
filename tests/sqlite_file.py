"""An app on a SQLite file of its own, for tests that read the file and its write-ahead log."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from responder import create_app, services
from responder.store.migrate import upgrade
from tests.twilio_requests import settings


def app_on_file(path: Path, **overrides: object) -> Flask:
    """An app on a new, migrated SQLite database at path."""
    app = create_app(settings(f"sqlite:///{path}", **overrides))
    upgrade(services.of(app).sessions.kw["bind"])
    return app


def log_of(path: Path) -> Path:
    """The write-ahead log SQLite keeps beside the database at path."""
    return path.with_name(path.name + "-wal")
