"""Who is really there: available, seen by an open console page lately, and still active.

The availability switch alone outlives a closed laptop or an expired session, so it
cannot be what texters are told. An open console page refreshes last_seen_at as it
is used and as it follows the change feed; once it stops, the counsellor is away
after the presence window, whatever the switch says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BindParameter, ColumnElement, bindparam, func, select
from sqlalchemy.orm import Session

from responder.errors import Conflict, Rejected
from responder.store.models import Conversation, Counsellor

AVAILABLE, BUSY, AWAY = "available", "busy", "away"
WORDS = (AVAILABLE, BUSY, AWAY)
# The change feed is polled about once a second by every open page: writing the time
# on each poll would turn reads into a stream of row updates for nothing. Presence is
# judged over minutes, so a time at most this old is as good as a fresh one.
REFRESH_EVERY = timedelta(seconds=25)


@dataclass(frozen=True)
class Present:
    """A counsellor who is there and can take more: a choice for a transfer."""

    username: str
    role: str
    open_conversations: int
    max_open: int


def seen(counsellor: Counsellor, now: datetime) -> bool:
    """Note that the counsellor's console is open; True when the time was written."""
    last = counsellor.last_seen_at
    if last is not None and timedelta(0) <= now - last < REFRESH_EVERY:
        return False
    counsellor.last_seen_at = now
    return True


def signed_out(counsellor: Counsellor) -> None:
    """Take the counsellor off duty at once: signing out is leaving, not pausing."""
    counsellor.available = False
    counsellor.last_seen_at = None


def is_here(counsellor: Counsellor, now: datetime, window: timedelta) -> bool:
    """Tell whether the counsellor is available, active and seen within the window."""
    last = counsellor.last_seen_at
    return counsellor.available and counsellor.active and last is not None and now - last < window


def word(counsellor: Counsellor, open_conversations: int, now: datetime, window: timedelta) -> str:
    """Say where the counsellor stands: "available", "busy" (at their limit) or "away"."""
    if not is_here(counsellor, now, window):
        return AWAY
    return BUSY if open_conversations >= counsellor.max_open else AVAILABLE


def someone_free(session: Session, now: datetime, window: timedelta) -> bool:
    """Tell whether anyone present has room for one more texter, in one statement.

    Every texter asking for a person runs this, so it stays one query however many
    counsellors there are.
    """
    # Through the session, not its connection: a console page that has just marked its
    # counsellor seen must count them, so their unsaved change is flushed first.
    return session.scalar(_SOMEONE_FREE, {"seen_since": now - window}) is not None


def with_room(
    session: Session, now: datetime, window: timedelta, leaving_out: int | None = None
) -> tuple[Present, ...]:
    """List the counsellors present with room for one more, by name."""
    load = open_load()
    query = (
        select(Counsellor.username, Counsellor.role, load.label("load"), Counsellor.max_open)
        .where(*_present_with_room(now - window))
        .order_by(Counsellor.username)
    )
    if leaving_out is not None:
        query = query.where(Counsellor.id != leaving_out)
    return tuple(Present(*row) for row in session.execute(query).all())


def require_room(
    session: Session, receiver: Counsellor, now: datetime, window: timedelta, count: int = 1
) -> None:
    """Refuse, in words naming why, to hand conversations to someone who cannot take them."""
    name = receiver.username
    if not receiver.active:
        raise Rejected(f"{name}'s account is deactivated", "deactivated", name=name)
    last = receiver.last_seen_at
    if last is None or now - last >= window:
        raise Conflict(f"{name} is not signed in", "not_signed_in", name=name)
    if not receiver.available:
        raise Conflict(
            f"{name} is not taking conversations (their switch is off)", "switch_off", name=name
        )
    held = open_count(session, receiver.id)
    if held + count > receiver.max_open:
        room = max(0, receiver.max_open - held)
        more = "" if count == 1 else f" for {count} more (room for {room})"
        raise Conflict(
            f"{name} has no room{more}: {held} of {receiver.max_open} open",
            "no_room" if count == 1 else "no_room_for_all",
            name=name,
            held=held,
            most=receiver.max_open,
            count=count,
            room=room,
        )


def here(now: datetime, window: timedelta) -> tuple[ColumnElement[bool], ...]:
    """The conditions of is_here, for a query."""
    return _seen_since(now - window)


def _seen_since(since: datetime | BindParameter[datetime]) -> tuple[ColumnElement[bool], ...]:
    return (Counsellor.available, Counsellor.active, Counsellor.last_seen_at > since)


def _present_with_room(
    since: datetime | BindParameter[datetime],
) -> tuple[ColumnElement[bool], ...]:
    return (*_seen_since(since), open_load() < Counsellor.max_open)


def open_load() -> ColumnElement[int]:
    """The counsellor's open conversations, as a subquery beside their row."""
    return (
        select(func.count(Conversation.id))
        .where(Conversation.counsellor_id == Counsellor.id, Conversation.state == "counsellor")
        .correlate(Counsellor)
        .scalar_subquery()
    )


# Built once: every texter who asks for a person, or writes while waiting, asks it.
_SOMEONE_FREE = select(Counsellor.id).where(*_present_with_room(bindparam("seen_since"))).limit(1)


def open_count(session: Session, counsellor_id: int) -> int:
    """Count the conversations a counsellor holds now."""
    return (
        session.scalar(
            select(func.count(Conversation.id)).where(
                Conversation.counsellor_id == counsellor_id, Conversation.state == "counsellor"
            )
        )
        or 0
    )
