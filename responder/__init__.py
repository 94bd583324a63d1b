"""Helpline Responder: an SMS and WhatsApp helpline for people targeted by sextortion."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config, then extensions, then blueprints, then commands."""
    # Imported here, not at the top: importing any module of the package runs this
    # file, and the use cases, store and delivery must load without Flask.
    from flask import Flask

    # INSTANCE_PATH lets tests and unusual deployments keep generated secrets elsewhere.
    instance_path = (test_config or {}).get("INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder="web/templates",
        static_folder="web/static",
    )

    from responder import config, logs, paths, services
    from responder.bot.check import content_of
    from responder.conversations.hours import hours_of
    from responder.privacy.addresses import Keys
    from responder.store import db
    from responder.web import meters, metrics, plumbing

    config.load(app, test_config, os.environ)
    logs.init_app(app)
    keys = Keys.from_secret(
        app.config["RESPONDER_DATA_KEY"], app.config["RESPONDER_DATA_KEY_FALLBACKS"]
    )
    services.attach(
        app,
        services.Services(
            sessions=db.init_app(app, keys),
            content=content_of(paths.content_dir(app.config)),
            keys=keys,
            hours=hours_of(app.config.get("RESPONDER_HOURS_FILE")),
            meters=meters.Meters.create(),
        ),
    )
    plumbing.init_app(app)

    from responder.web import api, console, health, webhooks

    app.register_blueprint(webhooks.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(metrics.bp)
    if app.config["RESPONDER_ENV"] == "development":
        from responder import worker
        from responder.web import simulator

        app.register_blueprint(simulator.bp)
        # Deliver counsellor messages as responses close, so `make run` needs no worker.
        worker.deliver_after_responses(app)
    return app
