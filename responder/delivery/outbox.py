"""The outbox: messages written for the texter in the same transaction as their cause.

A row without a body is the approved WhatsApp template that invites the texter to
write again (TWILIO_WHATSAPP_TEMPLATE_SID); every other row has its text.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from responder.delivery.reasons import NOT_NEEDED
from responder.store import events
from responder.store.models import Conversation, Message


def enqueue(
    session: Session,
    conversation: Conversation,
    body: str,
    now: datetime,
    counsellor_id: int | None = None,
) -> Message:
    """Write a message for the worker to send, from the number the texter wrote to."""
    message = Message(
        conversation=conversation,
        direction="out",
        body=body,
        counsellor_id=counsellor_id,
        status="pending",
        sender=conversation.helpline_address,
        next_attempt_at=now,
        created_at=now,
        status_at=now,
    )
    session.add(message)
    events.record(session, "message", now, conversation, counsellor_id)
    return message


def enqueue_template(
    session: Session, conversation: Conversation, sender: str, now: datetime
) -> Message:
    """Write the WhatsApp template for the worker to send from sender, the held text's number."""
    message = Message(
        conversation=conversation,
        direction="out",
        body=None,
        status="pending",
        sender=sender,
        next_attempt_at=now,
        created_at=now,
        status_at=now,
    )
    session.add(message)
    events.record(session, "message", now, conversation)
    return message


def release_held(session: Session, contact_id: int, now: datetime) -> None:
    """Queue the texter's held WhatsApp texts again, in order, now that they wrote on WhatsApp.

    Texts are held when WhatsApp's 24-hour window has closed. A day of silence also
    ends the episode, so the held texts usually belong to the texter's previous
    conversation: look across all of theirs. A template still waiting to invite the
    texter back is no longer needed and is cancelled.
    """
    theirs = select(Conversation.id).where(Conversation.contact_id == contact_id)
    waiting = session.scalars(
        select(Message)
        .where(
            Message.conversation_id.in_(theirs),
            Message.direction == "out",
            or_(
                Message.status == "held",
                and_(Message.status == "pending", Message.body.is_(None)),
            ),
        )
        .order_by(Message.id)
    ).all()
    for message in waiting:
        if message.body is None:
            message.status, message.next_attempt_at = "canceled", None
            message.error_message = NOT_NEEDED
        else:
            message.status, message.next_attempt_at, message.attempts = "pending", now, 0
            message.twilio_sid = message.error_code = message.error_message = None
        message.status_at = now
    for changed in {message.conversation for message in waiting}:
        events.record(session, "delivery", now, changed)


def _awaiting_twilio(message: type[Message] = Message) -> ColumnElement[bool]:
    """Match messages Twilio has not taken yet: pending, or being handed over by a worker.

    The worker's own "sending" has no sid yet; Twilio's "sending" always has one.
    """
    return or_(
        message.status == "pending",
        and_(message.status == "sending", message.twilio_sid.is_(None)),
    )


def claim_next(session: Session, now: datetime) -> Message | None:
    """Lock and return the next message due for delivery, or None when nothing is due.

    Due means pending and its time has come, or "sending" past its lease (the
    worker that took it died, or never heard Twilio's answer). A text waits while an
    earlier text of its conversation is on its way to Twilio, so texts arrive in the
    order they were written; one behind a held text is claimed, to be held in turn.
    The template never waits, since it is what lets the held ones go.

    On PostgreSQL, SKIP LOCKED lets several workers share the outbox without ever
    taking the same row; on SQLite the transaction already holds the write lock.
    """
    earlier = aliased(Message)
    waits = exists().where(
        earlier.conversation_id == Message.conversation_id,
        earlier.direction == "out",
        earlier.id < Message.id,
        earlier.body.is_not(None),
        _awaiting_twilio(earlier),
    )
    return session.scalars(
        select(Message)
        .where(
            Message.direction == "out",
            _awaiting_twilio(),
            Message.next_attempt_at <= now,
            or_(Message.body.is_(None), ~waits),
        )
        .order_by(Message.next_attempt_at, Message.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()


def held_before(session: Session, message: Message) -> bool:
    """Is an earlier text of the same conversation held for WhatsApp's window?"""
    return bool(
        session.scalar(
            select(
                exists().where(
                    Message.conversation_id == message.conversation_id,
                    Message.direction == "out",
                    Message.id < message.id,
                    Message.status == "held",
                )
            )
        )
    )


def last_heard(session: Session, contact_id: int) -> datetime:
    """Return when the texter last wrote, in any of their conversations."""
    return session.scalars(
        select(func.max(Conversation.last_message_at)).where(Conversation.contact_id == contact_id)
    ).one()


def invited_since(session: Session, contact_id: int, since: datetime) -> bool:
    """Has the texter been sent (or is about to be sent) the template since that moment?"""
    theirs = select(Conversation.id).where(Conversation.contact_id == contact_id)
    return bool(
        session.scalar(
            select(
                exists().where(
                    Message.conversation_id.in_(theirs),
                    Message.direction == "out",
                    Message.body.is_(None),
                    Message.status.is_not(None),
                    Message.created_at >= since,
                )
            )
        )
    )


def backlog(session: Session) -> tuple[int, datetime | None]:
    """Count the messages waiting for Twilio (held ones aside) and say when the oldest was
    written; /healthz and /metrics both read it.
    """
    count, oldest = session.execute(
        select(func.count(Message.id), func.min(Message.created_at)).where(
            Message.direction == "out",
            _awaiting_twilio(),
        )
    ).one()
    return count, oldest
