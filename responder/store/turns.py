"""Timed jobs several workers share: whoever marks the job's row first runs it.

Each job has a Heartbeat row of its own name holding when it last ran.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from responder.store.models import Heartbeat


def take_turn(session: Session, name: str, now: datetime, due_after: datetime | None) -> bool:
    """Mark the job as run now if it last ran at or before due_after (None: always).

    Say whether this process should run it. The UPDATE holds the row's lock until the
    caller commits: a second worker's UPDATE waits, then sees the new time and finds
    nothing due.
    """
    touch = update(Heartbeat).where(Heartbeat.name == name).values(beat_at=now)
    if due_after is not None:
        touch = touch.where(Heartbeat.beat_at <= due_after)
    if session.execute(touch.execution_options(synchronize_session=False)).rowcount:  # type: ignore[attr-defined]
        return True
    if session.get(Heartbeat, name) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Heartbeat(name=name, beat_at=now))
    except IntegrityError:
        # Another process ran the job for the very first time at the same moment.
        return False
    return True
