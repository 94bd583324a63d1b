"""Moving the conversations of a counsellor who is leaving: back to the queue, or to a colleague.

Used when an admin deactivates an account that still holds conversations: nobody
could act on them otherwise. Each move is an event naming who made it and a private
note on the conversation, so the texter's record says why another person answers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from responder.bot.content import Content
from responder.delivery import outbox
from responder.store import events
from responder.store.models import Conversation, Counsellor, Note

log = logging.getLogger(__name__)


def held_by(session: Session, counsellor: Counsellor) -> Sequence[Conversation]:
    """Lock and return the conversations the counsellor has open, oldest claim first."""
    return session.scalars(
        select(Conversation)
        .where(Conversation.counsellor_id == counsellor.id, Conversation.state == "counsellor")
        .order_by(Conversation.claimed_at, Conversation.id)
        .with_for_update(key_share=True)
    ).all()


def to_queue(
    session: Session,
    conversation: Conversation,
    actor: Counsellor,
    why: str,
    now: datetime,
    content: Content,
) -> None:
    """Put a held conversation back in the queue, keeping its priority and crisis mark.

    It is queued as of now: the wait it shows is the wait for a new counsellor. The
    texter is told, unless they said STOP: otherwise the person they were talking to
    would simply fall silent, with no word that anyone still has them in mind.
    """
    conversation.state, conversation.counsellor = "waiting", None
    conversation.queued_at, conversation.wait_notices = now, 0
    _note(session, conversation, actor, f"moved this conversation back to the queue: {why}", now)
    events.record(session, "queued", now, conversation, actor.id)
    if conversation.contact is not None and not conversation.contact.opted_out:
        text = content.language(conversation.language).messages["requeued"]
        outbox.enqueue(session, conversation, text, now)
    log.info("conversation requeued conversation=%s by=%s", conversation.id, actor.id)


def to_counsellor(
    session: Session,
    conversation: Conversation,
    receiver: Counsellor,
    actor: Counsellor,
    why: str,
    now: datetime,
) -> None:
    """Hand a held conversation to another counsellor, whose room the caller has checked."""
    conversation.counsellor = receiver
    did = f"transferred this conversation to {receiver.username}: {why}"
    _note(session, conversation, actor, did, now)
    events.record(session, "transferred", now, conversation, actor.id)
    log.info(
        "conversation reassigned conversation=%s to=%s by=%s",
        conversation.id,
        receiver.id,
        actor.id,
    )


def _note(
    session: Session, conversation: Conversation, actor: Counsellor, did: str, now: datetime
) -> None:
    body = f"{actor.username} ({actor.role}) {did}"
    session.add(
        Note(conversation_id=conversation.id, counsellor_id=actor.id, body=body, created_at=now)
    )
