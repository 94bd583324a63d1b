"""GET /metrics: the helpline's figures in Prometheus's text format, for a monitor only.

The counts made as requests pass (web/meters.py) are handed on as they are. Figures
read from the database (queue, outbox, worker heartbeat, crisis marks) are read only
when a monitor scrapes, never per message.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.datastructures import WWWAuthenticate

from responder import policies, services
from responder.reports import readings
from responder.store.spool import Spool
from responder.worker import HEARTBEAT

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)

# A scrape that finds the database slow gives up on its figures rather than hang.
STATEMENT_TIMEOUT_MS = 2000


@bp.get("/metrics")
def scrape() -> Response:
    token = current_app.config.get("RESPONDER_METRICS_TOKEN")
    if not token:
        # Without a token of its own the endpoint does not exist, as far as anyone can tell.
        abort(404)
    given = request.headers.get("Authorization", "")
    # compare_digest takes as long for a near miss as for a wild guess.
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        abort(401, www_authenticate=WWWAuthenticate("bearer", {"realm": "metrics"}))
    app_services = services.of()
    meters = app_services.meters
    registry = CollectorRegistry()
    if meters.registry is None:
        MultiProcessCollector(registry)
    else:
        registry.register(_Registered(meters.registry))
    registry.register(_Database(app_services.sessions))
    registry.register(_Spooled(policies.spool(current_app.config, app_services)))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


class _Registered(Collector):
    """Hand on what the app's own registry holds, inside the scrape's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        return self._registry.collect()

    def describe(self) -> list[Metric]:
        return []


class _Database(Collector):
    """Read the figures that live in the database, once per scrape."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def describe(self) -> list[Metric]:
        # Nothing up front: registering must not touch the database.
        return []

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "responder_database_up", "1 when the scrape could read the database, else 0"
        )
        try:
            taken = self._read()
        except SQLAlchemyError:
            # The monitor still gets an answer, and this line tells it why figures are missing.
            log.warning("metrics: the database figures cannot be read")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from _figures(taken)

    def _read(self) -> readings.Readings:
        with self._sessions() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
            taken = readings.read(session, datetime.now(UTC), HEARTBEAT)
            session.rollback()
        return taken


class _Spooled(Collector):
    """Count this machine's spool: texters' messages kept while the database was away."""

    def __init__(self, spool: Spool) -> None:
        self._spool = spool

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        waiting, aside = self._spool.counted()
        yield GaugeMetricFamily(
            "responder_spool_waiting",
            "Messages kept on this machine's disk for the worker to store",
            value=waiting,
        )
        yield GaugeMetricFamily(
            "responder_spool_set_aside",
            "Spooled messages the worker could not store, moved aside for a person to look at",
            value=aside,
        )


def _figures(taken: readings.Readings) -> Iterator[Metric]:
    waiting = GaugeMetricFamily(
        "responder_queue_waiting",
        "Conversations waiting for a counsellor, by priority",
        labels=["priority"],
    )
    oldest = GaugeMetricFamily(
        "responder_queue_oldest_wait_seconds",
        "How long the longest-waiting conversation has waited, by priority",
        labels=["priority"],
    )
    for row in taken.waiting:
        waiting.add_metric([str(row.priority)], row.count)
        oldest.add_metric([str(row.priority)], row.oldest_wait_seconds)
    yield waiting
    yield oldest
    yield GaugeMetricFamily(
        "responder_outbox_backlog",
        "Messages waiting to be handed to Twilio",
        value=taken.outbox_backlog,
    )
    yield GaugeMetricFamily(
        "responder_outbox_oldest_age_seconds",
        "Age of the oldest message waiting to be handed to Twilio (0 when none waits)",
        value=taken.outbox_oldest_seconds or 0,
    )
    if taken.heartbeat_age_seconds is not None:
        yield GaugeMetricFamily(
            "responder_worker_heartbeat_age_seconds",
            "Seconds since a worker last wrote its heartbeat",
            value=taken.heartbeat_age_seconds,
        )
    yield GaugeMetricFamily(
        "responder_crisis_marks_today",
        "Conversations first marked in crisis since midnight UTC",
        value=taken.crisis_marks_today,
    )
    failed = GaugeMetricFamily(
        "responder_messages_failed",
        "Outbound messages stored as failed or undelivered, by Twilio error code",
        labels=["code"],
    )
    for code, count in sorted(taken.failed_by_code.items()):
        failed.add_metric([str(code)], count)
    yield failed
