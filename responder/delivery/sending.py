"""Delivering the outbox: retries, order, opt-outs, WhatsApp's 24-hour window, and status.

Functions take a Session and never commit, except deliver_next: it is the worker's
boundary and commits once to claim a message and once to record Twilio's answer,
so no transaction stays open while Twilio is called.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from responder import services
from responder.channels.transport import SendFailed, Sent, StatusUpdate, Transport
from responder.delivery import deletions, outbox
from responder.errors import AddressError
from responder.privacy.addresses import Keys
from responder.store import events
from responder.store.models import Contact, Message

log = logging.getLogger(__name__)

WHATSAPP_WINDOW = timedelta(hours=24)
MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=15)
LONGEST_RETRY = timedelta(minutes=15)
# How long a worker has to hear Twilio's answer before the message counts as
# interrupted. Well above the HTTP timeout of the two calls a send can make.
LEASE = timedelta(minutes=2)
# Twilio's clock and ours differ a little: look for an interrupted send from a
# minute before it began.
LOOKUP_SLACK = timedelta(minutes=1)

OPTED_OUT = 21610
OUTSIDE_WINDOW = 63016

# What a counsellor reads next to a message Twilio refused. Twilio's own error text
# is never stored: it can quote the texter's number.
REASONS = {
    20003: "Twilio refused the helpline's credentials (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)",
    20429: "Twilio asked the helpline to slow down",
    21211: "the texter's number is not a valid phone number",
    21610: "the texter has opted out (STOP); nothing reaches them until they send START",
    21611: "the helpline number's sending queue is full",
    21614: "the texter's number cannot receive text messages",
    21617: "the message is longer than 1600 characters",
    21619: "the message is empty",
    30001: "Twilio's sending queue overflowed",
    30003: "the texter's phone is unreachable",
    30004: "the message was blocked on the way to the texter",
    30005: "the texter's number is unknown or no longer in use",
    30006: "the texter's number is a landline or its carrier cannot be reached",
    30007: "the carrier filtered the message",
    30008: "the carrier could not deliver the message",
    63015: "the texter has not joined the WhatsApp sandbox",
    63016: "WhatsApp's 24-hour window has closed",
    63018: "WhatsApp's sending rate limit was reached",
}
HELD = "held: WhatsApp's 24-hour window has closed; it goes when the texter writes again"
NO_TEMPLATE = (
    "WhatsApp's 24-hour window has closed and no approved template is configured to "
    "invite the texter back: set TWILIO_WHATSAPP_TEMPLATE_SID"
)
# Twilio's statuses in the order a message moves through them. Status callbacks
# arrive out of order, so a status only ever replaces a lower one.
RANK = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "partially_delivered": 3,
    "canceled": 3,
    "read": 4,
}


@dataclass(frozen=True)
class Policy:
    """The settings delivery follows."""

    keys: Keys
    template_sid: str | None = None
    attempts: int = MAX_ATTEMPTS
    first_retry: timedelta = FIRST_RETRY
    longest_retry: timedelta = LONGEST_RETRY
    lease: timedelta = LEASE


def policy_for(app: Flask) -> Policy:
    """Gather the delivery settings of an app."""
    return Policy(
        keys=services.of(app).keys,
        template_sid=app.config.get("TWILIO_WHATSAPP_TEMPLATE_SID"),
    )


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
        _fail(session, message, now, "no helpline number to send from")
        return None
    try:
        number = policy.keys.decrypt(contact.address_encrypted)
    except AddressError:
        _fail(session, message, now, "the texter's number cannot be read with this data key")
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
            _accepted(session, message, taken, now)
            log.info("interrupted send found at Twilio message=%s sid=%s", message.id, taken.sid)
            return None

    if contact.opted_out:
        _fail(session, message, now, "the texter has opted out (STOP); nothing is sent to them")
        return None
    if message.body is None and not policy.template_sid:
        _fail(session, message, now, NO_TEMPLATE)
        return None
    if message.body is not None and (
        outbox.held_before(session, message)
        or (whatsapp and now - outbox.last_heard(session, contact.id) >= WHATSAPP_WINDOW)
    ):
        # Behind a held text it is held too, so the texts still go in order.
        hold(session, message, now, policy)
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
        _accepted(session, message, outcome, now)
        log.info(
            "message sent message=%s sid=%s status=%s attempt=%d",
            message.id,
            message.twilio_sid,
            message.status,
            message.attempts,
        )
        return
    if outcome.code == OUTSIDE_WINDOW and message.body is not None:
        hold(session, message, now, policy, OUTSIDE_WINDOW)
    elif outcome.code == OPTED_OUT:
        _opt_out(message.conversation.contact, now)
        _fail(session, message, now, describe(outcome), OPTED_OUT)
    elif outcome.worth_retrying:
        _retry(session, message, outcome, now, policy)
    else:
        _fail(session, message, now, describe(outcome), outcome.code)


def hold(
    session: Session, message: Message, now: datetime, policy: Policy, code: int | None = None
) -> None:
    """Keep a WhatsApp text until the texter writes again, and invite them back once."""
    if not policy.template_sid:
        _fail(session, message, now, NO_TEMPLATE, code)
        return
    message.status, message.status_at, message.next_attempt_at = "held", now, None
    message.error_code, message.error_message = code, HELD
    conversation = message.conversation
    contact_id = conversation.contact_id
    # One invitation per silence: the texts held since the texter last wrote share it.
    if not outbox.invited_since(session, contact_id, outbox.last_heard(session, contact_id)):
        sender = message.sender or conversation.helpline_address
        outbox.enqueue_template(session, conversation, sender, now)
    events.record(session, "delivery", now, conversation)
    log.info("message held for the WhatsApp window message=%s code=%s", message.id, code)


def track(session: Session, update: StatusUpdate, now: datetime, policy: Policy) -> bool:
    """Apply a status callback; return False when the sid is not one of ours."""
    message = session.scalars(
        select(Message)
        .where(Message.twilio_sid == update.sid, Message.direction == "out")
        .with_for_update()
    ).one_or_none()
    if message is None:
        log.info("status for an unknown sid=%s status=%s", update.sid, update.status)
        return False
    current = RANK.get(message.status or "")
    if current is None:
        # Held, queued again or simulated: this sid's news no longer applies.
        return True
    changed = False
    code = update.error_code
    if code is not None and code != message.error_code:
        message.error_code, message.error_message = code, REASONS.get(code, f"Twilio error {code}")
        changed = True
        if code == OPTED_OUT:
            _opt_out(message.conversation.contact, now)
    new = RANK.get(update.status)
    if new is not None and new > current:
        if code == OUTSIDE_WINDOW and message.body is not None and new == RANK["failed"]:
            hold(session, message, now, policy, OUTSIDE_WINDOW)
        else:
            message.status, message.status_at = update.status, now
        changed = True
    if changed:
        events.record(session, "delivery", now, message.conversation)
    log.info(
        "status callback message=%s sid=%s status=%s code=%s applied=%s",
        message.id,
        update.sid,
        update.status,
        code,
        changed,
    )
    return True


def describe(failure: SendFailed) -> str:
    """Say in a few words why Twilio did not take a message."""
    if failure.code in REASONS:
        return REASONS[failure.code]
    return failure.reason


def _accepted(session: Session, message: Message, sent: Sent, now: datetime) -> None:
    message.twilio_sid = sent.sid
    message.status = sent.status if sent.status in RANK or sent.status == "simulated" else "queued"
    message.status_at, message.next_attempt_at = now, None
    message.error_code = message.error_message = None
    events.record(session, "delivery", now, message.conversation)


def _retry(
    session: Session, message: Message, failure: SendFailed, now: datetime, policy: Policy
) -> None:
    reason = describe(failure)
    if failure.outcome_unknown:
        reason += "; it may have been sent"
    if message.attempts >= policy.attempts:
        _fail(
            session,
            message,
            now,
            f"gave up after {message.attempts} attempts: {reason}",
            failure.code,
        )
        return
    delay = policy.first_retry * 2 ** min(max(message.attempts - 1, 0), 16)
    # Without a clear answer Twilio may have the message: it stays "sending", so
    # the next try looks it up before sending again.
    message.status = "sending" if failure.outcome_unknown else "pending"
    message.next_attempt_at = now + min(delay, policy.longest_retry)
    message.error_code, message.error_message = failure.code, f"will try again: {reason}"
    message.status_at = now
    events.record(session, "delivery", now, message.conversation)
    log.warning(
        "send failed, will retry message=%s attempt=%d code=%s http=%s",
        message.id,
        message.attempts,
        failure.code,
        failure.http_status,
    )


def _fail(
    session: Session, message: Message, now: datetime, reason: str, code: int | None = None
) -> None:
    message.status, message.status_at, message.next_attempt_at = "failed", now, None
    message.error_code, message.error_message = code, reason
    events.record(session, "delivery", now, message.conversation)
    log.warning("message failed message=%s code=%s", message.id, code)


def _opt_out(contact: Contact, now: datetime) -> None:
    if not contact.opted_out:
        contact.opted_out, contact.opted_out_at = True, now
        log.info("contact opted out by Twilio contact=%s", contact.id)
