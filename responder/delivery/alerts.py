"""Texts to the on-call supervisor (RESPONDER_ONCALL_NUMBER) when a conversation needs them.

An alert names the conversation by its number only: it never quotes the texter or
shows their number, since a phone's lock screen shows it to whoever is near. Like
sending.deliver_next, send_next commits once to claim an alert and once to record
Twilio's answer, so no transaction stays open while Twilio is called.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from responder.channels.transport import SendFailed, Sent, Transport
from responder.delivery.retry import Schedule
from responder.delivery.status import taken
from responder.store.models import Alert, Conversation

log = logging.getLogger(__name__)

RETRY = Schedule(first=timedelta(seconds=15), longest=timedelta(hours=1), attempts=20)
# How long a worker has to hear Twilio's answer before another sends the alert again.
# Twice is better than never for an alert.
LEASE = timedelta(minutes=2)
CRISIS = "crisis"
UNCLAIMED = "unclaimed"  # a crisis still waiting for a counsellor after the follow-up time
OVERDUE = "overdue"  # a texter in crisis has waited too long for a counsellor's answer


@dataclass(frozen=True)
class Policy:
    """Where alerts go, which helpline number they come from, and how they are retried."""

    oncall: str | None  # None: no alerts are sent
    sender: str | None = None  # None: the SMS number the texter wrote to
    retry: Schedule = RETRY


def queue(session: Session, conversation: Conversation, now: datetime, kind: str) -> None:
    """Ask the worker to tell the on-call number about this conversation."""
    if conversation.id is None:
        session.flush()  # a conversation started by this very message needs its id
    session.add(
        Alert(
            kind=kind,
            conversation_id=conversation.id,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


def text(alert: Alert) -> str:
    """Write the alert: GSM-7 and one SMS segment, naming the conversation only."""
    where = (
        f"conversation {alert.conversation_id}"
        if alert.conversation_id is not None
        else "a conversation"  # the texter has erased it since
    )
    if alert.kind == UNCLAIMED:
        return (
            f"Helpline Responder: nobody has taken the crisis in {where} yet. "
            "Please open the console now."
        )
    if alert.kind == OVERDUE:
        return (
            f"Helpline Responder: a texter in crisis has waited too long for an answer in "
            f"{where}. Please open the console now."
        )
    return f"Helpline Responder: crisis words in {where}. Please open the console now."


def claim_next(session: Session, now: datetime) -> Alert | None:
    """Lock and return the next alert due, or None.

    On PostgreSQL, SKIP LOCKED lets several workers share alerts without ever
    taking the same one; on SQLite the transaction already holds the write lock.
    """
    return session.scalars(
        select(Alert)
        .where(Alert.status.in_(("pending", "sending")), Alert.next_attempt_at <= now)
        .order_by(Alert.next_attempt_at, Alert.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()


def send_next(
    sessions: sessionmaker[Session],
    transport: Transport,
    policy: Policy,
    clock: Callable[[], datetime],
) -> bool:
    """Send the next due alert; return False when none is due."""
    with sessions() as session:
        now = clock()
        alert = claim_next(session, now)
        if alert is None:
            return False
        sender = _sender(session, alert, policy)
        if policy.oncall is None or sender is None:
            alert.status, alert.next_attempt_at = "failed", None
            log.warning(
                "alert not sent alert=%s: %s",
                alert.id,
                "RESPONDER_ONCALL_NUMBER is not set"
                if policy.oncall is None
                else "no SMS number to send from: set TWILIO_FROM_NUMBER",
            )
            session.commit()
            return True
        alert.status, alert.next_attempt_at = "sending", now + LEASE
        alert.attempts += 1
        alert_id, body = alert.id, text(alert)
        session.commit()
    outcome: Sent | SendFailed
    try:
        outcome = transport.notify(policy.oncall, sender, body)
    except SendFailed as failure:
        outcome = failure
    with sessions() as session:
        _record(session, alert_id, outcome, policy.retry, clock())
        session.commit()
    return True


def send_due(
    sessions: sessionmaker[Session],
    transport: Transport,
    policy: Policy,
    clock: Callable[[], datetime],
) -> int:
    """Send every alert due; return how many were handled."""
    handled = 0
    while send_next(sessions, transport, policy, clock):
        handled += 1
    return handled


def _sender(session: Session, alert: Alert, policy: Policy) -> str | None:
    """Send from the configured number, else from the SMS number the texter wrote to."""
    if policy.sender:
        return policy.sender
    conversation = (
        session.get(Conversation, alert.conversation_id)
        if alert.conversation_id is not None
        else None
    )
    if conversation is None or conversation.helpline_address.startswith("whatsapp:"):
        return None
    return conversation.helpline_address


def _record(
    session: Session, alert_id: int, outcome: Sent | SendFailed, retry: Schedule, now: datetime
) -> None:
    """Store Twilio's answer: taken, try again later, or failed for good."""
    alert = session.get(Alert, alert_id, with_for_update=True)
    if alert is None or alert.status != "sending":
        return  # Another worker, whose lease had run out, settled it meanwhile.
    if isinstance(outcome, Sent):
        alert.twilio_sid, alert.status = outcome.sid, taken(outcome.status)
        alert.next_attempt_at, alert.error_code = None, None
        log.info("alert sent alert=%s sid=%s status=%s", alert.id, alert.twilio_sid, alert.status)
        return
    alert.error_code = outcome.code or outcome.http_status
    if not outcome.worth_retrying or retry.exhausted(alert.attempts):
        alert.status, alert.next_attempt_at = "failed", None
        log.warning(
            "alert failed alert=%s attempts=%d code=%s", alert.id, alert.attempts, alert.error_code
        )
        return
    alert.status, alert.next_attempt_at = "pending", retry.next_attempt(alert.attempts, now)
    log.warning(
        "alert failed, will retry alert=%s attempt=%d code=%s http=%s",
        alert.id,
        alert.attempts,
        outcome.code,
        outcome.http_status,
    )
