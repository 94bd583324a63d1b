"""How many counsellors were there, hour by hour: what the heat map sets demand against.

Presence is a moment's fact (staff.presence), not something the counts keep. Once in
each hour of the clock the worker looks at who is present and adds that number, and
the one look, to the hour's counts; the statistics page divides the two for the
average. An hour the worker was stopped for has no look, and is left out rather than
counted as nobody there.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from responder.staff import presence
from responder.store import counts
from responder.store.models import Counsellor
from responder.store.turns import take_turn

HEARTBEAT = "presence_sample"


def sample_if_due(session: Session, now: datetime, window: timedelta) -> int | None:
    """Count the counsellors present, once per hour of the clock; None when not due."""
    hour_began = now.replace(minute=0, second=0, microsecond=0)
    if not take_turn(session, HEARTBEAT, now, hour_began - timedelta(microseconds=1)):
        return None
    present = (
        session.scalar(select(func.count(Counsellor.id)).where(*presence.here(now, window))) or 0
    )
    hour = counts.hour(now)
    counts.add(session, now, "hours_sampled", detail=hour)
    if present:
        counts.add(session, now, "present_hour", detail=hour, amount=present)
    return present
