"""The survey question after a counsellor closes: a score from 1 to 5, or a new conversation."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from responder.bot.content import Content
from responder.bot.keywords import normalise_keyword
from responder.channels.transport import Inbound
from responder.conversations import replies
from responder.store import counts
from responder.store.rows import ConversationRow

log = logging.getLogger(__name__)


def score(text: str) -> int | None:
    """Read a 1-5 answer; anything else is a new message, not an answer."""
    word = normalise_keyword(text)
    return int(word) if word in {"1", "2", "3", "4", "5"} else None


def answer(
    session: Session,
    conversation: ConversationRow,
    inbound: Inbound,
    now: datetime,
    content: Content,
) -> tuple[str, ...]:
    """Keep the score on the closed conversation and thank the texter."""
    conversation.survey_pending = False
    conversation.survey_answer = str(score(inbound.text))
    counts.add(session, now, "survey", conversation=conversation, detail=conversation.survey_answer)
    thanks = (content.language(conversation.language).messages["survey_thanks"],)
    replies.store(session, conversation, inbound, thanks, None, now)
    log.info("survey answered conversation=%s", conversation.id)
    return thanks
