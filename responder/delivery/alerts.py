"""Texts to the on-call supervisor (RESPONDER_ONCALL_NUMBER) when a conversation needs them.

An alert names the conversation by its number only: it never quotes the texter or
shows their number, since a phone's lock screen shows it to whoever is near. Like
sending.deliver_next, send_next commits once to claim an alert and once to record
Twilio's answer, so no transaction stays open while Twilio is called.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from responder.channels.transport import SendFailed, Sent, Transport
from responder.delivery.retry import Schedule
from responder.delivery.status import taken
from responder.store.models import Alert, Conversation, Heartbeat
from responder.store.rows import ConversationRow
from responder.store.turns import take_turn

log = logging.getLogger(__name__)

RETRY = Schedule(first=timedelta(seconds=15), longest=timedelta(hours=1), attempts=20)
# How long a worker has to hear Twilio's answer before another sends the alert again.
# Twice is better than never for an alert.
LEASE = timedelta(minutes=2)
CRISIS = "crisis"
UNCLAIMED = "unclaimed"  # a crisis still waiting for a counsellor after the follow-up time
OVERDUE = "overdue"  # a texter in crisis has waited too long for a counsellor's answer
SURGE = "surge"  # many texters joined the queue at once (conversations.surge)


# The Heartbeat row of this name holds when the last text went to the on-call number.
TURN = "oncall_alert"
# Alerts in one text are named by at most this many conversation numbers.
NAMED = 3
SMS_LIMIT = 160  # one GSM-7 segment


@dataclass(frozen=True)
class Policy:
    """Where alerts go, which helpline number they come from, how often, how retried."""

    oncall: str | None  # None: no alerts are sent
    sender: str | None = None  # None: the SMS number the texter wrote to
    retry: Schedule = RETRY
    # At most one text in this time: a flood of crisis marks (many numbers at once, real
    # or not) becomes one text saying how many, not a hundred to one phone.
    every: timedelta = timedelta(minutes=5)


def queue(
    session: Session, conversation: Conversation | ConversationRow, now: datetime, kind: str
) -> None:
    """Ask the worker to tell the on-call number about this conversation.

    The conversation has its id: receiving queues the alert for a conversation its own
    message began only once it has written it.
    """
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
    if alert.kind == SURGE:
        return (
            "Helpline Responder: many texters joined the queue at once, the latest in "
            f"{where}. A flood? Please open the live board now."
        )
    return f"Helpline Responder: crisis words in {where}. Please open the console now."


def summary(batch: list[Alert]) -> str:
    """Write several alerts as one text: how many of each kind, and where; one segment."""
    if len(batch) == 1:
        return text(batch[0])
    kinds = Counter(alert.kind for alert in batch)
    parts = ", ".join(
        f"{kinds[kind]} {one if kinds[kind] == 1 else many}"
        for kind, (one, many) in SUMMARY_WORDS.items()
        if kinds[kind]
    )
    ids = sorted({a.conversation_id for a in batch if a.conversation_id is not None})
    for named in range(min(NAMED, len(ids)), -1, -1):
        more = len(ids) - named
        where = ", ".join(str(i) for i in ids[:named])
        if more:
            where = f"{where} and {more} more" if named else f"{more} conversations"
        label = "" if not named else "conversation " if len(ids) == 1 else "conversations "
        body = (
            f"Helpline Responder: {len(batch)} alerts ({parts}) in {label}{where}. "
            "Please open the console now."
        )
        if len(body) <= SMS_LIMIT:
            return body
    return f"Helpline Responder: {len(batch)} alerts. Please open the console now."


SUMMARY_WORDS = {
    CRISIS: ("crisis mark", "crisis marks"),
    UNCLAIMED: ("crisis not taken", "crises not taken"),
    OVERDUE: ("crisis left waiting", "crises left waiting"),
    SURGE: ("surge", "surges"),
}


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
    """Send the alerts due, together in one text; return False when none is due.

    Within policy.every of the last text, alerts that come due wait for the next turn,
    and then go together.
    """
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
        # Whoever marks the turn sends; another worker, or a flood, waits for the next.
        if not take_turn(session, TURN, now, now - policy.every):
            _postpone(session, now, _last_sent(session) + policy.every)
            session.commit()
            return True
        batch = [alert, *_also_due(session, now, alert.id)]
        for each in batch:
            each.status, each.next_attempt_at = "sending", now + LEASE
            each.attempts += 1
        ids, body = [each.id for each in batch], summary(batch)
        session.commit()
    outcome: Sent | SendFailed
    try:
        outcome = transport.notify(policy.oncall, sender, body)
    except SendFailed as failure:
        outcome = failure
    with sessions() as session:
        _record(session, ids, outcome, policy, clock())
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


def _also_due(session: Session, now: datetime, leading: int) -> list[Alert]:
    """The other alerts due now, locked, to go in the same text."""
    return list(
        session.scalars(
            select(Alert)
            .where(
                Alert.status.in_(("pending", "sending")),
                Alert.next_attempt_at <= now,
                Alert.id != leading,
            )
            .order_by(Alert.id)
            .with_for_update(skip_locked=True)
        )
    )


def _postpone(session: Session, now: datetime, turn: datetime) -> None:
    """Hold every alert due until the next turn, when they go together."""
    session.execute(
        update(Alert)
        .where(Alert.status.in_(("pending", "sending")), Alert.next_attempt_at <= now)
        .values(next_attempt_at=turn)
        .execution_options(synchronize_session=False)
    )


def _last_sent(session: Session) -> datetime:
    last = session.scalar(select(Heartbeat.beat_at).where(Heartbeat.name == TURN))
    assert last is not None  # take_turn refused: the row exists
    return last


def _record(
    session: Session, ids: list[int], outcome: Sent | SendFailed, policy: Policy, now: datetime
) -> None:
    """Store Twilio's answer for every alert of the text: taken, try again later, or failed."""
    batch = [
        alert
        for alert in (session.get(Alert, i, with_for_update=True) for i in ids)
        # Another worker, whose lease had run out, may have settled one meanwhile.
        if alert is not None and alert.status == "sending"
    ]
    if isinstance(outcome, Sent):
        for index, alert in enumerate(batch):
            # The text is one message at Twilio: its sid goes with the first alert.
            alert.twilio_sid = outcome.sid if index == 0 else None
            alert.status, alert.next_attempt_at, alert.error_code = (
                taken(outcome.status),
                None,
                None,
            )
        log.info("alert sent alerts=%d sid=%s status=%s", len(batch), outcome.sid, outcome.status)
        return
    # Nothing reached the on-call phone: the retry must not wait for the next turn.
    session.execute(
        update(Heartbeat).where(Heartbeat.name == TURN).values(beat_at=now - policy.every)
    )
    for alert in batch:
        alert.error_code = outcome.code or outcome.http_status
        if not outcome.worth_retrying or policy.retry.exhausted(alert.attempts):
            alert.status, alert.next_attempt_at = "failed", None
            log.warning(
                "alert failed alert=%s attempts=%d code=%s",
                alert.id,
                alert.attempts,
                alert.error_code,
            )
            continue
        alert.status = "pending"
        alert.next_attempt_at = policy.retry.next_attempt(alert.attempts, now)
        log.warning(
            "alert failed, will retry alert=%s attempt=%d code=%s http=%s",
            alert.id,
            alert.attempts,
            outcome.code,
            outcome.http_status,
        )
