"""The outbox: messages written for the texter in the same transaction as their cause."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from responder import events
from responder.models import Conversation, Message


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
    events.record(session, "message", now, conversation)
    return message
