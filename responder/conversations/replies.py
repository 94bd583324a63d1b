"""The replies a message got, kept beside it so a redelivery is answered the same way."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from responder.channels.transport import Inbound
from responder.store import counts, rows, sealed
from responder.store.models import Contact, Conversation, Message
from responder.store.rows import ConversationRow

_MESSAGES = Message.__table__
_CONVERSATIONS, _CONTACTS = Conversation.__table__, Contact.__table__
# Built once, as every message runs them: the message and its replies, and the look for
# a MessageSid stored before and for the replies it got.
_INSERT = _MESSAGES.insert()
# The replies' ids are never read back: inline, so PostgreSQL is not asked to return them.
_INSERT_REPLIES = _MESSAGES.insert().inline()
_FIRST = select(_MESSAGES.c.id).where(_MESSAGES.c.twilio_sid == bindparam("sid"))
_GIVEN = (
    select(_MESSAGES.c.body, _CONTACTS.c.text_key)
    .join(_CONVERSATIONS, _CONVERSATIONS.c.id == _MESSAGES.c.conversation_id)
    .outerjoin(_CONTACTS, _CONTACTS.c.id == _CONVERSATIONS.c.contact_id)
    .where(_MESSAGES.c.in_reply_to_id == bindparam("first"))
    .order_by(_MESSAGES.c.id)
)


def store(
    session: Session,
    conversation: ConversationRow,
    inbound: Inbound,
    replies: tuple[str, ...],
    page: str | None,
    now: datetime,
) -> None:
    """Keep the message and its TwiML replies, so a redelivery gets them again and the
    transcript shows them, and tell the change feed.

    What the message changed is written first: the conversation and the contact, and the
    change feed's events in one statement with any the message led to (queued, crisis).
    That gives a new conversation its id. The message and its replies are then plain
    inserts: written through the ORM's unit of work, with one row pointing at the other,
    they cost several times the statements themselves, on every message answered.
    """
    conversation.record("message", now)
    if page is not None:
        counts.add(session, now, "pages", conversation=conversation, detail=page)
    # Sealed before the rows are saved: a contact from before sealing gets its key then.
    written = (inbound.text or None, *replies)
    texts = [sealed.sealed_for(session, conversation, text) for text in written]
    rows.save(session, conversation.contact)
    connection = session.connection()
    (message_id,) = connection.execute(
        _INSERT,
        {
            "conversation_id": conversation.id,
            "direction": "in",
            "twilio_sid": inbound.message_sid,
            "body": texts[0],
            "media_count": inbound.media_count,
            "created_at": now,
        },
    ).inserted_primary_key
    if replies:
        connection.execute(
            _INSERT_REPLIES,
            [
                {
                    "conversation_id": conversation.id,
                    "direction": "out",
                    "body": text,
                    "in_reply_to_id": message_id,
                    "page": page,
                    "created_at": now,
                }
                for text in texts[1:]
            ],
        )


def given(session: Session, sid: str) -> tuple[str, ...] | None:
    """Return the replies given the first time a MessageSid arrived, or None if it is new.

    Asked of every message, nearly always to find nothing: the statements are on the
    tables and go straight to the connection, with no ORM object to build.
    """
    connection = session.connection()
    first = connection.scalar(_FIRST, {"sid": sid})
    if first is None:
        return None
    rows = connection.execute(_GIVEN, {"first": first})
    return tuple(sealed.opened(session, key, body) or "" for body, key in rows)
