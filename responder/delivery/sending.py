"""Delivering the outbox: retries, order, opt-outs and WhatsApp's 24-hour window.

Functions take a Session and never commit, except deliver_next: it is the worker's
boundary and commits once to claim a message and once to record Twilio's answer,
so no transaction stays open while Twilio is called.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from responder.channels.transport import SendFailed, Sent, Transport
from responder.delivery import deletions, outbox
from responder.delivery.reasons import NO_SENDER, NO_TEMPLATE, RETRYING, STOPPED, UNREADABLE
from responder.delivery.retry import Schedule
from responder.delivery.status import (
    OPTED_OUT,
    OUTSIDE_WINDOW,
    apply_early,
    describe,
    fail,
    hold,
    opt_out,
    taken,
)
from responder.errors import AddressError
from responder.privacy.addresses import Keys
from responder.store import events
from responder.store.models import Message

log = logging.getLogger(__name__)

WHATSAPP_WINDOW = timedelta(hours=24)
RETRY = Schedule(first=timedelta(seconds=15), longest=timedelta(minutes=15), attempts=10)
# How long a worker has to hear Twilio's answer before the message counts as
# interrupted. Well above the HTTP timeout of the two calls a send can make.
LEASE = timedelta(minutes=2)
# Twilio's clock and ours differ a little: look for an interrupted send from a
# minute before it began.
LOOKUP_SLACK = timedelta(minutes=1)


@dataclass(frozen=True)
class Policy:
    """The settings delivery follows."""

    keys: Keys
    template_sid: str | None = None
    retry: Schedule = RETRY
    lease: timedelta = LEASE
    # How long a status callback for a sid not yet stored waits for it.
    early_status: timedelta = timedelta(minutes=10)


@dataclass(frozen=True)
class _Attempt:
    message_id: int
    started_at: datetime
    to: str
    sender: str
    body: str | None
    content_sid: str | None


def deliver_next(
    sessions: sessionmaker[Session],
    transport: Transport,
    policy: Policy,
    clock: Callable[[], datetime],
) -> bool:
    """Deliver the next due message; return False when nothing is due."""
    with sessions() as session:
        now = clock()
        message = outbox.claim_next(session, now)
        if message is None:
            return False
        attempt = _prepare(session, message, transport, policy, now)
        session.commit()
    if attempt is None:
        return True
    outcome: Sent | SendFailed
    try:
        outcome = transport.send(attempt.to, attempt.sender, attempt.body, attempt.content_sid)
    except SendFailed as failure:
        outcome = failure
    with sessions() as session:
        _record(session, attempt, outcome, policy, clock())
        session.commit()
    return True


def _prepare(
    session: Session, message: Message, transport: Transport, policy: Policy, now: datetime
) -> _Attempt | None:
    """Settle a claimed message without sending it if possible, else mark it sending."""
    contact = message.conversation.contact
    if not message.sender:
        fail(session, message, now, NO_SENDER)
        return None
    try:
        number = policy.keys.decrypt(contact.address_encrypted)
    except AddressError:
        fail(session, message, now, UNREADABLE)
        return None
    whatsapp = message.sender.startswith("whatsapp:")
    to = "whatsapp:" + number if whatsapp else number

    if message.status == "sending" and message.send_started_at is not None:
        # A worker handed this message to Twilio and never heard back. Ask Twilio
        # before doing anything else with it, or the texter could get it twice. The
        # row stays locked meanwhile, so no other worker asks, or sends, at once.
        try:
            found = transport.lookup(
                to, message.sender, message.body, message.send_started_at - LOOKUP_SLACK
            )
        except SendFailed as failure:
            # Counted as a try, so a lookup that keeps failing ends in "failed".
            message.attempts += 1
            _retry(session, message, failure, now, policy)
            return None
        taken = _first_unknown(session, found)
        if taken is not None:
            _accepted(session, message, taken, now, policy.template_sid)
            log.info("interrupted send found at Twilio message=%s sid=%s", message.id, taken.sid)
            return None

    if contact.opted_out:
        fail(session, message, now, STOPPED)
        return None
    if message.body is None and not policy.template_sid:
        fail(session, message, now, NO_TEMPLATE)
        return None
    if message.body is not None and (
        outbox.held_before(session, message)
        or (whatsapp and now - outbox.last_heard(session, contact.id) >= WHATSAPP_WINDOW)
    ):
        # Behind a held text it is held too, so the texts still go in order.
        hold(session, message, now, policy.template_sid)
        return None

    message.status, message.send_started_at, message.twilio_sid = "sending", now, None
    message.next_attempt_at = now + policy.lease
    message.attempts += 1
    return _Attempt(
        message.id,
        now,
        to,
        message.sender,
        message.body,
        policy.template_sid if message.body is None else None,
    )


def _first_unknown(session: Session, found: list[Sent]) -> Sent | None:
    """Return the first message Twilio has that no other row already claims as its own.

    Two texts alike ("ok", "ok") both match a lookup; the one already stored is not
    the one that was interrupted.
    """
    sids = [sent.sid for sent in found if sent.sid]
    known = set(session.scalars(select(Message.twilio_sid).where(Message.twilio_sid.in_(sids))))
    return next((sent for sent in found if sent.sid and sent.sid not in known), None)


def _record(
    session: Session,
    attempt: _Attempt,
    outcome: Sent | SendFailed,
    policy: Policy,
    now: datetime,
) -> None:
    """Store Twilio's answer to a send."""
    message = session.get(Message, attempt.message_id, with_for_update=True)
    if message is None and isinstance(outcome, Sent) and outcome.sid:
        # The texter erased themselves while the message was on its way: Twilio's
        # copy is all that is left, and it goes too.
        deletions.queue_messages(session, [outcome.sid], now)
        log.info("message sent during an erasure sid=%s", outcome.sid)
        return
    if message is None or (message.status, message.send_started_at) != (
        "sending",
        attempt.started_at,
    ):
        # The lease ran out first and another worker has dealt with the message.
        log.warning(
            "send answer came after the lease ran out message=%s sid=%s",
            attempt.message_id,
            outcome.sid if isinstance(outcome, Sent) else None,
        )
        return
    if isinstance(outcome, Sent):
        _accepted(session, message, outcome, now, policy.template_sid)
        log.info(
            "message sent message=%s sid=%s status=%s attempt=%d",
            message.id,
            message.twilio_sid,
            message.status,
            message.attempts,
        )
        return
    if outcome.code == OUTSIDE_WINDOW and message.body is not None:
        hold(session, message, now, policy.template_sid, OUTSIDE_WINDOW)
    elif outcome.code == OPTED_OUT:
        opt_out(message.conversation.contact, now)
        fail(session, message, now, describe(outcome), OPTED_OUT)
    elif outcome.worth_retrying:
        _retry(session, message, outcome, now, policy)
    else:
        fail(session, message, now, describe(outcome), outcome.code)


