"""The worker: delivers the outbox and runs the timed jobs until it is told to stop."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import FrameType, MappingProxyType
from typing import Any

from flask import Flask, Response
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from responder import policies, services
from responder.channels import twilio
from responder.channels.simulator import Simulator
from responder.channels.transport import Transport
from responder.config import ConfigError
from responder.conversations import crisis_followup, queue, spooled, surge
from responder.counselling import overdue
from responder.delivery import alerts, deletions, sending, status
from responder.privacy import retention
from responder.reports import staffing
from responder.store.models import Heartbeat

log = logging.getLogger(__name__)

HEARTBEAT = "worker"
POLL_SECONDS = 1.0

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Jobs:
    """What the worker's jobs follow, read from the config once when the worker starts."""

    wait_notices: queue.WaitNotices
    crisis_followup: crisis_followup.FollowUp
    overdue: overdue.Limits
    surge: surge.Limits
    alerts: alerts.Policy
    delivery: sending.Policy
    retention: Mapping[str, Any]  # the retention periods are read from it by name
    presence: timedelta  # how recently a console page must have been seen to count as there
    spooled: spooled.Replay  # messages the web app kept on disk while the database was away


def jobs_for(config: Mapping[str, Any], shared: services.Services) -> Jobs:
    """Build every job's settings from the config and the app's services."""
    return Jobs(
        wait_notices=policies.wait_notices(config, shared),
        crisis_followup=policies.crisis_followup(config, shared),
        overdue=policies.overdue(config),
        surge=policies.surge(config),
        alerts=policies.alerts(config),
        delivery=policies.delivery(config, shared),
        retention=MappingProxyType(dict(config)),
        presence=policies.presence(config),
        spooled=policies.replay(config, shared),
    )


def transport_for(config: Mapping[str, Any]) -> Transport:
    """Send through Twilio when it has credentials; to the phone simulator in development."""
    if config.get("TWILIO_ACCOUNT_SID"):
        return twilio.rest(config)
    if config["RESPONDER_ENV"] == "development":
        return Simulator()
    # config.load already refuses production without credentials; never divert quietly.
    raise ConfigError("sending messages needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")


def run(
    app: Flask,
    transport: Transport | None = None,
    *,
    once: bool = False,
    clock: Clock = utcnow,
    stop: threading.Event | None = None,
) -> None:
    """Work until SIGTERM or Ctrl-C, finishing the current message; once: do what is due.

    The app is read here and nowhere below: its config and services become the jobs'
    settings once, and the loop runs on those.
    """
    stop = stop or threading.Event()
    sessions = services.of(app).sessions
    jobs = jobs_for(app.config, services.of(app))
    transport = transport or transport_for(app.config)
    restore = _stop_on_signals(stop)
    log.info("worker started transport=%s once=%s", type(transport).__name__, once)
    try:
        while not stop.is_set():
            try:
                tick(sessions, jobs, transport, clock, stop)
            except Exception:
                if once:
                    raise
                # The database or the network may be back in a moment: keep going
                # rather than crash-loop, and say so in the log.
                log.exception("worker round failed; trying again")
            if once:
                break
            stop.wait(POLL_SECONDS)
    finally:
        restore()
    log.info("worker stopped")


def tick(
    sessions: sessionmaker[Session],
    jobs: Jobs,
    transport: Transport,
    clock: Clock,
    stop: threading.Event | None = None,
) -> int:
    """Run the urgent jobs, the timed ones, deliver what is due, purge hourly; count messages."""
    urgent = Urgent(sessions, jobs, transport, clock)
    urgent(at_once=True)
    # Texters' messages kept while the database was away come next: one may be a crisis.
    spooled.store_all(sessions, jobs.spooled, clock)
    # Each timed job commits on its own, so one failing never holds back delivery
    # of what the others wrote.
    with sessions() as session:
        queue.send_wait_notices(session, clock(), jobs.wait_notices)
        session.commit()
    # Deletions claim and commit row by row, as delivery does.
    deletions.delete_due(sessions, transport, clock, between=urgent)
    handled = drain(sessions, transport, jobs.delivery, clock, stop, between=urgent)
    # Status callbacks that came just as a sid was stored, and those whose time is up.
    with sessions() as session:
        status.settle_early(
            session, clock(), jobs.delivery.early_status, jobs.delivery.template_sid
        )
        session.commit()
    with sessions() as session:
        staffing.sample_if_due(session, clock(), jobs.presence)
        session.commit()
    # The hourly purge goes last: however long it takes, what was due went first.
    with sessions() as session:
        retention.run_if_due(session, clock(), jobs.retention)
        session.commit()
    return handled


