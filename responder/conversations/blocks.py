"""Blocking a sender: their messages are kept, but the bot stays silent and the queue shut.

Crisis words are the exception: they still get the crisis reply and a place at the
front of the queue (safeguarding.md section 4), which conversations.receive decides
before it asks whether the sender is blocked. A block with an end simply stops
counting once the end has passed, so nothing has to run to lift it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Exists, exists, select
from sqlalchemy.orm import Session

from responder.bot.language import MAIN
from responder.store import events
from responder.store.casework import ContactFlag
from responder.store.models import Contact, Conversation
from responder.store.rows import ContactRow

log = logging.getLogger(__name__)

# The lengths a counsellor may choose, in hours; None blocks until someone lifts it.
HOURS = (24, 168)
# The flag a supervisor puts on texters of a flood (counselling.floods): short of a
# block, they stay in the queue but are sent no "still in the queue" texts.
FLOOD = "flood"


def is_blocked(contact: Contact | ContactRow, now: datetime) -> bool:
    """Tell whether the contact is blocked at this moment."""
    if contact.blocked_at is None:
        return False
    return contact.blocked_until is None or contact.blocked_until > now


def block(session: Session, contact: Contact, hours: int | None, now: datetime) -> None:
    """Block the contact for some hours, or until lifted, and take them out of the queue."""
    # Locked like an inbound message locks it, so a message arriving meanwhile either
    # queues before the block (and is taken out below) or sees the block.
    session.refresh(contact, with_for_update=True)
    contact.blocked_at = now
    contact.blocked_until = None if hours is None else now + timedelta(hours=hours)
    # Locked and read afresh: a claim that lands first leaves the conversation with its
    # counsellor, and PostgreSQL then skips the row as no longer waiting.
    waiting = session.scalars(
        select(Conversation)
        .where(Conversation.contact_id == contact.id, Conversation.state == "waiting")
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).all()
    for conversation in waiting:
        # As if the texter had sent MENU, but without a word to them.
        conversation.state, conversation.queued_at = "menu", None
        conversation.page, conversation.history = MAIN, []
        events.record(session, "left_queue", now, conversation)
    log.info("contact blocked contact=%s hours=%s", contact.id, hours)


def unblock(session: Session, contact: Contact) -> None:
    """Lift the contact's block, whether or not it had already run out."""
    session.refresh(contact, with_for_update=True)
    contact.blocked_at = contact.blocked_until = None
    log.info("contact unblocked contact=%s", contact.id)


def flood_marked(now: datetime) -> Exists:
    """A condition on Conversation: its texter carries the flood flag at this moment."""
    return exists().where(
        ContactFlag.contact_id == Conversation.contact_id,
        ContactFlag.label == FLOOD,
        ContactFlag.expires_at > now,
    )
