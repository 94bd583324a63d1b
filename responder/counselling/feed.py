"""The change feed's read model: what changed after a point, for live pages to refresh."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from responder.store.models import Counsellor, Event


@dataclass(frozen=True)
class EventView:
    id: int
    kind: str
    conversation_id: int | None
    created_at: datetime
    actor: str | None  # the username of the counsellor who made the change, if one did


def events_after(session: Session, after: int, limit: int) -> tuple[EventView, ...]:
    """List the changes after an event id, oldest first."""
    rows = session.execute(
        select(Event.id, Event.kind, Event.conversation_id, Event.created_at, Counsellor.username)
        .outerjoin(Counsellor, Event.actor_id == Counsellor.id)
        .where(Event.id > after)
        .order_by(Event.id)
        .limit(limit)
    ).all()
    return tuple(EventView(*row) for row in rows)
