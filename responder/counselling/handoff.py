"""Counsellor use cases: the queue, claims, replies, notes, transfers, release and close.

Functions take a Session and never commit: the API view commits once, so a state
change and the message it sends to the texter are written together or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from responder.bot.content import Content
from responder.bot.language import MAIN
from responder.conversations import blocks, queue
from responder.conversations.receiving import MAX_BODY
from responder.delivery import outbox, sending
from responder.privacy.addresses import Keys, mask
from responder.staff.auth import supervises
from responder.store import counts, events
from responder.store.models import Contact, Conversation, Counsellor, Event, Message, Note

log = logging.getLogger(__name__)

# Contact categories, after Child Helpline International's classification as Aselo
# uses it (safeguarding.md section 8). Adults fall outside CHI's statistics and get
# their own bucket; an unknown age is kept apart rather than guessed.
CATEGORIES = (
    "violence/online_sexual_exploitation",
    "violence/online_sexual_abuse",
    "violence/information_seeking_ose",
    "mental_health/suicidal_thoughts",
    "mental_health/self_harm",
    "mental_health/emotional_distress",
    "non_counselling/questions",
    "non_counselling/thanks_or_complaint",
    "adult/sextortion",
    "adult/info",
    "adult/crisis",
    "adult/non_counselling",
    "age_unknown",
)
# Local tags, allowed beside categories as secondary labels (section 8's mapping).
LOCAL_TAGS = ("sextortion", "info", "third_party")
MAX_NOTE = 10_000
MEDIA_WITHHELD = "[media withheld]"


class HandoffError(Exception):
    """A counsellor action that cannot be done; the message says why."""


class NotFound(HandoffError):
    """There is no such conversation."""


class NotPermitted(HandoffError):
    """The conversation is not the counsellor's to act on."""


class Conflict(HandoffError):
    """The conversation is not in a state that allows the action, often after a race."""


class Rejected(HandoffError):
    """The request is well formed but its values cannot be accepted."""


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
class ConversationState:
    id: int
    state: str
    counsellor: str | None
    claimed_at: datetime | None
    closed_at: datetime | None
    category: str | None
    secondary: tuple[str, ...]
    survey_pending: bool


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
    category: str | None
    secondary: tuple[str, ...]
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
    max_open: int
    open_conversations: tuple[int, ...]


