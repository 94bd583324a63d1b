"""Alembic environment: the engine comes from the app, the schema from responder.store.models."""

from __future__ import annotations

from alembic import context

import responder.store.models  # noqa: F401  (registers every table on the metadata)
from responder.store.base import Base


def _engine():
    engine = context.config.attributes.get("engine")
    if engine is not None:
        return engine
    # Run through the plain `alembic` command: build the app the way it is deployed.
    from responder import create_app
    from responder.store.db import make_engine

    return make_engine(create_app().config["DATABASE_URL"])


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, "OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    # A migration may rewrite a large table: the app's statement limit,
                    # set for webhooks, is lifted for this transaction only.
                    connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
                context.run_migrations()
            if sqlite:
                broken = connection.connection.driver_connection.execute(
                    "PRAGMA foreign_key_check"
                ).fetchall()
                if broken:
                    raise RuntimeError(f"the upgrade left {len(broken)} rows pointing at nothing")
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, "ON")


def _sqlite_foreign_keys(connection, state: str) -> None:  # type: ignore[no-untyped-def]
    """Turn SQLite's foreign key checks on or off for this connection.

    Batch mode rebuilds a table by copying it and dropping the old one, which SQLite
    refuses while other tables' rows point at it (a counsellor with API tokens, say).
    The pragma only works outside a transaction, so it goes to the driver directly,
    before SQLAlchemy begins one; the whole database is checked before it is on again.
    """
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys = {state}")


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `responder db upgrade`")
run_migrations_online()
