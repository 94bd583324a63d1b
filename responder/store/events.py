"""The change feed: one row per change, so live pages can ask "what changed after N?"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from responder.store.models import Conversation, Event

# What happened; events carry no message text, only which conversation changed.
KINDS = frozenset(
    {
        "message",  # a message came in or was written for the texter
        "queued",  # the texter asked for a person
        "left_queue",  # the texter left the queue
        "claimed",
        "transferred",
        "released",
        "closed",
        "note",
        "flagged",  # a flag was put on or lifted from the texter behind the conversation
        "delivery",  # an outbound message changed status
        "availability",  # a counsellor became available or unavailable
        "crisis",  # crisis words came in: supervisors should look now
        "crisis_unclaimed",  # a crisis is still waiting for a counsellor after the follow-up time
        "overdue",  # a texter has waited for an answer longer than the board's limit
        "surge",  # many texters joined the queue within a few minutes
        "erased",  # a texter erased everything: their conversations are gone
    }
)


def record(
    session: Session,
    kind: str,
    now: datetime,
    conversation: Conversation | None,
    actor_id: int | None = None,
) -> None:
    """Add an event to the feed, in the caller's transaction.

    actor_id is the counsellor whose command made the change, None for the texter, the
    bot and the worker: a counsellor whose conversation a supervisor closed or moved
    learns it from the feed, by a name that is not their own.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    session.add(
        Event(
            conversation=conversation,
            kind=kind,
            created_at=now,
            actor_id=actor_id,
        )
    )
