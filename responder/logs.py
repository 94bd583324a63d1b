"""Logging to standard error at LOG_LEVEL. Callers never log message text or numbers."""

from __future__ import annotations

import logging
import sys

from flask import Flask

from responder.config import ConfigError

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def init_app(app: Flask) -> None:
    level = logging.getLevelName(str(app.config["LOG_LEVEL"]).upper())
    if not isinstance(level, int):
        raise ConfigError(f"LOG_LEVEL {app.config['LOG_LEVEL']!r} is not a logging level")
    logger = logging.getLogger("responder")
    logger.setLevel(level)
    if not any(getattr(h, "responder", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.responder = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    app.logger.setLevel(level)
