"""The supervisors' board: every open conversation, who is waiting too long, who is there.

A read model, like views: frozen values built for showing. It never reads message
text: a supervisor on the board sees risk, waits and loads, and opens a conversation
(audited) to read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from responder.conversations import blocks, surge
from responder.conversations.waiting import ESCALATED_PRIORITY
from responder.counselling import views
from responder.counselling.overdue import OPEN, Limits, is_overdue, waits
from responder.errors import NotPermitted
from responder.staff import presence
from responder.staff.auth import supervises
from responder.store.models import Contact, Conversation, Counsellor


@dataclass(frozen=True)
class Holder:
    """The counsellor who holds a conversation, with where they stand and what they hold."""

    username: str
    presence: str  # "available", "busy" or "away" (staff.presence)
    load: int
    max_open: int


@dataclass(frozen=True)
class BoardRow:
    id: int
    state: str  # "waiting" (in the queue) or "counsellor"
    channel: str
    crisis: bool  # crisis words came in
    pressure: bool  # a threat, a deadline or a demand for money, without crisis words
    under_18: bool  # the texter said they are under 18
    flood: bool  # a supervisor marked the texter as part of a flood
    waiting_since: datetime | None  # None: the texter is not waiting for an answer
    waited_seconds: int | None
    overdue: bool  # waited past the limit: the board shows it first
    holder: Holder | None  # None while the conversation is in the queue


@dataclass(frozen=True)
class Board:
    rows: tuple[BoardRow, ...]
    counsellors: tuple[Holder, ...]  # every active account, those who are there first
    limits: Limits
    surge: int  # texters who joined the queue within the surge window, 0 below the limit
    surge_window: timedelta

    @property
    def overdue(self) -> int:
        return sum(row.overdue for row in self.rows)

    @property
    def waiting(self) -> int:
        return sum(row.state == "waiting" for row in self.rows)


def read(
    session: Session,
    actor: Counsellor,
    now: datetime,
    window: timedelta,
    limits: Limits,
    surging: surge.Limits,
) -> Board:
    """Read the board: the open conversations first by how late their answer is."""
    if not supervises(actor):
        raise NotPermitted(
            "only supervisors and admins see every open conversation", "held_supervisors"
        )
    counsellors = _counsellors(session, now, window)
    by_id = {c.id: holder for c, holder in counsellors}
    rows = _open(session, now)
    since = waits(session, rows)
    board = [
        BoardRow(
            id=row.id,
            state=row.state,
            channel=row.channel,
            crisis=row.crisis_at is not None,
            pressure=row.crisis_at is None and row.priority >= ESCALATED_PRIORITY,
            under_18=bool(row.under_18),
            flood=bool(row.flood),
            waiting_since=since[row.id],
            waited_seconds=None
            if since[row.id] is None
            else views.whole_seconds(now - since[row.id]),
            overdue=is_overdue(since[row.id], row.crisis_at is not None, limits, now),
            holder=by_id.get(row.counsellor_id) if row.state == "counsellor" else None,
        )
        for row in rows
    ]
    # Late answers first, crises first among them, then the longest waits; texters
    # who are not waiting for an answer last.
    board.sort(key=lambda r: (not r.overdue, not r.crisis, -(r.waited_seconds or -1)))
    order = {presence.AVAILABLE: 0, presence.BUSY: 1, presence.AWAY: 2}
    team = sorted((h for _, h in counsellors), key=lambda h: (order[h.presence], h.username))
    return Board(
        rows=tuple(board),
        counsellors=tuple(team),
        limits=limits,
        surge=_surge(rows, now, surging),
        surge_window=surging.window,
    )


def _open(session: Session, now: datetime) -> Sequence[Row[Any]]:
    """Every open conversation, with what the board says about its texter."""
    return session.execute(
        select(
            Conversation.id,
            Conversation.state,
            Conversation.channel,
            Conversation.priority,
            Conversation.crisis_at,
            Conversation.queued_at,
            Conversation.counsellor_id,
            Contact.under_18,
            blocks.flood_marked(now).label("flood"),
        )
        .outerjoin(Contact, Conversation.contact_id == Contact.id)
        .where(Conversation.state.in_(OPEN))
        .order_by(Conversation.id)
    ).all()


def _surge(rows: Sequence[Row[Any]], now: datetime, surging: surge.Limits) -> int:
    """How many joined the queue within the surge window, when that many make a surge.

    Counted from the open conversations already read, as surge.joined counts the queue.
    """
    if not surging.conversations:
        return 0
    since = now - surging.window
    joined = sum(row.state == "waiting" and row.queued_at >= since for row in rows)
    return joined if joined >= surging.conversations else 0


def _counsellors(
    session: Session, now: datetime, window: timedelta
) -> list[tuple[Counsellor, Holder]]:
    """Every active account, and every account holding a conversation, with its load."""
    # Filtered here rather than in SQL, which would count each account's load twice;
    # a helpline has tens of accounts, not thousands.
    found = [
        (counsellor, load)
        for counsellor, load in session.execute(
            select(Counsellor, presence.open_load().label("load"))
        )
        if counsellor.active or load > 0
    ]
    return [
        (
            counsellor,
            Holder(
                username=counsellor.username,
                presence=presence.word(counsellor, load, now, window),
                load=load,
                max_open=counsellor.max_open,
            ),
        )
        for counsellor, load in found
    ]
