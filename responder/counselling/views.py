"""What counsellors see: the queue, a conversation, who holds what, and the change feed.

These are read models: frozen values built for showing, never for changing anything.
The commands in handoff answer with them too, so an action returns the same shapes
a page reads. Functions take a Session and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from responder.bot.content import Content
from responder.conversations import blocks, queue
from responder.counselling import access, flags, wrapup
from responder.delivery import outbox, sending
from responder.errors import NotPermitted
from responder.privacy.addresses import Keys, mask
from responder.staff import presence
from responder.staff.auth import supervises
from responder.store.casework import WrapUp
from responder.store.models import Contact, Conversation, Counsellor, Message, Note

MEDIA_WITHHELD = "[media withheld]"


@dataclass(frozen=True)
class QueueKey:
    """Where a conversation sits in the queue order; pages continue after one."""

    priority: int
    queued_at: datetime
    id: int


@dataclass(frozen=True)
class QueueItem:
    id: int
    priority: int
    crisis_at: datetime | None  # crisis words came in: take this one first
    position: int
    queued_at: datetime
    waiting_seconds: int
    channel: str
    country: str | None
    language: str
    masked_number: str | None
    under_18: bool | None  # the answer to the age question; None if not known
    flags: tuple[str, ...] = ()  # the labels of the texter's unexpired flags


@dataclass(frozen=True)
class QueuePage:
    items: tuple[QueueItem, ...]
    next_key: QueueKey | None
    total: int
    expected_wait_seconds: int | None


@dataclass(frozen=True)
class MessageView:
    id: int
    direction: str
    author: str  # "texter", "bot", or the counsellor's username
    body: str | None
    media_count: int
    created_at: datetime
    status: str | None  # None for messages that did not go through the outbox
    status_at: datetime | None
    error_code: int | None
    error_message: str | None


@dataclass(frozen=True)
class NoteView:
    id: int
    author: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class PageRead:
    id: str
    title: str | None  # None when the page has since been removed from the content


@dataclass(frozen=True)
class ConversationView:
    id: int
    state: str
    counsellor: str | None
    channel: str
    masked_number: str | None  # None once the conversation is anonymised
    country: str | None
    blocked: bool
    blocked_until: datetime | None  # None while blocked means until lifted
    under_18: bool | None  # the answer to the age question; None if not known
    language: str
    priority: int
    crisis_at: datetime | None
    started_at: datetime
    queued_at: datetime | None
    claimed_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None  # the counsellor or supervisor who closed it
    category: str | None
    secondary: tuple[str, ...]
    wrapup: wrapup.WrapUpView | None  # in words; None when closed without one
    survey_pending: bool
    survey_answer: str | None
    # When free-form WhatsApp replies stop reaching the texter; None on SMS or once anonymised.
    whatsapp_window_ends_at: datetime | None
    pages_read: tuple[PageRead, ...]
    messages: tuple[MessageView, ...]
    notes: tuple[NoteView, ...]


@dataclass(frozen=True)
class HeldItem:
    """A conversation with a counsellor, as supervisors see it beside the queue."""

    id: int
    counsellor: str | None
    claimed_at: datetime | None
    crisis_at: datetime | None
    channel: str
    masked_number: str | None


@dataclass(frozen=True)
class CounsellorView:
    id: int
    username: str
    role: str
    available: bool
    presence: str  # "available", "busy" (at the limit) or "away" (staff.presence)
    max_open: int
    open_conversations: tuple[int, ...]


def queue_page(
    session: Session, keys: Keys, now: datetime, limit: int, after: QueueKey | None
) -> QueuePage:
    """List waiting conversations in queue order, continuing after a key."""
    # Plain rows of only what a queue item shows, contacts joined in: a page of 200
    # built from full ORM objects took several times as long.
    query = (
        select(
            Conversation.id,
            Conversation.priority,
            Conversation.crisis_at,
            Conversation.queued_at,
            Conversation.channel,
            Conversation.language,
            Conversation.contact_id,
            Contact.address_encrypted,
            Contact.country,
            Contact.under_18,
        )
        .outerjoin(Contact, Conversation.contact_id == Contact.id)
        .where(Conversation.state == "waiting")
        .order_by(*queue.ORDER)
    )
    ahead = 0
    if after is not None:
        query = query.where(_after(after))
        ahead = session.scalar(
            select(func.count(Conversation.id)).where(
                Conversation.state == "waiting", ~_after(after)
            )
        )
    rows = session.execute(query.limit(limit + 1)).all()
    page = rows[:limit]
    labels = flags.labels(session, [row.contact_id for row in page], now)
    items = tuple(
        _queue_item(row, ahead + index, now, keys, labels) for index, row in enumerate(page, 1)
    )
    last = page[-1] if len(rows) > limit else None
    total = session.scalar(
        select(func.count(Conversation.id)).where(Conversation.state == "waiting")
    )
    wait = queue.expected_wait(session, now)
    return QueuePage(
        items=items,
        next_key=None if last is None else QueueKey(last.priority, last.queued_at, last.id),
        total=total or 0,
        expected_wait_seconds=None if wait is None else whole_seconds(wait),
    )


def conversation_view(
    session: Session,
    conversation_id: int,
    actor: Counsellor,
    keys: Keys,
    content: Content,
    now: datetime,
) -> ConversationView:
    """Show a conversation to a counsellor who may see it."""
    return describe(session, access.visible(session, conversation_id, actor), keys, content, now)


def describe(
    session: Session, conversation: Conversation, keys: Keys, content: Content, now: datetime
) -> ConversationView:
    """Describe a conversation: transcript, notes, pages read, never the number."""
    messages = session.scalars(
        select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id)
    ).all()
    notes = session.scalars(
        select(Note).where(Note.conversation_id == conversation.id).order_by(Note.id)
    ).all()
    names = usernames(
        session,
        [m.counsellor_id for m in messages]
        + [n.counsellor_id for n in notes]
        + [conversation.closed_by_id],
    )
    pages = content.language(conversation.language).pages
    contact = conversation.contact
    blocked = contact is not None and blocks.is_blocked(contact, now)
    return ConversationView(
        id=conversation.id,
        state=conversation.state,
        counsellor=conversation.counsellor.username if conversation.counsellor else None,
        channel=conversation.channel,
        masked_number=_masked_number(conversation, keys),
        country=contact.country if contact is not None else None,
        blocked=blocked,
        blocked_until=contact.blocked_until if blocked else None,
        under_18=contact.under_18 if contact is not None else None,
        language=conversation.language,
        priority=conversation.priority,
        crisis_at=conversation.crisis_at,
        started_at=conversation.started_at,
        queued_at=conversation.queued_at,
        claimed_at=conversation.claimed_at,
        closed_at=conversation.closed_at,
        closed_by=names.get(conversation.closed_by_id) if conversation.closed_by_id else None,
        category=conversation.category,
        secondary=tuple(conversation.secondary or ()),
        wrapup=wrapup.describe(session.get(WrapUp, conversation.id), content),
        survey_pending=conversation.survey_pending,
        survey_answer=conversation.survey_answer,
        whatsapp_window_ends_at=_window_end(session, conversation),
        pages_read=tuple(
            PageRead(m.page, pages[m.page].title if m.page in pages else None)
            for m in messages
            if m.direction == "out" and m.page is not None and m.counsellor_id is None
        ),
        messages=tuple(message_view(m, names) for m in messages),
        notes=tuple(NoteView(n.id, names[n.counsellor_id], n.body, n.created_at) for n in notes),
    )


def with_counsellors(session: Session, actor: Counsellor, keys: Keys) -> tuple[HeldItem, ...]:
    """List every conversation a counsellor has open, crisis first, then the longest held.

    Only supervisors and admins may: it is how they find a conversation to look in on
    or hand to someone else.
    """
    if not supervises(actor):
        raise NotPermitted(
            "only supervisors and admins see every open conversation", "held_supervisors"
        )
    rows = session.scalars(
        select(Conversation)
        .where(Conversation.state == "counsellor")
        .order_by(Conversation.crisis_at.is_(None), Conversation.claimed_at, Conversation.id)
        .options(selectinload(Conversation.contact), selectinload(Conversation.counsellor))
    ).all()
    return tuple(
        HeldItem(
            id=conversation.id,
            counsellor=conversation.counsellor.username if conversation.counsellor else None,
            claimed_at=conversation.claimed_at,
            crisis_at=conversation.crisis_at,
            channel=conversation.channel,
            masked_number=_masked_number(conversation, keys),
        )
        for conversation in rows
    )


def counsellor_view(
    session: Session, counsellor: Counsellor, now: datetime, window: timedelta
) -> CounsellorView:
    """Describe a counsellor's account, whether they are there, and what they have open."""
    open_ids = session.scalars(
        select(Conversation.id)
        .where(Conversation.counsellor_id == counsellor.id, Conversation.state == "counsellor")
        .order_by(Conversation.id)
    ).all()
    return CounsellorView(
        id=counsellor.id,
        username=counsellor.username,
        role=counsellor.role,
        available=counsellor.available,
        presence=presence.word(counsellor, len(open_ids), now, window),
        max_open=counsellor.max_open,
        open_conversations=tuple(open_ids),
    )


