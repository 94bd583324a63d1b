"""A message's delivery status: Twilio's statuses in order, what its refusals mean,
and the changes made outside a send: held for WhatsApp's window, failed, and
Twilio's status callbacks.

Functions take a Session and never commit.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from responder.channels.transport import SendFailed, StatusUpdate
from responder.delivery import outbox
from responder.delivery.reasons import HELD, NO_TEMPLATE, REASONS, twilio_error
from responder.store import events
from responder.store.models import Contact, Message

log = logging.getLogger(__name__)

OPTED_OUT = 21610
OUTSIDE_WINDOW = 63016

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


def taken(status: str | None) -> str:
    """Return the status to store for a message Twilio took with this status."""
    return status if status in RANK or status == "simulated" else "queued"


def describe(failure: SendFailed) -> str:
    """Say in a few words why Twilio did not take a message."""
    if failure.code in REASONS:
        return REASONS[failure.code]
    return failure.reason


def track(session: Session, update: StatusUpdate, now: datetime, template_sid: str | None) -> bool:
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
        message.error_code, message.error_message = code, REASONS.get(code) or twilio_error(code)
        changed = True
        if code == OPTED_OUT:
            opt_out(message.conversation.contact, now)
    new = RANK.get(update.status)
    if new is not None and new > current:
        if code == OUTSIDE_WINDOW and message.body is not None and new == RANK["failed"]:
            hold(session, message, now, template_sid, OUTSIDE_WINDOW)
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


def hold(
    session: Session,
    message: Message,
    now: datetime,
    template_sid: str | None,
    code: int | None = None,
) -> None:
    """Keep a WhatsApp text until the texter writes again, and invite them back once."""
    if not template_sid:
        fail(session, message, now, NO_TEMPLATE, code)
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


def fail(
    session: Session, message: Message, now: datetime, reason: str, code: int | None = None
) -> None:
    """Give up on a message for good, saying why."""
    message.status, message.status_at, message.next_attempt_at = "failed", now, None
    message.error_code, message.error_message = code, reason
    events.record(session, "delivery", now, message.conversation)
    log.warning("message failed message=%s code=%s", message.id, code)


def opt_out(contact: Contact, now: datetime) -> None:
    """Mark a texter opted out because Twilio said so."""
    if not contact.opted_out:
        contact.opted_out, contact.opted_out_at = True, now
        log.info("contact opted out by Twilio contact=%s", contact.id)
