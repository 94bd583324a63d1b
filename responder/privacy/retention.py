"""Retention: what is kept about texters, and for how long.

After a conversation has ended, its message text, notes, survey answer and wrap-up
summary are kept for the retention period (RESPONDER_RETENTION_DAYS), then deleted,
here and at Twilio (through the worker's deletions); after the second
period (RESPONDER_ANONYMISE_DAYS) the conversation loses its link to the texter, and
a texter left with no conversation is deleted. What remains (states, times, pages
shown, categories) and the daily counts lead to nobody.

Every step is one UPDATE or DELETE over many rows, never loading them, and each only
touches rows not yet done: running it twice, or from two workers at once, does the
work once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, delete, exists, insert, literal, null, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from responder.delivery.reasons import TEXT_GONE
from responder.store import sealed
from responder.store.base import UtcDateTime
from responder.store.casework import ContactFlag, WrapUp
from responder.store.models import (
    Contact,
    Conversation,
    Erasure,
    Event,
    Message,
    Note,
    TwilioDeletion,
)
from responder.store.timeouts import limit
from responder.store.turns import take_turn

log = logging.getLogger(__name__)

# The worker purges about once an hour; the Heartbeat row of this name holds the last run.
HEARTBEAT = "purge"
EVERY = timedelta(hours=1)
# An erasure receipt only answers Twilio's redeliveries of the confirming DELETE,
# which come within minutes; a week is ample.
ERASURE_RECEIPTS = timedelta(days=7)
# A message arriving while a quiet episode is closed here could land in a closed
# conversation: the webhook closes quiet episodes itself, by the same rule, so the
# purge leaves it some minutes of its own first.
CLOSE_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class Purged:
    """How many rows one purge changed or deleted."""

    closed: int  # quiet episodes closed
    cancelled: int  # unsent messages of expired conversations, never to be sent now
    texts: int  # messages whose text was deleted
    notes: int
    surveys: int  # survey answers cleared
    summaries: int  # wrap-up summaries deleted; the rest of each wrap-up stays
    anonymised: int  # conversations unlinked from their texter
    contacts: int  # texters deleted, having no conversation left
    erasure_receipts: int
    events: int
    flags: int  # counsellors' flags on texters, expired

    def lines(self) -> list[str]:
        """Describe the purge in numbers only, one figure a line."""
        labels = {
            "closed": "quiet conversations closed",
            "cancelled": "unsent messages cancelled",
            "texts": "message texts deleted",
            "notes": "notes deleted",
            "surveys": "survey answers cleared",
            "summaries": "wrap-up summaries deleted",
            "anonymised": "conversations anonymised",
            "contacts": "contacts deleted",
            "erasure_receipts": "erasure receipts deleted",
            "events": "events deleted",
            "flags": "expired flags deleted",
        }
        return [f"{labels[field.name]}: {getattr(self, field.name)}" for field in fields(self)]


def run(session: Session, now: datetime, config: Mapping[str, Any]) -> Purged:
    """Purge now with the configured periods; the worker's next purge comes an hour later."""
    take_turn(session, HEARTBEAT, now, None)
    return _configured(session, now, config)


def run_if_due(session: Session, now: datetime, config: Mapping[str, Any]) -> Purged | None:
    """Purge if no process has for an hour; None when it is not due."""
    due = take_turn(session, HEARTBEAT, now, now - EVERY)
    return _configured(session, now, config) if due else None


def purge(
    session: Session,
    now: datetime,
    retention: timedelta,
    anonymise: timedelta,
    episode_gap: timedelta,
) -> Purged:
    """Close quiet episodes, delete expired text, anonymise old conversations; never commit.

    Conversations still open (in the menu and not quiet, waiting, or with a
    counsellor) are never touched, however old.
    """
    closed = _close_quiet(session, now, episode_gap)
    expired = _ended_before(now - retention)
    old = _ended_before(now - anonymise)
    # Whichever period ends first takes both the unsent messages and Twilio's copies.
    first_gone = _ended_before(now - min(retention, anonymise))
    cancelled = _cancel_unsent(session, now, first_gone)
    texts, notes, surveys, summaries = _delete_text(session, expired)
    _forget_at_twilio(session, now, first_gone)
    anonymised = _execute(
        session,
        update(Conversation)
        .where(Conversation.id.in_(old), Conversation.contact_id.is_not(None))
        .values(contact_id=None, page=None, history=[]),
    )
    contacts = _delete_contacts_left_alone(session, now)
    if texts or notes or surveys or summaries or contacts:
        # Words or keys went: on SQLite the commit then empties the log. An hour with
        # nothing to purge leaves it to SQLite's own checkpoints.
        sealed.forget(session)

    receipts = _execute(session, delete(Erasure).where(Erasure.created_at < now - ERASURE_RECEIPTS))
    events = _execute(session, delete(Event).where(Event.created_at < now - retention))
    # Only unexpired flags are ever shown; the rest need not wait for their texter to go.
    flags = _execute(session, delete(ContactFlag).where(ContactFlag.expires_at <= now))
    purged = Purged(
        closed,
        cancelled,
        texts,
        notes,
        surveys,
        summaries,
        anonymised,
        contacts,
        receipts,
        events,
        flags,
    )
    log.info(
        "purge done %s", " ".join(f"{f.name}={getattr(purged, f.name)}" for f in fields(purged))
    )
    return purged


