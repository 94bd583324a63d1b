"""A counsellor's caseload: the conversations they hold, and what the texter wrote unread.

"Read" is kept on the server, one ReadMark per counsellor and conversation, rather than
in the browser's storage. A counsellor on shift reloads pages, keeps the queue in one
tab and conversations in others, and may move to another computer; a mark kept in one
browser would count the same messages unread again in each of them. On the server it
is one fact for every tab, and it costs one small row per conversation opened.

Only the texter's messages count: the counsellor's own replies and the bot's are never
news to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from responder.counselling import flags
from responder.store.casework import ReadMark
from responder.store.models import Conversation, Counsellor, Message


@dataclass(frozen=True)
class HeldConversation:
    """A conversation the counsellor holds, as the console's list of theirs shows it."""

    id: int
    channel: str
    priority: int
    crisis_at: datetime | None
    unread: int  # texter messages the counsellor has not read
    crisis_unread: bool  # the crisis words came in a message the counsellor has not read
    flags: tuple[str, ...] = ()  # the labels of the texter's unexpired flags


@dataclass(frozen=True)
class ReadMarkView:
    conversation_id: int
    up_to: int  # the last message read, or 0 for none
    unread: int


def held(session: Session, counsellor: Counsellor, now: datetime) -> tuple[HeldConversation, ...]:
    """List the conversations the counsellor holds, crisis first, with their unread counts."""
    unread = and_(
        Message.conversation_id == Conversation.id,
        Message.direction == "in",
        Message.id > func.coalesce(ReadMark.up_to, 0),
    )
    rows = session.execute(
        select(
            Conversation.id,
            Conversation.channel,
            Conversation.priority,
            Conversation.crisis_at,
            Conversation.contact_id,
            func.count(Message.id).label("unread"),
            func.min(Message.created_at).label("oldest_unread"),
        )
        .outerjoin(
            ReadMark,
            and_(
                ReadMark.conversation_id == Conversation.id, ReadMark.counsellor_id == counsellor.id
            ),
        )
        .outerjoin(Message, unread)
        .where(Conversation.counsellor_id == counsellor.id, Conversation.state == "counsellor")
        .group_by(
            Conversation.id,
            Conversation.channel,
            Conversation.priority,
            Conversation.crisis_at,
            Conversation.claimed_at,
            Conversation.contact_id,
        )
        .order_by(Conversation.crisis_at.is_(None), Conversation.claimed_at, Conversation.id)
    ).all()
    labels = flags.labels(session, [row.contact_id for row in rows], now)
    return tuple(
        HeldConversation(
            id=row.id,
            channel=row.channel,
            priority=row.priority,
            crisis_at=row.crisis_at,
            unread=row.unread,
            # Crisis words set the mark at the time of the message that held them. Unread
            # messages are the latest ones, so that message is unread exactly when the
            # oldest unread one is no newer than the mark.
            crisis_unread=row.crisis_at is not None
            and row.oldest_unread is not None
            and row.oldest_unread <= row.crisis_at,
            flags=labels.get(row.contact_id, ()),
        )
        for row in rows
    )


def mark_read(
    session: Session, counsellor: Counsellor, conversation_id: int, up_to: int
) -> ReadMarkView:
    """Mark the conversation read up to a message; a mark never moves back.

    A mark past the conversation's latest message stops at it, so messages still to
    come are never read in advance.
    """
    latest = (
        session.scalar(
            select(func.max(Message.id)).where(Message.conversation_id == conversation_id)
        )
        or 0
    )
    values = {
        "conversation_id": conversation_id,
        "counsellor_id": counsellor.id,
        "up_to": min(up_to, latest),
    }
    # Two tabs may mark the same conversation at once: the database keeps the larger
    # mark instead of one request failing on the key.
    session.execute(_UPSERT[session.get_bind().dialect.name], values)
    stored = session.execute(
        select(ReadMark.up_to).where(
            ReadMark.conversation_id == conversation_id, ReadMark.counsellor_id == counsellor.id
        )
    ).scalar_one()
    unread = session.scalar(
        select(func.count(Message.id)).where(
            Message.conversation_id == conversation_id,
            Message.direction == "in",
            Message.id > stored,
        )
    )
    return ReadMarkView(conversation_id, stored, unread or 0)


def _upsert(dialect: Any, larger: Any) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE keeping the larger mark, values bound at execution."""
    insert = dialect.insert(ReadMark)
    return insert.on_conflict_do_update(
        index_elements=["conversation_id", "counsellor_id"],
        set_={"up_to": larger(ReadMark.up_to, insert.excluded.up_to)},
    )


# SQLite's max() of two arguments is PostgreSQL's greatest().
_UPSERT = {
    "postgresql": _upsert(postgresql, func.greatest),
    "sqlite": _upsert(sqlite, func.max),
}
