"""Texters left waiting too long for an answer: marked on the board, reported once per wait.

A texter waits for an answer from when they asked for a person, while in the queue,
and from their oldest message no counsellor has answered since, once one holds the
conversation. A texter who wrote three times in a row has waited since the first.
Past the limit (shorter for a crisis) the conversation stands out on the supervisors'
board, and the worker records one `overdue` event for that wait; for a crisis it also
texts the on-call number, unless the unclaimed-crisis follow-up already has for the
same wait in the queue.

Each wait is reported once: the conversation keeps when the reported wait began, and
a counsellor's answer starts the next wait from a later message, which is reported
again if it too runs long.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, or_, select, update
from sqlalchemy.orm import Session

from responder.counselling import caseload
from responder.delivery import alerts
from responder.store import events
from responder.store.models import Conversation

log = logging.getLogger(__name__)

OPEN = ("waiting", "counsellor")


@dataclass(frozen=True)
class Limits:
    """How long a texter may wait for an answer before supervisors are told."""

    crisis: timedelta
    other: timedelta
    oncall: bool = False  # an on-call number is set: a crisis left too long is texted to it

    def of(self, crisis: bool) -> timedelta:
        return self.crisis if crisis else self.other


def waits(session: Session, rows: Iterable[Row[Any]]) -> dict[int, datetime | None]:
    """Since when each open conversation's texter waits for an answer; None if they do not.

    The rows carry id, state and queued_at. Two queries, whatever the number of rows.
    """
    rows = list(rows)
    held = [row.id for row in rows if row.state == "counsellor"]
    texter = caseload.last_from_texter(session, held)
    found: dict[int, datetime | None] = {}
    for row in rows:
        queued_at = caseload.aware(row.queued_at)
        if row.state == "waiting":
            found[row.id] = queued_at
            continue
        latest = texter.get(row.id)
        since = None if latest is None else caseload.aware(latest.waiting_since)
        # Messages from before the texter asked for a person were the bot's to answer:
        # a wait for a counsellor starts no earlier than the queue did.
        if since is not None and queued_at is not None and since < queued_at:
            since = queued_at
        found[row.id] = since
    return found


def is_overdue(since: datetime | None, crisis: bool, limits: Limits, now: datetime) -> bool:
    """Tell whether a wait that began at since has run past its limit."""
    return since is not None and now - since >= limits.of(crisis)


def report_due(session: Session, now: datetime, limits: Limits) -> int:
    """Record each wait that has just run past its limit, once; return how many."""
    rows = session.execute(
        select(
            Conversation.id,
            Conversation.state,
            Conversation.queued_at,
            Conversation.crisis_at,
            Conversation.overdue_from,
        ).where(
            Conversation.state.in_(OPEN),
            # Only conversations whose queueing is old enough can hold a wait that is.
            Conversation.queued_at <= now - min(limits.crisis, limits.other),
        )
    ).all()
    since = waits(session, rows)
    reported = 0
    for row in rows:
        began = since[row.id]
        crisis = row.crisis_at is not None
        if not is_overdue(began, crisis, limits, now) or caseload.aware(row.overdue_from) == began:
            continue
        # A conditional update rather than a lock held over the scan: the webhook locks
        # these rows for every message, and a second worker finds the wait taken.
        taken = session.execute(
            update(Conversation)
            .where(
                Conversation.id == row.id,
                Conversation.state.in_(OPEN),
                or_(Conversation.overdue_from.is_(None), Conversation.overdue_from != began),
            )
            .values(overdue_from=began)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            continue
        conversation = session.get(Conversation, row.id)
        assert conversation is not None  # just updated in this transaction
        events.record(session, "overdue", now, conversation)
        if crisis and limits.oncall and not _followed_up(conversation):
            alerts.queue(session, conversation, now, alerts.OVERDUE)
        reported += 1
    if reported:
        log.warning("texters waiting too long for an answer count=%d", reported)
    return reported


def _followed_up(conversation: Conversation) -> bool:
    """Whether the unclaimed-crisis follow-up already alerted for this wait in the queue."""
    return (
        conversation.state == "waiting"
        and conversation.crisis_followup_at is not None
        and conversation.queued_at is not None
        and conversation.crisis_followup_at >= conversation.queued_at
    )