def _accepted(
    session: Session, message: Message, sent: Sent, now: datetime, template_sid: str | None
) -> None:
    message.twilio_sid = sent.sid
    message.status = taken(sent.status)
    message.status_at, message.next_attempt_at = now, None
    message.error_code = message.error_message = None
    events.record(session, "delivery", now, message.conversation)
    # Twilio may have called back before its answer reached us.
    apply_early(session, message, now, template_sid)


def _retry(
    session: Session, message: Message, failure: SendFailed, now: datetime, policy: Policy
) -> None:
    reason = describe(failure)
    if failure.outcome_unknown:
        reason += "; it may have been sent"
    if policy.retry.exhausted(message.attempts):
        fail(
            session,
            message,
            now,
            f"gave up after {message.attempts} attempts: {reason}",
            failure.code,
        )
        return
    # Without a clear answer Twilio may have the message: it stays "sending", so
    # the next try looks it up before sending again.
    message.status = "sending" if failure.outcome_unknown else "pending"
    message.next_attempt_at = policy.retry.next_attempt(message.attempts, now)
    message.error_code, message.error_message = failure.code, RETRYING + reason
    message.status_at = now
    events.record(session, "delivery", now, message.conversation)
    log.warning(
        "send failed, will retry message=%s attempt=%d code=%s http=%s",
        message.id,
        message.attempts,
        failure.code,
        failure.http_status,
    )
