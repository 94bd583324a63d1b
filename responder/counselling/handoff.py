"""Counsellor commands: claim, reply, note, transfer, release and close, and their guards.

Functions take a Session and never commit: the API view commits once, so a state
change and the message it sends to the texter are written together or not at all.
What they return are the read models of views.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from responder.bot.content import Content
from responder.bot.language import MAIN
from responder.conversations.blocks import is_blocked
from responder.conversations.receiving import MAX_BODY
from responder.counselling import access, views, wrapup
from responder.counselling.views import CounsellorView, MessageView, NoteView
from responder.delivery import outbox
from responder.errors import Conflict, NotFound, NotPermitted, Rejected
from responder.staff import auth, presence
from responder.staff.auth import supervises
from responder.store import counts, events
from responder.store.models import Contact, Conversation, Counsellor, Note

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


@dataclass(frozen=True)
class ConversationState:
    """Where a conversation stands after a command: who has it, and how it was closed."""

    id: int
    state: str
    counsellor: str | None
    claimed_at: datetime | None
    closed_at: datetime | None
    category: str | None
    secondary: tuple[str, ...]
    survey_pending: bool


def claim(
    session: Session, conversation_id: int, counsellor: Counsellor, now: datetime
) -> ConversationState:
    """Give a waiting conversation to the counsellor; of simultaneous claims exactly one wins."""
    conversation = access.find(session, conversation_id)
    # Two claims by one counsellor at once would each count open conversations
    # before the other's claim lands and both pass the limit. Locking the
    # counsellor's row first makes the second claim count after the first commits.
    limit = session.execute(
        select(Counsellor.max_open).where(Counsellor.id == counsellor.id).with_for_update()
    ).scalar_one()
    if presence.open_count(session, counsellor.id) >= limit:
        raise Rejected(
            f"you already have {limit} open conversations, your limit", "at_limit", limit=limit
        )
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
            last_wait_seconds=None if queued_at is None else views.whole_seconds(now - queued_at),
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(conversation)
    if result.rowcount != 1:
        raise Conflict(
            f"the conversation is no longer waiting (it is {conversation.state})", "not_waiting"
        )
    events.record(session, "claimed", now, conversation, counsellor.id)
    waited = conversation.last_wait_seconds
    if waited is not None:
        counts.add(session, now, "waits", conversation=conversation)
        counts.add(session, now, "wait_seconds", conversation=conversation, amount=waited)
        detail = counts.wait_minutes(waited)
        counts.add(session, now, "wait_minutes", conversation=conversation, detail=detail)
    log.info("conversation claimed conversation=%s counsellor=%s", conversation.id, counsellor.id)
    return state_of(conversation)


def send_message(
    session: Session, conversation_id: int, counsellor: Counsellor, body: str, now: datetime
) -> MessageView:
    """Write the counsellor's message to the outbox, exactly as written."""
    conversation = locked(session, conversation_id)
    _require_own(conversation, counsellor)
    require_with_counsellor(conversation)
    _check_text("message", body, MAX_BODY)
    if conversation.contact.opted_out:
        raise Conflict(
            "the texter has opted out (STOP), so nothing can be sent to them", "opted_out"
        )
    message = outbox.enqueue(session, conversation, body, now, counsellor_id=counsellor.id)
    session.flush()
    log.info("counsellor message queued conversation=%s message=%s", conversation.id, message.id)
    return views.message_view(message, {counsellor.id: counsellor.username})


def add_note(
    session: Session, conversation_id: int, counsellor: Counsellor, body: str, now: datetime
) -> NoteView:
    """Keep a private note on a conversation the counsellor has, or had when it closed.

    A supervisor may write on anyone's: the counsellor sees it at once, the texter never.
    """
    conversation = access.find(session, conversation_id)
    _require_own_or_supervising(conversation, counsellor)
    _check_text("note", body, MAX_NOTE)
    note = Note(
        conversation_id=conversation.id, counsellor_id=counsellor.id, body=body, created_at=now
    )
    session.add(note)
    events.record(session, "note", now, conversation, counsellor.id)
    session.flush()
    return NoteView(note.id, counsellor.username, note.body, note.created_at)


def transfer(
    session: Session,
    conversation_id: int,
    actor: Counsellor,
    to: str,
    now: datetime,
    window: timedelta,
    note: str | None = None,
) -> ConversationState:
    """Hand a conversation to a counsellor who is there with room; the texter is not greeted again.

    The sender's note, if any, is kept as a private note, so the receiver reads why in
    the conversation itself.
    """
    conversation = locked(session, conversation_id)
    _require_own_or_supervising(conversation, actor)
    require_with_counsellor(conversation)
    if note is not None and note.strip():
        _check_text("note", note, MAX_NOTE)
    # Locked like a claim: the receiver's limit must hold against their own claims.
    receiver = session.scalars(
        select(Counsellor).where(Counsellor.username == to).with_for_update()
    ).first()
    if receiver is None:
        raise Rejected(f"no counsellor named {to!r}", "no_counsellor", name=to)
    if receiver.id == conversation.counsellor_id:
        raise Rejected(f"the conversation is already with {to}", "already_with", name=to)
    presence.require_room(session, receiver, now, window)
    giver = conversation.counsellor
    tell_holder(session, conversation, actor, f"transferred this conversation to {to}", now)
    if note is not None and note.strip():
        _note(session, conversation, actor, note, now)
    conversation.counsellor = receiver
    events.record(session, "transferred", now, conversation, actor.id)
    log.info(
        "conversation transferred conversation=%s from=%s to=%s by=%s",
        conversation.id,
        giver.id if giver else None,
        receiver.id,
        actor.id,
    )
    return state_of(conversation)


