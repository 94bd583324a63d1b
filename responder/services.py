"""The app's long-lived services, reached through one typed accessor.

Views, commands and the worker ask `services.of(app)` (or `services.of()` inside a
request or command) instead of reading string keys out of `app.extensions`, so a
misspelt name is a type error rather than a KeyError at three in the morning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from responder.bot.content import Content
    from responder.conversations.hours import Hours
    from responder.privacy.addresses import Keys
    from responder.web.meters import Meters

_KEY = "responder"


@dataclass(frozen=True)
class Services:
    """What every request, command and worker tick shares for the app's lifetime."""

    sessions: sessionmaker[Session]
    content: Content
    keys: Keys
    hours: Hours | None
    meters: Meters


def attach(app: Flask, services: Services) -> None:
    """Give app its services; create_app calls this once."""
    app.extensions[_KEY] = services


def of(app: Flask | None = None) -> Services:
    """Return the services of app, or of the app serving this request or command."""
    return (app if app is not None else current_app).extensions[_KEY]
