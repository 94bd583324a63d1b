"""A flood in the queue: many numbers writing at once, a raid, a prank or a script.

A supervisor picks the flood's conversations on the board and deals with them in one
action instead of one page each. Marking keeps them in the queue, behind every other
texter and without "still in the queue" texts, for when it is not yet clear who is
real. Clearing closes them as prank or abusive and blocks their numbers. Each
conversation is audited on its own, as if it had been done by hand, so the audit log
reads the same whichever way it was done.

Only conversations still waiting are touched: one a counsellor took or the texter left
meanwhile is counted as skipped, never closed behind the counsellor's back.
Functions take a Session and never commit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from responder.conversations import blocks
from responder.counselling import access, flags, wrapup
from responder.counselling.handoff import locked
from responder.counselling.wrapup_lists import INCIDENT
from responder.errors import NotFound, Rejected
from responder.staff import audit
from responder.staff.auth import supervises
from responder.store.models import Conversation, Counsellor

log = logging.getLogger(__name__)

# Below every real texter, whose priority is 0 or more; crisis words still lift it.
PRIORITY = -1
REASONS = ("prank", "abusive")
# A flood of hundreds is cleared in a few actions; one action stays one short transaction.
MOST = 300


@dataclass(frozen=True)
class Done:
    """What one action did: how many conversations it changed, and how many it left."""

    changed: int
    skipped: int


def mark(session: Session, ids: Sequence[int], actor: Counsellor, now: datetime) -> Done:
    """Flag each waiting conversation's texter as a flood until tomorrow ends; move it last."""
    changed, until = 0, flags.today(now) + timedelta(days=1)
    for conversation in _waiting(session, ids, actor):
        flags.add(session, conversation.id, actor, blocks.FLOOD, until, now)
        conversation.priority = min(conversation.priority, PRIORITY)
        changed += 1
    log.info("flood marked by=%s conversations=%d", actor.id, changed)
    return Done(changed, len(ids) - changed)


def clear(
    session: Session,
    ids: Sequence[int],
    actor: Counsellor,
    reason: str,
    hours: int | None,
    now: datetime,
) -> Done:
    """Close each waiting conversation as prank or abusive and block its number."""
    if reason not in REASONS:
        raise Rejected(f"reason must be one of {', '.join(REASONS)}", "unknown_reason")
    if hours is not None and hours not in blocks.HOURS:
        raise Rejected("a block lasts 24 or 168 hours, or until lifted", "unknown_hours")
    changed = 0
    for conversation in _waiting(session, ids, actor):
        blocks.block(session, access.texter(conversation), hours, now)
        audit.record(session, actor, "block", conversation.id, now, hours=hours)
        # With a wrap-up that says prank or abusive and nothing else, counted as such.
        wrapup.mark_closed(session, conversation, actor, None, (), PRANK_OR_ABUSIVE, now)
        audit.record(session, actor, "close", conversation.id, now, flood=reason)
        changed += 1
    log.info("flood cleared by=%s conversations=%d", actor.id, changed)
    return Done(changed, len(ids) - changed)


def _waiting(session: Session, ids: Sequence[int], actor: Counsellor) -> list[Conversation]:
    """Lock the conversations asked for that are still waiting, in id order (no deadlocks)."""
    if not supervises(actor):
        raise Rejected("only supervisors and admins act on a flood", "not_supervising")
    if not ids:
        raise Rejected("choose at least one conversation", "none_chosen")
    if len(ids) > MOST:
        raise Rejected(f"choose at most {MOST} conversations at once", "too_many", most=MOST)
    found = []
    for conversation_id in sorted(set(ids)):
        try:
            conversation = locked(session, conversation_id)
        except NotFound:
            continue  # erased meanwhile: nothing left to act on
        if conversation.state == "waiting" and conversation.contact_id is not None:
            found.append(conversation)
    return found


PRANK_OR_ABUSIVE = wrapup.Filled(
    contact_type="prank_or_abusive",
    categories=(),
    incident=dict.fromkeys(INCIDENT),
    referrals=(),
    age_band="not_given",
    gender="not_given",
    summary=None,
)
