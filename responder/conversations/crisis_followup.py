"""A crisis nobody has taken: write to the texter again and alert the on-call number again.

The crisis reply already gave the texter numbers to call. If no counsellor has claimed
the conversation a few minutes later, silence would read as being ignored at the worst
moment: the texter is written to once more, and the supervisors are told it is still
waiting, in the event feed and, when an on-call number is set, by text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from responder.bot.content import Content
from responder.delivery import alerts, outbox
from responder.store import events
from responder.store.models import Conversation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FollowUp:
    """When a crisis counts as left unclaimed, what the texter is told, and whether an
    on-call number is there to alert."""

    after: timedelta
    content: Content
    oncall: bool


def send_due(session: Session, now: datetime, followup: FollowUp) -> int:
    """Follow up every crisis left unclaimed for longer than followup.after; return how many."""
    after, content = followup.after, followup.content
    due = session.scalars(
        select(Conversation)
        .where(
            Conversation.state == "waiting",
            # Counted from the mark and from joining the queue: a conversation claimed
            # in time and queued again later gets its own few minutes.
            Conversation.crisis_at <= now - after,
            Conversation.queued_at <= now - after,
            Conversation.crisis_followup_at.is_(None),
        )
        .order_by(Conversation.crisis_at)
        .with_for_update(skip_locked=True)
    ).all()
    for conversation in due:
        conversation.crisis_followup_at = now
        contact = conversation.contact
        # A texter who opted out is sent nothing, as with the crisis reply itself; the
        # supervisors still hear of it.
        if contact is not None and not contact.opted_out:
            lang = content.language(conversation.language)
            turn_to = content.crisis_help(lang.code, contact.country, contact.under_18)
            outbox.enqueue(session, conversation, lang.crisis_followup(turn_to), now)
        events.record(session, "crisis_unclaimed", now, conversation)
        if followup.oncall:
            alerts.queue(session, conversation, now, alerts.UNCLAIMED)
    if due:
        log.warning("crises still unclaimed count=%d", len(due))
    return len(due)
