"""GET /healthz: is the app up, can it reach its database, and is the outbox moving?"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from responder.delivery import outbox
from responder.store.db import get_session
from responder.store.models import Heartbeat
from responder.store.timeouts import limit
from responder.worker import HEARTBEAT

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
# A monitor gives up after a few seconds: every statement here is bounded by this much.
LIMIT_SECONDS = 1


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    session = get_session()
    try:
        limit(session, LIMIT_SECONDS)
        session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        log.warning("health check: database unreachable")
        return jsonify(status="error", database="unreachable"), 503
    # The worker figures inform a monitor; they never make the web app unhealthy,
    # not even before the first migration.
    try:
        beat = session.get(Heartbeat, HEARTBEAT)
        _, oldest = outbox.backlog(session)
    except SQLAlchemyError:
        log.warning("health check: the outbox figures cannot be read")
        beat = oldest = None
    now = datetime.now(UTC)
    return jsonify(
        status="ok",
        database="ok",
        worker_heartbeat=beat.beat_at.isoformat() if beat else None,
        worker_heartbeat_age_seconds=_age(now, beat.beat_at) if beat else None,
        oldest_unsent_age_seconds=_age(now, oldest) if oldest else None,
    )


def _age(now: datetime, then: datetime) -> int:
    return max(0, int((now - then).total_seconds()))
