"""The replies a message got, kept beside it so a redelivery is answered the same way."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from responder.store import counts, sealed
from responder.store.models import Contact, Conversation, Message


def store(
    session: Session,
    conversation: Conversation,
    message: Message,
    replies: tuple[str, ...],
    page: str | None,
    now: datetime,
) -> None:
    """Keep the TwiML replies, so a redelivery gets them again and the transcript shows them.

    Everything the message changed is written in this one flush, which also gives a
    new conversation the id the log line names.
    """
    if page is not None:
        counts.add(session, now, "pages", conversation=conversation, detail=page)
    for reply in replies:
        session.add(
            Message(
                conversation=conversation,
                direction="out",
                body=reply,
                in_reply_to=message,
                page=page,
                created_at=now,
            )
        )
    session.flush()


def given(session: Session, sid: str) -> tuple[str, ...] | None:
    """Return the replies given the first time a MessageSid arrived, or None if it is new."""
    first = session.scalars(select(Message.id).where(Message.twilio_sid == sid)).first()
    if first is None:
        return None
    rows = session.execute(
        select(Message.sealed_body, Contact.text_key)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .outerjoin(Contact, Contact.id == Conversation.contact_id)
        .where(Message.in_reply_to_id == first)
        .order_by(Message.id)
    )
    return tuple(sealed.opened(session, key, body) or "" for body, key in rows)
