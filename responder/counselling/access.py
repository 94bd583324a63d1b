"""Reaching a conversation as a counsellor: it exists, they may see it, it leads to a texter.

The read models and the commands both start here, so every way in asks the same.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from responder.errors import Conflict, NotFound, NotPermitted
from responder.staff.auth import supervises
from responder.store.models import Contact, Conversation, Counsellor


def find(session: Session, conversation_id: int) -> Conversation:
    """Return the conversation with this id; there must be one."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound(f"no conversation {conversation_id}", "no_conversation", id=conversation_id)
    return conversation


def visible(session: Session, conversation_id: int, actor: Counsellor) -> Conversation:
    """Return the conversation if the counsellor may see it: theirs, waiting, or supervised."""
    conversation = find(session, conversation_id)
    mine = conversation.counsellor_id == actor.id
    # A waiting conversation is open to every counsellor, to decide whether to claim it.
    if not (mine or conversation.state == "waiting" or supervises(actor)):
        raise NotPermitted("this conversation is with another counsellor", "with_another")
    return conversation


def texter(conversation: Conversation) -> Contact:
    """Return the person behind a conversation; an anonymised one leads to nobody."""
    if conversation.contact is None:
        raise Conflict("the conversation is anonymised: it no longer leads to anyone", "anonymised")
    return conversation.contact
