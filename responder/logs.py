"""Logging to standard error at LOG_LEVEL. Callers never log message text or numbers."""

from __future__ import annotations

import logging
import re
import sys

from flask import Flask

from responder.config import ConfigError

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The logger SQLAlchemy's engines write to when their echo flag is off, as ours is.
SQL_LOGGER = "sqlalchemy.engine.Engine"


def init_app(app: Flask) -> None:
    level = logging.getLevelName(str(app.config["LOG_LEVEL"]).upper())
    if not isinstance(level, int):
        raise ConfigError(f"LOG_LEVEL {app.config['LOG_LEVEL']!r} is not a logging level")
    logger = logging.getLogger("responder")
    logger.setLevel(level)
    if not any(getattr(h, "responder", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(OneLine(FORMAT))
        handler.responder = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    app.logger.setLevel(level)
    # Whoever turns SQL logging on to chase a fault gets the statements (the engine
    # hides their parameters) but never the result rows: those hold message text.
    logging.getLogger(SQL_LOGGER).addFilter(_no_result_rows)


class OneLine(logging.Formatter):
    """Write each message on one line, its control characters escaped.

    Some values logged come from outside (a request's path, the ErrorCode of an
    unsigned fallback request): a line break in one would forge a line of its own in
    the log. Tracebacks, which the code writes, keep their lines.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = _CONTROL.sub(_escape, record.message)
        return super().formatMessage(record)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(found: re.Match[str]) -> str:
    return found.group().encode("unicode_escape").decode("ascii")


def _no_result_rows(record: logging.LogRecord) -> bool:
    # SQLAlchemy writes rows at DEBUG and everything else at INFO or above.
    return record.levelno > logging.DEBUG