class Urgent:
    """What must never wait behind the outbox: the heartbeat, crises left alone, surges, alerts.

    Delivery calls it before each message, so a crisis alert leaves after at most the one
    message being sent when the crisis came, however long the outbox is and however slow
    Twilio answers. Alerts are looked for every time; the heartbeat and the crisis jobs,
    which write rows, at most once a second.
    """

    EVERY = timedelta(seconds=1)

    def __init__(
        self, sessions: sessionmaker[Session], jobs: Jobs, transport: Transport, clock: Clock
    ) -> None:
        self.sessions, self.jobs, self.transport, self.clock = sessions, jobs, transport, clock
        self.last: datetime | None = None

    def __call__(self, at_once: bool = False) -> None:
        now = self.clock()
        if at_once or self.last is None or not timedelta(0) <= now - self.last < self.EVERY:
            self.last = now
            with self.sessions() as session:
                beat(session, now)
                session.commit()
            # Every round, about once a second: a crisis must not wait on a slow timer.
            with self.sessions() as session:
                crisis_followup.send_due(session, self.clock(), self.jobs.crisis_followup)
                session.commit()
            # After the follow-up, which alerts for an unclaimed crisis itself: no second text.
            with self.sessions() as session:
                overdue.report_due(session, self.clock(), self.jobs.overdue)
                session.commit()
            with self.sessions() as session:
                surge.report_if_new(session, self.clock(), self.jobs.surge)
                session.commit()
        # Alerts claim and commit row by row, as delivery does.
        alerts.send_due(self.sessions, self.transport, self.jobs.alerts, self.clock)


def drain(
    sessions: sessionmaker[Session],
    transport: Transport,
    policy: sending.Policy,
    clock: Clock,
    stop: threading.Event | None = None,
    between: Callable[[], None] | None = None,
) -> int:
    """Deliver messages until none is due (or stop is set); return how many were handled.

    between runs before each message: the worker's urgent jobs.
    """
    handled = 0
    stopped = stop.is_set if stop is not None else lambda: False
    while not stopped():
        if between is not None:
            between()
        if stopped() or not sending.deliver_next(sessions, transport, policy, clock):
            break
        handled += 1
    return handled


def beat(session: Session, now: datetime) -> None:
    """Record that a worker is alive; several workers share the row and the latest wins."""
    touch = update(Heartbeat).where(Heartbeat.name == HEARTBEAT).values(beat_at=now)
    if session.execute(touch).rowcount:  # type: ignore[attr-defined]
        return
    try:
        with session.begin_nested():
            session.add(Heartbeat(name=HEARTBEAT, beat_at=now))
    except IntegrityError:
        # Another worker wrote the very first beat at the same moment.
        session.execute(touch)


def deliver_after_responses(app: Flask) -> None:
    """In development, store the spool, send the outbox, alerts and deletions as responses close.

    No worker is needed. The delivery runs once the response has been sent and the
    request's session is closed, so it never waits on the request's own transaction
    (SQLite holds the write lock for it). A retry waits for the next request; the
    timed jobs (wait notices) still need `responder worker`.
    """
    sessions = services.of(app).sessions
    transport = transport_for(app.config)
    policy = policies.delivery(app.config, services.of(app))
    alert_policy = policies.alerts(app.config)
    replay = policies.replay(app.config, services.of(app))

    def deliver() -> None:
        try:
            # Messages kept while the database was away, once it answers again.
            spooled.store_all(sessions, replay, utcnow)
            alerts.send_due(sessions, transport, alert_policy, utcnow)
            deletions.delete_due(sessions, transport, utcnow)
            drain(sessions, transport, policy, utcnow)
        except Exception:
            log.exception("development delivery failed")

    @app.after_request
    def deliver_when_closed(response: Response) -> Response:
        response.call_on_close(deliver)
        return response


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """Make SIGTERM and SIGINT set stop; return what puts the old handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
