"""A counsellor's caseload: the conversations they hold, and what the texter wrote unread.

"Read" is kept on the server, one ReadMark per counsellor and conversation, rather than
in the browser's storage. A counsellor on shift reloads pages, keeps the queue in one
tab and conversations in others, and may move to another computer; a mark kept in one
browser would count the same messages unread again in each of them. On the server it
is one fact for every tab, and it costs one small row per conversation opened.

Only the texter's messages count: the counsellor's own replies and the bot's are never
news to them.

The list also says who has waited longest for an answer: from the texter's oldest
message that no counsellor has answered since. A texter who wrote three times in a row
has waited since the first of the three, not the last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, and_, case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from responder.counselling import flags
from responder.store import sealed
from responder.store.casework import ReadMark
from responder.store.models import Contact, Conversation, Counsellor, Message

# About the first line's worth of the texter's last message, for the list of conversations.
PREVIEW_LENGTH = 40
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class HeldConversation:
    """A conversation the counsellor holds, as the console's list of theirs shows it."""

    id: int
    channel: str
    priority: int
    crisis_at: datetime | None
    unread: int  # texter messages the counsellor has not read
    crisis_unread: bool  # the crisis words came in a message the counsellor has not read
    last_message_preview: str | None  # the first words of the texter's last message
    last_message_at: datetime | None  # when the texter last wrote; None if they never did
    waiting_since: datetime | None  # the texter's oldest message no counsellor has answered
    flags: tuple[str, ...] = ()  # the labels of the texter's unexpired flags


@dataclass(frozen=True)
class TexterLast:
    """The texter's last message in a conversation, and since when they wait for an answer."""

    body: str | None  # None once retention has deleted the text
    media_count: int
    created_at: datetime
    waiting_since: datetime | None


@dataclass(frozen=True)
class ReadMarkView:
    conversation_id: int
    up_to: int  # the last message read, or 0 for none
    unread: int


def held(session: Session, counsellor: Counsellor, now: datetime) -> tuple[HeldConversation, ...]:
    """List the conversations the counsellor holds: crisis first, then the longest waiting.

    A conversation where the texter is not waiting for an answer comes after those where
    one is. Three queries, whatever the number of conversations.
    """
    rows = _counts(session, counsellor)
    latest = last_from_texter(session, [row.id for row in rows])
    labels = flags.labels(session, [row.contact_id for row in rows], now)
    conversations = [_held(row, latest.get(row.id), labels.get(row.contact_id, ())) for row in rows]
    # Stable: conversations waiting as long keep the claim order of the first query.
    conversations.sort(
        key=lambda c: (c.crisis_at is None, c.waiting_since is None, c.waiting_since or _EPOCH)
    )
    return tuple(conversations)


def _counts(session: Session, counsellor: Counsellor) -> Sequence[Row[Any]]:
    """The held conversations with their unread counts, in the order they were claimed."""
    unread = and_(
        Message.conversation_id == Conversation.id,
        Message.direction == "in",
        Message.id > func.coalesce(ReadMark.up_to, 0),
    )
    return session.execute(
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
        .order_by(Conversation.claimed_at, Conversation.id)
    ).all()


def last_from_texter(session: Session, ids: list[int]) -> dict[int, TexterLast]:
    """Per conversation: the texter's last message and since when they wait for an answer."""
    if not ids:
        return {}
    answered = (
        select(Message.conversation_id, func.max(Message.id).label("up_to"))
        .where(Message.conversation_id.in_(ids), Message.counsellor_id.is_not(None))
        .group_by(Message.conversation_id)
        .subquery()
    )
    texter = (
        select(
            Message.conversation_id,
            func.max(Message.id).label("last_id"),
            func.min(
                case(
                    (Message.id > func.coalesce(answered.c.up_to, 0), Message.created_at),
                    else_=None,
                )
            ).label("waiting_since"),
        )
        .outerjoin(answered, answered.c.conversation_id == Message.conversation_id)
        .where(Message.conversation_id.in_(ids), Message.direction == "in")
        .group_by(Message.conversation_id)
        .subquery()
    )
    rows = session.execute(
        select(
            texter.c.conversation_id,
            texter.c.waiting_since,
            Message.sealed_body,
            Message.media_count,
            Message.created_at,
            Contact.text_key,
        )
        .join(Message, Message.id == texter.c.last_id)
        .join(Conversation, Conversation.id == texter.c.conversation_id)
        .outerjoin(Contact, Contact.id == Conversation.contact_id)
    ).all()
    return {
        row.conversation_id: TexterLast(
            sealed.opened(session, row.text_key, row.sealed_body),
            row.media_count,
            row.created_at,
            row.waiting_since,
        )
        for row in rows
    }


def _held(row: Row[Any], latest: TexterLast | None, labels: tuple[str, ...]) -> HeldConversation:
    return HeldConversation(
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
        last_message_preview=None if latest is None else preview(latest.body, latest.media_count),
        last_message_at=None if latest is None else latest.created_at,
        waiting_since=None if latest is None else aware(latest.waiting_since),
        flags=labels,
    )


def preview(body: str | None, media_count: int) -> str | None:
    """The first words of a message on one line, cut at a word near PREVIEW_LENGTH."""
    if body is None:
        return None  # erased after the retention period
    text = " ".join(body.split())
    if not text:
        return "[media withheld]" if media_count else ""
    if len(text) <= PREVIEW_LENGTH:
        return text
    # One character more, to know whether the cut falls between two words.
    cut = text[: PREVIEW_LENGTH + 1]
    space = cut.rfind(" ")
    words = cut[:space] if space > PREVIEW_LENGTH // 2 else cut[:PREVIEW_LENGTH]
    return words.rstrip() + "\u2026"


def aware(moment: datetime | None) -> datetime | None:
    # An aggregate over a column loses its type on SQLite, which then answers a naive
    # time or even text; the column's values are always UTC.
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
