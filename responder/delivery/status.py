"""A message's delivery status: Twilio's statuses in order, what its refusals mean,
and the changes made outside a send: held for WhatsApp's window, failed, and
Twilio's status callbacks, kept a few minutes when they come before the sid is stored.

Functions take a Session and never commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from responder.channels.transport import SendFailed, StatusUpdate
from responder.delivery import outbox
from responder.delivery.reasons import HELD, NO_TEMPLATE, REASONS, twilio_error
from responder.store import events
from responder.store.early_status import EarlyStatusCallback
from responder.store.models import Alert, Contact, Message

log = logging.getLogger(__name__)

OPTED_OUT = 21610
OUTSIDE_WINDOW = 63016
# Callbacks kept for sids no message has yet. Each is signed by Twilio, so a flood of
# them is unlikely, but the table stays small whatever comes: beyond this many, more
# are logged and dropped. Far above what a helpline's sends can have in flight.
EARLY_LIMIT = 10_000
# Twilio's error codes have five digits; a larger one would not fit the column.
MAX_CODE = 2**31 - 1

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
    """Apply a status callback; return False when the sid is not one of ours yet."""
    message = _outbound(session, update.sid)
    if message is None:
        _keep_early(session, update, now)
        return False
    _apply(session, message, update, now, template_sid)
    return True


def apply_early(session: Session, message: Message, now: datetime, template_sid: str | None) -> int:
    """Apply the callbacks kept for the sid just stored on message, in arrival order; count them.

    The caller holds the message's row lock, so a sweep by another worker finds the kept
    rows gone once it gets the lock in turn.
    """
    kept = session.scalars(
        select(EarlyStatusCallback)
        .where(EarlyStatusCallback.sid == message.twilio_sid)
        .order_by(EarlyStatusCallback.id)
    ).all()
    for row in kept:
        update = StatusUpdate(sid=row.sid, status=row.status, error_code=row.error_code)
        _apply(session, message, update, now, template_sid)
        session.delete(row)
    return len(kept)


def settle_early(
    session: Session, now: datetime, keep_for: timedelta, template_sid: str | None
) -> tuple[int, int]:
    """Apply kept callbacks whose sid is now a message's, then drop expired ones; count both.

    A callback can look for its sid just before a worker stores it and keep its row just
    after that worker looked for kept rows: neither sees the other's uncommitted write.
    Sweeping here, every round, finds such rows. Applying goes first, so a row is never
    dropped for age once its message is known, however long the round before took.
    Almost always nothing is kept: one look at the small table then ends the sweep.
    """
    if session.scalar(select(EarlyStatusCallback.id).limit(1)) is None:
        return 0, 0
    sids = session.scalars(
        select(EarlyStatusCallback.sid)
        .join(Message, Message.twilio_sid == EarlyStatusCallback.sid)
        .where(Message.direction == "out")
        .distinct()
    ).all()
    applied = 0
    for sid in sids:
        message = _outbound(session, sid)
        if message is not None:
            applied += apply_early(session, message, now, template_sid)
    expired = delete(EarlyStatusCallback).where(EarlyStatusCallback.received_at < now - keep_for)
    dropped: int = session.execute(expired).rowcount  # type: ignore[attr-defined]
    if applied or dropped:
        log.info("early status callbacks applied=%d dropped=%d", applied, dropped)
    return applied, dropped


def _outbound(session: Session, sid: str) -> Message | None:
    return session.scalars(
        select(Message)
        .where(Message.twilio_sid == sid, Message.direction == "out")
        .with_for_update()
    ).one_or_none()


def _keep_early(session: Session, update: StatusUpdate, now: datetime) -> None:
    """Keep a callback for a sid no message has, unless it can never apply or there are too many."""
    if update.status not in RANK:
        log.info("status for an unknown sid=%s status=%s", update.sid, update.status)
        return
    if _known(session, update.sid):
        # An inbound message's or an alert's: nothing of ours will ever take this news.
        return
    waiting = session.scalar(select(func.count()).select_from(EarlyStatusCallback))
    if waiting is not None and waiting >= EARLY_LIMIT:
        log.warning("status for an unknown sid=%s dropped: %d already kept", update.sid, waiting)
        return
    code = update.error_code
    session.add(
        EarlyStatusCallback(
            sid=update.sid,
            status=update.status,
            error_code=code if code is None or code <= MAX_CODE else None,
            received_at=now,
        )
    )
    log.info("status for an unknown sid=%s status=%s kept", update.sid, update.status)


def _known(session: Session, sid: str) -> bool:
    found = session.scalar(select(Message.id).where(Message.twilio_sid == sid))
    return (
        found is not None
        or session.scalar(select(Alert.id).where(Alert.twilio_sid == sid)) is not None
    )


def _apply(
    session: Session,
    message: Message,
    update: StatusUpdate,
    now: datetime,
    template_sid: str | None,
) -> None:
    """Move message forward by one status callback: its error code, then its status."""
    current = RANK.get(message.status or "")
    if current is None:
        # Held, queued again or simulated: this sid's news no longer applies.
        return
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
