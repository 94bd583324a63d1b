"""The helpline as it stands this moment, for monitoring: queue, outbox, worker, crises.

Read only when a monitor asks (GET /metrics), never per message. Every figure is a
count or an age; none leads to a texter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from responder.delivery import outbox
from responder.store.models import Conversation, DailyCount, Heartbeat, Message

FAILED = ("failed", "undelivered")


@dataclass(frozen=True)
class Waiting:
    """The texters in the queue at one priority."""

    priority: int
    count: int
    oldest_wait_seconds: float


@dataclass(frozen=True)
class Readings:
    waiting: list[Waiting]
    outbox_backlog: int
    outbox_oldest_seconds: float | None  # None: nothing waits for Twilio
    heartbeat_age_seconds: float | None  # None: no worker has ever run
    crisis_marks_today: int
    # Outbound messages stored as failed or undelivered, by Twilio's error code: refusals
    # the worker met when sending as well as those status callbacks reported.
    failed_by_code: dict[int, int]


def read(session: Session, now: datetime, heartbeat: str) -> Readings:
    """Take the readings; heartbeat names the worker's row in the heartbeats table."""
    rows = session.execute(
        select(Conversation.priority, func.count(Conversation.id), func.min(Conversation.queued_at))
        .where(Conversation.state == "waiting")
        .group_by(Conversation.priority)
        .order_by(Conversation.priority.desc())
    ).all()
    waiting = [
        Waiting(priority, count, _age(now, oldest) if oldest else 0.0)
        for priority, count, oldest in rows
    ]
    backlog, oldest_unsent = outbox.backlog(session)
    beat = session.scalar(select(Heartbeat.beat_at).where(Heartbeat.name == heartbeat))
    # The day's anonymous counts already hold each conversation's first crisis mark,
    # in a table small enough to read at every scrape.
    crises = session.scalar(
        select(func.coalesce(func.sum(DailyCount.count), 0)).where(
            DailyCount.day == now.astimezone(UTC).date(), DailyCount.metric == "crisis"
        )
    )
    # Read off the outbox index, whose first column is the status: only failures are read.
    failed = session.execute(
        select(Message.error_code, func.count(Message.id))
        .where(Message.status.in_(FAILED), Message.error_code.is_not(None))
        .group_by(Message.error_code)
    ).all()
    return Readings(
        waiting=waiting,
        outbox_backlog=backlog,
        outbox_oldest_seconds=_age(now, oldest_unsent) if oldest_unsent else None,
        heartbeat_age_seconds=_age(now, beat) if beat else None,
        crisis_marks_today=int(crises or 0),
        failed_by_code={int(code): count for code, count in failed},
    )


def _age(now: datetime, then: datetime) -> float:
    # A clock a little ahead on another machine must not give a negative age.
    return max(0.0, (now - then).total_seconds())