def release(
    session: Session, conversation_id: int, actor: Counsellor, now: datetime, content: Content
) -> ConversationState:
    """Hand the texter back to the menu, and tell them so."""
    conversation = locked(session, conversation_id)
    _require_own_or_supervising(conversation, actor)
    require_with_counsellor(conversation)
    tell_holder(session, conversation, actor, "released this conversation to the menu", now)
    conversation.state, conversation.counsellor = "menu", None
    conversation.page, conversation.history = MAIN, []
    conversation.queued_at = None
    events.record(session, "released", now, conversation, actor.id)
    if not conversation.contact.opted_out:
        text = content.language(conversation.language).messages["released"]
        outbox.enqueue(session, conversation, text, now)
    log.info("conversation released conversation=%s by=%s", conversation.id, actor.id)
    return state_of(conversation)


def close(
    session: Session,
    conversation_id: int,
    actor: Counsellor,
    category: str | None,
    secondary: Sequence[str],
    survey: bool,
    now: datetime,
    content: Content,
    filled: wrapup.Filled | None = None,
) -> ConversationState:
    """Close a conversation with its contact categories, optionally asking the survey question.

    With a wrap-up, the categories are the wrap-up's, which is kept and counted too; a
    non-counselling contact may then have none.
    """
    conversation = locked(session, conversation_id)
    _require_own_or_supervising(conversation, actor)
    require_with_counsellor(conversation)
    if filled is not None:
        category, secondary = filled.category, filled.secondary
    if category is None and filled is None:
        raise Rejected("a category is required", "category_required")
    if category is not None and category not in CATEGORIES:
        raise Rejected(
            f"unknown category {category!r}; use one of {', '.join(CATEGORIES)}",
            "unknown_category",
            category=category,
        )
    unknown = [tag for tag in secondary if tag not in CATEGORIES and tag not in LOCAL_TAGS]
    if unknown:
        raise Rejected(
            f"unknown secondary {', '.join(map(repr, unknown))}; use categories or "
            + ", ".join(LOCAL_TAGS),
            "unknown_secondary",
            secondary=", ".join(unknown),
        )
    tell_holder(session, conversation, actor, "closed this conversation", now)
    wrapup.mark_closed(session, conversation, actor, category, secondary, filled, now)
    if survey and survey_withheld(conversation.contact, now) is None:
        text = content.language(conversation.language).messages["survey_question"]
        outbox.enqueue(session, conversation, text, now)
        conversation.survey_pending = True
    log.info("conversation closed conversation=%s by=%s", conversation.id, actor.id)
    return state_of(conversation)


def survey_withheld(contact: Contact, now: datetime) -> str | None:
    """Why closing would not send the texter the survey: "opted_out", "blocked", or None.

    A texter who sent STOP gets nothing more; a blocked one hears nothing from the bot,
    which would not take their answer either. The close form's confirm step says the same.
    """
    if contact.opted_out:
        return "opted_out"
    return "blocked" if is_blocked(contact, now) else None


def set_availability(
    session: Session, counsellor: Counsellor, available: bool, now: datetime, window: timedelta
) -> CounsellorView:
    """Mark the counsellor available for new texters, or not."""
    if counsellor.available != available:
        counsellor.available = available
        events.record(session, "availability", now, None, counsellor.id)
    return views.counsellor_view(session, counsellor, now, window)


def sign_out(session: Session, counsellor: Counsellor, now: datetime) -> None:
    """Take a counsellor who signs out off duty, so texters are not promised them.

    Signing out is leaving: every session of theirs ends on the server too, so a copy
    of the cookie left in another browser no longer works.
    """
    if counsellor.available:
        events.record(session, "availability", now, None, counsellor.id)
    presence.signed_out(counsellor)
    auth.end_sessions(counsellor)


def locked(session: Session, conversation_id: int) -> Conversation:
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
        raise NotFound(f"no conversation {conversation_id}", "no_conversation", id=conversation_id)
    return conversation


def tell_holder(
    session: Session, conversation: Conversation, actor: Counsellor, did: str, now: datetime
) -> None:
    """Keep in the record, as a private note, what a supervisor did to someone else's conversation.

    The holder also sees it from the change feed, which names who acted; the note stays.
    """
    if conversation.counsellor_id in (None, actor.id):
        return
    _note(session, conversation, actor, f"{actor.username} ({actor.role}) {did}", now)


def _note(
    session: Session, conversation: Conversation, author: Counsellor, body: str, now: datetime
) -> None:
    session.add(
        Note(conversation_id=conversation.id, counsellor_id=author.id, body=body, created_at=now)
    )


def _require_own(conversation: Conversation, counsellor: Counsellor) -> None:
    if conversation.counsellor_id != counsellor.id:
        raise NotPermitted(
            "only the counsellor who has this conversation may do that", "counsellor_only"
        )


def _require_own_or_supervising(conversation: Conversation, actor: Counsellor) -> None:
    if conversation.counsellor_id != actor.id and not supervises(actor):
        raise NotPermitted(
            "only its counsellor or a supervisor may do that to this conversation",
            "counsellor_or_supervisor",
        )


def require_with_counsellor(conversation: Conversation) -> None:
    if conversation.state != "counsellor":
        raise Conflict(
            f"the conversation is {conversation.state}, not with a counsellor", "not_held"
        )


def _check_text(what: Literal["message", "note"], body: str, limit: int) -> None:
    # Only checked, never changed: what the counsellor wrote is what is sent.
    if not body.strip():
        raise Rejected(
            f"the {what} is empty", "empty_message" if what == "message" else "empty_note"
        )
    if len(body) > limit:
        raise Rejected(
            f"the {what} has {len(body)} characters; the most is {limit}",
            "long_message" if what == "message" else "long_note",
            length=len(body),
            most=limit,
        )


def state_of(conversation: Conversation) -> ConversationState:
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
