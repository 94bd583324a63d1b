"""A supervisor stepping in on a counsellor's conversation and holding it themselves."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from responder.counselling import handoff
from responder.counselling.handoff import ConversationState
from responder.errors import NotPermitted, Rejected
from responder.staff import audit
from responder.staff.auth import supervises
from responder.store import events
from responder.store.models import Counsellor

log = logging.getLogger(__name__)


def take_over(
    session: Session, conversation_id: int, supervisor: Counsellor, now: datetime
) -> ConversationState:
    """A supervisor steps in and holds a counsellor's conversation; the counsellor is told.

    Unlike a transfer, neither the supervisor's switch nor their limit stands in the way:
    stepping in on a conversation going badly cannot wait for room. The texter is not
    told: the same helpline goes on answering.
    """
    if not supervises(supervisor):
        raise NotPermitted(
            "only supervisors and admins may take a conversation over", "take_over_supervisors"
        )
    conversation = handoff.locked(session, conversation_id)
    handoff.require_with_counsellor(conversation)
    if conversation.counsellor_id == supervisor.id:
        raise Rejected(
            f"the conversation is already with {supervisor.username}",
            "already_with",
            name=supervisor.username,
        )
    giver = conversation.counsellor
    handoff.tell_holder(session, conversation, supervisor, "took this conversation over", now)
    conversation.counsellor = supervisor
    events.record(session, "transferred", now, conversation, supervisor.id)
    # Recorded here, not by each caller: the API and the console step in alike.
    holder = giver.username if giver else None
    audit.record(session, supervisor, "take_over", conversation.id, now, **{"from": holder})
    log.info(
        "conversation taken over conversation=%s from=%s by=%s",
        conversation.id,
        giver.id if giver else None,
        supervisor.id,
    )
    return handoff.state_of(conversation)
