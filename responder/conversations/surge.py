"""A surge: more texters joining the queue in a few minutes than a shift can answer.

It may be real (a news story, a school assembly) or a flood from many numbers; either
way supervisors should hear of it once, not once per texter. The queue is counted
from its own index (state, then when each texter joined), so the look is cheap enough
for the worker to take every second.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from responder.delivery import alerts
from responder.store import events
from responder.store.models import Conversation, Heartbeat
from responder.store.turns import take_turn

log = logging.getLogger(__name__)

# The Heartbeat row of this name holds when a surge was last seen going on.
TURN = "surge"


@dataclass(frozen=True)
class Limits:
    """How many texters joining within how long make a surge, and who hears of it."""

    conversations: int = 20
    window: timedelta = timedelta(minutes=5)
    oncall: bool = False  # an on-call number is set: the surge is texted to it too


def joined(session: Session, now: datetime, window: timedelta) -> int:
    """Count the texters still in the queue who joined it within the window."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.state == "waiting", Conversation.queued_at >= now - window)
        )
        or 0
    )


def report_if_new(session: Session, now: datetime, limits: Limits) -> bool:
    """Tell supervisors of a surge that has just begun; say whether this call told them.

    A surge is reported when it begins, then kept going quietly for as long as it is
    seen; one that ends and comes back after a whole window is a new surge.
    """
    if not limits.conversations:
        return False  # 0 turns the surge alert off
    count = joined(session, now, limits.window)
    if count < limits.conversations:
        return False
    if not take_turn(session, TURN, now, now - limits.window):
        # Still the same surge: it stays "going on" while it lasts.
        session.execute(update(Heartbeat).where(Heartbeat.name == TURN).values(beat_at=now))
        return False
    latest = session.scalars(
        select(Conversation)
        .where(Conversation.state == "waiting")
        .order_by(Conversation.queued_at.desc(), Conversation.id.desc())
        .limit(1)
    ).first()
    events.record(session, "surge", now, latest)
    if limits.oncall and latest is not None:
        alerts.queue(session, latest, now, alerts.SURGE)
    log.warning("surge count=%d minutes=%d", count, limits.window.total_seconds() // 60)
    return True