@dataclass(frozen=True)
class EventView:
    id: int
    kind: str
    conversation_id: int | None
    created_at: datetime


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
    items = tuple(
        QueueItem(
            id=row.id,
            priority=row.priority,
            crisis_at=row.crisis_at,
            position=ahead + index,
            queued_at=row.queued_at,
            waiting_seconds=_seconds(now - row.queued_at),
            channel=row.channel,
            country=row.country,
            language=row.language,
            # Decrypted only to be masked at once; an anonymised conversation has no number.
            masked_number=None
            if row.address_encrypted is None
            else mask(keys.decrypt(row.address_encrypted)),
            under_18=row.under_18,
        )
        for index, row in enumerate(page, 1)
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
        expected_wait_seconds=None if wait is None else _seconds(wait),
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
    return describe(session, visible(session, conversation_id, actor), keys, content, now)


def visible(session: Session, conversation_id: int, actor: Counsellor) -> Conversation:
    """Return the conversation if the counsellor may see it: theirs, waiting, or supervised."""
    conversation = _get(session, conversation_id)
    mine = conversation.counsellor_id == actor.id
    # A waiting conversation is open to every counsellor, to decide whether to claim it.
    if not (mine or conversation.state == "waiting" or supervises(actor)):
        raise NotPermitted("this conversation is with another counsellor")
    return conversation


def texter(conversation: Conversation) -> Contact:
    """Return the person behind a conversation; an anonymised one leads to nobody."""
    if conversation.contact is None:
        raise Conflict("the conversation is anonymised: it no longer leads to anyone")
    return conversation.contact


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
    names = _usernames(
        session, [m.counsellor_id for m in messages] + [n.counsellor_id for n in notes]
    )
    pages = content.language(conversation.language).pages
    state = _state(conversation)
    contact = conversation.contact
    blocked = contact is not None and blocks.is_blocked(contact, now)
    return ConversationView(
        id=state.id,
        state=state.state,
        counsellor=state.counsellor,
        channel=conversation.channel,
        masked_number=_masked_number(conversation, keys),
        country=_country(conversation),
        blocked=blocked,
        blocked_until=contact.blocked_until if blocked else None,
        under_18=_under_18(conversation),
        language=conversation.language,
        priority=conversation.priority,
        crisis_at=conversation.crisis_at,
        started_at=conversation.started_at,
        queued_at=conversation.queued_at,
        claimed_at=state.claimed_at,
        closed_at=state.closed_at,
        category=state.category,
        secondary=state.secondary,
        survey_pending=state.survey_pending,
        survey_answer=conversation.survey_answer,
        whatsapp_window_ends_at=_window_end(session, conversation),
        pages_read=tuple(
            PageRead(m.page, pages[m.page].title if m.page in pages else None)
            for m in messages
            if m.direction == "out" and m.page is not None and m.counsellor_id is None
        ),
        messages=tuple(_message_view(m, names) for m in messages),
        notes=tuple(NoteView(n.id, names[n.counsellor_id], n.body, n.created_at) for n in notes),
    )


def claim(
    session: Session, conversation_id: int, counsellor: Counsellor, now: datetime
) -> ConversationState:
    """Give a waiting conversation to the counsellor; of simultaneous claims exactly one wins."""
    conversation = _get(session, conversation_id)
    # Two claims by one counsellor at once would each count open conversations
    # before the other's claim lands and both pass the limit. Locking the
    # counsellor's row first makes the second claim count after the first commits.
    limit = session.execute(
        select(Counsellor.max_open).where(Counsellor.id == counsellor.id).with_for_update()
    ).scalar_one()
    if _open_count(session, counsellor.id) >= limit:
        raise Rejected(f"you already have {limit} open conversations, your limit")
    queued_at = conversation.queued_at
    # The claim is one conditional UPDATE: whichever claim reaches the row first
    # changes the state, and every other finds it no longer waiting and gets 0 rows.
    # queued_at is part of the condition so the wait recorded is the wait claimed,
    # even if the texter left and rejoined the queue since it was read.
    result = session.execute(
        update(Conversation)
        .where(
            Conversation.id == conversation.id,
            Conversation.state == "waiting",
            Conversation.queued_at.is_not_distinct_from(queued_at),
        )
        .values(
            state="counsellor",
            counsellor_id=counsellor.id,
            claimed_at=now,
            last_wait_seconds=None if queued_at is None else _seconds(now - queued_at),
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(conversation)
    if result.rowcount != 1:
        raise Conflict(f"the conversation is no longer waiting (it is {conversation.state})")
    events.record(session, "claimed", now, conversation)
    waited = conversation.last_wait_seconds
    if waited is not None:
        counts.add(session, now, "waits", conversation=conversation)
        counts.add(session, now, "wait_seconds", conversation=conversation, amount=waited)
    log.info("conversation claimed conversation=%s counsellor=%s", conversation.id, counsellor.id)
    return _state(conversation)


def send_message(
    session: Session, conversation_id: int, counsellor: Counsellor, body: str, now: datetime
) -> MessageView:
    """Write the counsellor's message to the outbox, exactly as written."""
    conversation = _locked(session, conversation_id)
    _require_own(conversation, counsellor)
    _require_with_counsellor(conversation)
    _check_text("message", body, MAX_BODY)
    if conversation.contact.opted_out:
        raise Conflict("the texter has opted out (STOP), so nothing can be sent to them")
    message = outbox.enqueue(session, conversation, body, now, counsellor_id=counsellor.id)
    session.flush()
    log.info("counsellor message queued conversation=%s message=%s", conversation.id, message.id)
    return _message_view(message, {counsellor.id: counsellor.username})


def add_note(
    session: Session, conversation_id: int, counsellor: Counsellor, body: str, now: datetime
) -> NoteView:
    """Keep a private note on a conversation the counsellor has, or had when it closed."""
    conversation = _get(session, conversation_id)
    _require_own(conversation, counsellor)
    _check_text("note", body, MAX_NOTE)
    note = Note(
        conversation_id=conversation.id, counsellor_id=counsellor.id, body=body, created_at=now
    )
    session.add(note)
    events.record(session, "note", now, conversation)
    session.flush()
    return NoteView(note.id, counsellor.username, note.body, note.created_at)


def transfer(
    session: Session, conversation_id: int, actor: Counsellor, to: str, now: datetime
) -> ConversationState:
    """Hand a conversation to another counsellor; the texter is not greeted again."""
    conversation = _locked(session, conversation_id)
    _require_own_or_supervising(conversation, actor)
    _require_with_counsellor(conversation)
    # Locked like a claim: the receiver's limit must hold against their own claims.
    receiver = session.scalars(
        select(Counsellor).where(Counsellor.username == to).with_for_update()
    ).first()
    if receiver is None:
        raise Rejected(f"no counsellor named {to!r}")
    if receiver.id == conversation.counsellor_id:
        raise Rejected(f"the conversation is already with {to}")
    if _open_count(session, receiver.id) >= receiver.max_open:
        raise Rejected(f"{to} already has {receiver.max_open} open conversations, their limit")
    giver = conversation.counsellor_id
    conversation.counsellor = receiver
    events.record(session, "transferred", now, conversation)
    log.info(
        "conversation transferred conversation=%s from=%s to=%s by=%s",
        conversation.id,
        giver,
        receiver.id,
        actor.id,
    )
    return _state(conversation)


def release(
    session: Session, conversation_id: int, actor: Counsellor, now: datetime, content: Content
) -> ConversationState:
    """Hand the texter back to the menu, and tell them so."""
    conversation = _locked(session, conversation_id)
    _require_own_or_supervising(conversation, actor)
    _require_with_counsellor(conversation)
    conversation.state, conversation.counsellor = "menu", None
    conversation.page, conversation.history = MAIN, []
    conversation.queued_at = None
    events.record(session, "released", now, conversation)
    if not conversation.contact.opted_out:
        text = content.language(conversation.language).messages["released"]
        outbox.enqueue(session, conversation, text, now)
    log.info("conversation released conversation=%s by=%s", conversation.id, actor.id)
    return _state(conversation)


def close(
    session: Session,
    conversation_id: int,
    actor: Counsellor,
    category: str,
    secondary: Sequence[str],
    survey: bool,
    now: datetime,
    content: Content,
) -> ConversationState:
    """Close a conversation with its contact categories, optionally asking the survey question."""
    conversation = _locked(session, conversation_id)
    _require_own_or_supervising(conversation, actor)
    _require_with_counsellor(conversation)
    if category not in CATEGORIES:
        raise Rejected(f"unknown category {category!r}; use one of {', '.join(CATEGORIES)}")
    unknown = [tag for tag in secondary if tag not in CATEGORIES and tag not in LOCAL_TAGS]
    if unknown:
        raise Rejected(
            f"unknown secondary {', '.join(map(repr, unknown))}; use categories or "
            + ", ".join(LOCAL_TAGS)
        )
    conversation.state, conversation.closed_at = "closed", now
    conversation.category = category
    conversation.secondary = list(dict.fromkeys(secondary))
    events.record(session, "closed", now, conversation)
    counts.add(session, now, "closed", conversation=conversation, detail=category)
    # A texter who sent STOP gets nothing more, not even the survey.
    if survey and not conversation.contact.opted_out:
        text = content.language(conversation.language).messages["survey_question"]
        outbox.enqueue(session, conversation, text, now)
        conversation.survey_pending = True
    log.info("conversation closed conversation=%s by=%s", conversation.id, actor.id)
    return _state(conversation)


def set_availability(
    session: Session, counsellor: Counsellor, available: bool, now: datetime
) -> CounsellorView:
    """Mark the counsellor available for new texters, or not."""
    if counsellor.available != available:
        counsellor.available = available
        events.record(session, "availability", now, None)
    return counsellor_view(session, counsellor)


def with_counsellors(session: Session, actor: Counsellor, keys: Keys) -> tuple[HeldItem, ...]:
    """List every conversation a counsellor has open, crisis first, then the longest held.

    Only supervisors and admins may: it is how they find a conversation to look in on
    or hand to someone else.
    """
    if not supervises(actor):
        raise NotPermitted("only supervisors and admins see every open conversation")
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


def counsellor_view(session: Session, counsellor: Counsellor) -> CounsellorView:
    """Describe a counsellor's account and the conversations they have open."""
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
        max_open=counsellor.max_open,
        open_conversations=tuple(open_ids),
    )


def events_after(session: Session, after: int, limit: int) -> tuple[EventView, ...]:
    """List the changes after an event id, oldest first."""
    rows = session.scalars(
        select(Event).where(Event.id > after).order_by(Event.id).limit(limit)
    ).all()
    return tuple(EventView(e.id, e.kind, e.conversation_id, e.created_at) for e in rows)


def _get(session: Session, conversation_id: int) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound(f"no conversation {conversation_id}")
    return conversation


def _locked(session: Session, conversation_id: int) -> Conversation:
    """Load a conversation and hold its row until commit, so actions on it happen one by one.

    FOR NO KEY UPDATE (key_share) still lets the texter's new messages and events be
    inserted beside it; only other changes to the conversation row wait.
    """
    conversation = session.scalars(
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).first()
    if conversation is None:
        raise NotFound(f"no conversation {conversation_id}")
    return conversation


def _require_own(conversation: Conversation, counsellor: Counsellor) -> None:
    if conversation.counsellor_id != counsellor.id:
        raise NotPermitted("only the counsellor who has this conversation may do that")


def _require_own_or_supervising(conversation: Conversation, actor: Counsellor) -> None:
    if conversation.counsellor_id != actor.id and not supervises(actor):
        raise NotPermitted("only its counsellor or a supervisor may do that to this conversation")


def _require_with_counsellor(conversation: Conversation) -> None:
    if conversation.state != "counsellor":
        raise Conflict(f"the conversation is {conversation.state}, not with a counsellor")


def _check_text(what: str, body: str, limit: int) -> None:
    # Only checked, never changed: what the counsellor wrote is what is sent.
    if not body.strip():
        raise Rejected(f"the {what} is empty")
    if len(body) > limit:
        raise Rejected(f"the {what} has {len(body)} characters; the most is {limit}")


def _open_count(session: Session, counsellor_id: int) -> int:
    return (
        session.scalar(
            select(func.count(Conversation.id)).where(
                Conversation.counsellor_id == counsellor_id, Conversation.state == "counsellor"
            )
        )
        or 0
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


def _under_18(conversation: Conversation) -> bool | None:
    return conversation.contact.under_18 if conversation.contact is not None else None


def _window_end(session: Session, conversation: Conversation) -> datetime | None:
    # Counted from the texter's latest message in any conversation, as delivery counts it.
    if conversation.channel != "whatsapp" or conversation.contact_id is None:
        return None
    return outbox.last_heard(session, conversation.contact_id) + sending.WHATSAPP_WINDOW


def _country(conversation: Conversation) -> str | None:
    return conversation.contact.country if conversation.contact is not None else None


def _usernames(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(Counsellor.id, Counsellor.username).where(Counsellor.id.in_(wanted))
    ).all()
    return {row.id: row.username for row in rows}


def _message_view(message: Message, names: dict[int, str]) -> MessageView:
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


def _state(conversation: Conversation) -> ConversationState:
    return ConversationState(
        id=conversation.id,
        state=conversation.state,
        counsellor=conversation.counsellor.username if conversation.counsellor else None,
        claimed_at=conversation.claimed_at,
        closed_at=conversation.closed_at,
        category=conversation.category,
        secondary=tuple(conversation.secondary or ()),
        survey_pending=conversation.survey_pending,
    )


def _seconds(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds()))