def message_view(message: Message, names: dict[int, str]) -> MessageView:
    """Show one message; names gives the username of each counsellor who wrote one."""
    if message.direction == "in":
        author = "texter"
    elif message.counsellor_id is not None:
        author = names[message.counsellor_id]
    else:
        author = "bot"
    body = message.body
    if message.media_count and not body:
        body = MEDIA_WITHHELD
    return MessageView(
        id=message.id,
        direction=message.direction,
        author=author,
        body=body,
        media_count=message.media_count,
        created_at=message.created_at,
        status=message.status,
        status_at=message.status_at,
        error_code=message.error_code,
        error_message=message.error_message,
    )


def whole_seconds(delta: timedelta) -> int:
    """Count a wait in whole seconds, never below zero."""
    return max(0, int(delta.total_seconds()))


def _queue_item(
    row: Row[Any], position: int, now: datetime, keys: Keys, labels: dict[int, tuple[str, ...]]
) -> QueueItem:
    return QueueItem(
        id=row.id,
        priority=row.priority,
        crisis_at=row.crisis_at,
        position=position,
        queued_at=row.queued_at,
        waiting_seconds=whole_seconds(now - row.queued_at),
        channel=row.channel,
        country=row.country,
        language=row.language,
        # Decrypted only to be masked at once; an anonymised conversation has no number.
        masked_number=None
        if row.address_encrypted is None
        else mask(keys.decrypt(row.address_encrypted)),
        under_18=row.under_18,
        flags=labels.get(row.contact_id, ()),
    )


def _after(key: QueueKey) -> ColumnElement[bool]:
    """Match conversations that come after the key in queue order."""
    return or_(
        Conversation.priority < key.priority,
        and_(Conversation.priority == key.priority, Conversation.queued_at > key.queued_at),
        and_(
            Conversation.priority == key.priority,
            Conversation.queued_at == key.queued_at,
            Conversation.id > key.id,
        ),
    )


def _masked_number(conversation: Conversation, keys: Keys) -> str | None:
    # Decrypted only to be masked at once: the full number never leaves this function.
    if conversation.contact is None:
        return None  # anonymised: there is no number any more
    return mask(keys.decrypt(conversation.contact.address_encrypted))


def _window_end(session: Session, conversation: Conversation) -> datetime | None:
    # Counted from the texter's latest message in any conversation, as delivery counts it.
    if conversation.channel != "whatsapp" or conversation.contact_id is None:
        return None
    return outbox.last_heard(session, conversation.contact_id) + sending.WHATSAPP_WINDOW


def usernames(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Map counsellor ids to usernames, in one query; None and repeats are skipped."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(Counsellor.id, Counsellor.username).where(Counsellor.id.in_(wanted))
    ).all()
    return {row.id: row.username for row in rows}
