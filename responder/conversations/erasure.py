"""A texter erasing themselves: DELETE, confirmed by DELETE again, removes all held about them.

The first DELETE only asks (receiving answers it with the confirmation question); the
second, within the window, erases. An anonymous receipt of the confirming message
stays for a while, so Twilio's redelivery of it gets the same answer and brings
nothing back.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from responder.bot.content import Content
from responder.bot.keywords import normalise_keyword
from responder.channels.transport import Inbound
from responder.delivery import deletions
from responder.store import counts, events, sealed
from responder.store.casework import WrapUp
from responder.store.models import Contact, Conversation, Erasure, Event, Message, Note
from responder.store.rows import ContactRow

log = logging.getLogger(__name__)

# How long a texter has to confirm DELETE.
CONFIRM_WINDOW = timedelta(minutes=10)


def confirms(contact: ContactRow, inbound: Inbound, now: datetime, content: Content) -> bool:
    """Is this the DELETE that confirms an erasure?

    A texter who opted out cannot see the confirmation question, so their DELETE is taken
    as meant; anyone else confirms with DELETE as the very next message.
    """
    if normalise_keyword(inbound.text) not in content.delete_words:
        return False
    asked = contact.erase_requested_at
    return contact.opted_out or (asked is not None and now - asked <= CONFIRM_WINDOW)


def erase(
    session: Session, contact: ContactRow, inbound: Inbound, now: datetime, content: Content
) -> tuple[str, ...]:
    """Delete the contact and everything held under them; keep only an anonymous receipt.

    Bulk deletes, not the ORM's cascade, so nothing is loaded just to be removed.
    Counts for statistics never held the number, so they are not touched.
    """
    language = (
        session.scalars(
            select(Conversation.language)
            .where(Conversation.contact_id == contact.id)
            .order_by(Conversation.id.desc())
        ).first()
        or content.default_language
    )
    conversations = select(Conversation.id).where(Conversation.contact_id == contact.id)
    # Twilio keeps its own copy of every message with a sid: the texter's, and those
    # sent through the outbox. TwiML replies have no sid we know, so they stay there.
    held_at_twilio = session.scalars(
        select(Message.twilio_sid).where(
            Message.conversation_id.in_(conversations), Message.twilio_sid.is_not(None)
        )
    ).all()
    deletions.queue_messages(session, [*held_at_twilio, inbound.message_sid], now)
    # Wrap-ups would go with their conversations by the foreign key's cascade; deleted
    # here too, so a database that does not enforce it still loses the summaries.
    for model in (Note, Event, Message, WrapUp):
        session.execute(delete(model).where(model.conversation_id.in_(conversations)))
    session.execute(delete(Conversation).where(Conversation.contact_id == contact.id))
    session.execute(delete(Contact).where(Contact.id == contact.id))
    sealed.forget(session)
    replied = "" if contact.opted_out else language
    session.add(Erasure(message_sid=inbound.message_sid, language=replied, created_at=now))
    events.record(session, "erased", now, None)
    counts.add(session, now, "erasures", country=contact.country, language=language)
    log.info("contact erased sid=%s", inbound.message_sid)
    return _reply(content, replied)


def redelivered(session: Session, sid: str, content: Content) -> tuple[str, ...] | None:
    """Return the answer to an erasing DELETE arriving again, or None if sid erased nothing."""
    erasure = session.get(Erasure, sid)
    return None if erasure is None else _reply(content, erasure.language)


def _reply(content: Content, language: str) -> tuple[str, ...]:
    return (content.language(language).messages["erased"],) if language else ()
