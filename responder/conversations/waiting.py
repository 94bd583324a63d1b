"""A texter asking for a person: joining the queue, leaving it, and whether anyone can answer.

The answer is honest: a texter is told when nobody is free or the service is closed,
and when it opens again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from responder.bot.language import MAIN, Language
from responder.conversations import queue
from responder.conversations.hours import Hours
from responder.staff import presence
from responder.store import counts
from responder.store.rows import ConversationRow

log = logging.getLogger(__name__)

# Queue priorities, higher first: crisis words, then sextortion pressure (a deadline,
# images already sent), then a texter who said they are under 18.
CRISIS_PRIORITY, ESCALATED_PRIORITY, UNDER_18_PRIORITY = 100, 20, 10


def availability(
    session: Session, now: datetime, hours: Hours | None, presence_window: timedelta
) -> tuple[bool, tuple[int, str] | None]:
    """Say whether a person can answer now and, when not, when the service next opens.

    A person can answer when someone is there (available, and their console seen within
    the presence window) with room for one more: a switch left on by a counsellor who
    went home, or one at their limit, must not promise the texter a reply.
    """
    if (hours is None or hours.is_open(now)) and presence.someone_free(
        session, now, presence_window
    ):
        return True, None
    opening = hours.next_opening(now) if hours else None
    return False, (hours.local(opening) if hours and opening else None)


def request_person(
    session: Session,
    conversation: ConversationRow,
    now: datetime,
    lang: Language,
    emergency: str,
    hours: Hours | None,
    queue_when_closed: bool,
    presence_window: timedelta,
) -> str:
    """Put the texter in the queue if anyone can answer, and say honestly what happens,
    with their emergency number for danger meanwhile."""
    open_now, opens = availability(session, now, hours, presence_window)
    if open_now or queue_when_closed:
        conversation.state, conversation.queued_at, conversation.wait_notices = "waiting", now, 0
        if conversation.contact.under_18:
            conversation.priority = max(conversation.priority, UNDER_18_PRIORITY)
        conversation.record("queued", now)
        counts.add(session, now, "handoffs", conversation=conversation)
        log.info("texter queued conversation=%s open=%s", conversation.id, open_now)
    if open_now:
        wait = queue.expected_wait(session, now)
        minutes = None if wait is None else queue.wait_minutes(wait)
        return lang.queued(queue.position(session, conversation), minutes, emergency)
    return lang.nobody_free(opens, conversation.state == "waiting", emergency)


def leave_queue(session: Session, conversation: ConversationRow, now: datetime) -> None:
    """Take the texter out of the queue and back to the main menu, at their word."""
    conversation.state, conversation.queued_at = "menu", None
    conversation.page, conversation.history = MAIN, []
    conversation.record("left_queue", now)
    counts.add(session, now, "left_queue", conversation=conversation)