def _delete_text(session: Session, expired: Select[tuple[int]]) -> tuple[int, int, int, int]:
    """Delete what people wrote in expired conversations; return how many of each kind.

    Message texts, notes, survey answers and wrap-up summaries go; the rest of a wrap-up
    stays, being choices from fixed lists that name nobody.
    """
    texts = _execute(
        session,
        update(Message)
        .where(Message.conversation_id.in_(expired), Message.body.is_not(None))
        .values(sealed_body=None),
    )
    notes = _execute(session, delete(Note).where(Note.conversation_id.in_(expired)))
    surveys = _execute(
        session,
        update(Conversation)
        .where(Conversation.id.in_(expired), Conversation.survey_answer.is_not(None))
        .values(survey_answer=None),
    )
    summaries = _execute(
        session,
        update(WrapUp)
        .where(WrapUp.conversation_id.in_(expired), WrapUp.summary.is_not(None))
        .values(sealed_summary=None),
    )
    return texts, notes, surveys, summaries


def _configured(session: Session, now: datetime, config: Mapping[str, Any]) -> Purged:
    # A purge after a long pause may delete a great deal at once: the statement limit
    # that keeps webhooks quick is lifted for its transaction; lock waits stay bounded.
    limit(session, 0)
    return purge(
        session,
        now,
        retention=timedelta(days=config["RESPONDER_RETENTION_DAYS"]),
        anonymise=timedelta(days=config["RESPONDER_ANONYMISE_DAYS"]),
        episode_gap=timedelta(hours=config["RESPONDER_EPISODE_HOURS"]),
    )


def _close_quiet(session: Session, now: datetime, episode_gap: timedelta) -> int:
    """Close episodes in the menu that have been quiet for the episode gap and a margin."""
    return _execute(
        session,
        update(Conversation)
        .where(
            Conversation.state == "menu",
            Conversation.closed_at.is_(None),
            Conversation.last_message_at <= now - episode_gap - CLOSE_MARGIN,
        )
        .values(state="closed", closed_at=now),
    )


def _cancel_unsent(session: Session, now: datetime, ended: Select[tuple[int]]) -> int:
    """Cancel what the ended conversations never sent.

    It stays unsent: without its text a message would pass for the WhatsApp template
    (the outbox's row without text), and an anonymised conversation has no number to
    send to.
    """
    return _execute(
        session,
        update(Message)
        .where(
            Message.conversation_id.in_(ended),
            Message.direction == "out",
            or_(
                Message.status.in_(("pending", "held")),
                and_(Message.status == "sending", Message.twilio_sid.is_(None)),
            ),
        )
        .values(status="canceled", next_attempt_at=None, status_at=now, error_message=TEXT_GONE),
    )


def _forget_at_twilio(session: Session, now: datetime, ended: Select[tuple[int]]) -> None:
    """Ask the worker to delete Twilio's copies of the ended conversations' messages.

    Twilio keeps its own copy of each message, text and number included; once the
    deletion is queued the sid, which leads to that copy, is dropped here.
    """
    holding_sids = and_(Message.conversation_id.in_(ended), Message.twilio_sid.is_not(None))
    session.execute(
        insert(TwilioDeletion).from_select(
            ["message_sid", "media_sid", "attempts", "next_attempt_at", "created_at"],
            select(
                Message.twilio_sid,
                null(),
                literal(0),
                literal(now, UtcDateTime()),
                literal(now, UtcDateTime()),
            ).where(holding_sids),
        )
    )
    _execute(session, update(Message).where(holding_sids).values(twilio_sid=None))


def _ended_before(cutoff: datetime) -> Select[tuple[int]]:
    """Select the ids of conversations that ended before the cutoff."""
    return select(Conversation.id).where(
        Conversation.state == "closed", Conversation.closed_at < cutoff
    )


def _delete_contacts_left_alone(session: Session, now: datetime) -> int:
    """Delete texters with no conversation left, unless a block on them still runs.

    A block needs the number's hash to hold. A texter writing at this very moment
    may add a conversation after the check: the foreign key then refuses the
    delete, and the savepoint keeps that from spoiling the rest of the purge; the
    next purge looks again.
    """
    blocked = and_(
        Contact.blocked_at.is_not(None),
        or_(Contact.blocked_until.is_(None), Contact.blocked_until > now),
    )
    orphan = ~exists().where(Conversation.contact_id == Contact.id)
    try:
        with session.begin_nested():
            return _execute(session, delete(Contact).where(orphan, ~blocked))
    except IntegrityError:
        log.info("purge left contacts for the next run: a texter wrote meanwhile")
        return 0


def _execute(session: Session, statement: Any) -> int:
    return session.execute(statement.execution_options(synchronize_session=False)).rowcount
