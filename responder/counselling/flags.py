"""Flags on a texter: a counsellor's short label ("repeat threats"), shown until it expires.

A flag belongs to the texter, not to one conversation, so it is there again when they
come back days later. It expires by itself: only unexpired flags are ever read, and the
purge deletes the rest. Erasing the texter deletes their flags with them (the foreign
key cascades), and anonymising their last conversation deletes the texter and so the
flags too.

A label is one of a few plain choices or the counsellor's own words, short, and never a
number: it is shown in the queue to every counsellor on shift.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from responder.counselling import access
from responder.errors import NotFound, Rejected
from responder.staff import audit
from responder.store import events
from responder.store.casework import ContactFlag
from responder.store.models import Counsellor

# The labels the console offers; any other short label is accepted too.
CHOICES = (
    "repeat threats",
    "prank",
    "known to police",
    "safeguarding concern",
    "abusive to counsellors",
)
MAX_LABEL = 64
DEFAULT_DAYS = 30
MAX_DAYS = 365
# Five digits or more may be a phone number or a case number: neither belongs in a
# label every counsellor reads in the queue.
_NUMBER = re.compile(r"(?:\d\D{0,2}){5}")


@dataclass(frozen=True)
class FlagView:
    id: int
    label: str
    expires_at: datetime  # the flag no longer shows from this moment
    counsellor: str | None  # who added it
    created_at: datetime

    @property
    def last_day(self) -> date:
        return last_day(self.expires_at)


def last_day(expires_at: datetime) -> date:
    """The last UTC day a flag shows: it expires as the next one starts."""
    return (expires_at.astimezone(UTC) - timedelta(microseconds=1)).date()


def default_expiry(now: datetime) -> date:
    """Return the date a flag lasts until when the counsellor picks none."""
    return today(now) + timedelta(days=DEFAULT_DAYS)


def today(now: datetime) -> date:
    """Return the day it is in UTC, the calendar flags expire by."""
    return now.astimezone(UTC).date()


def add(
    session: Session,
    conversation_id: int,
    actor: Counsellor,
    label: str,
    until: date | None,
    now: datetime,
) -> FlagView:
    """Flag the texter behind a conversation the counsellor may see, until the end of a day.

    The day is a UTC date from today to a year ahead; the flag shows through all of it.
    """
    conversation = access.visible(session, conversation_id, actor)
    contact = access.texter(conversation)
    clean = _label(label)
    last = default_expiry(now) if until is None else until
    if last < today(now):
        raise Rejected("the expiry date has passed: pick today or a later day", "expiry_passed")
    if last > today(now) + timedelta(days=MAX_DAYS):
        raise Rejected(
            f"a flag lasts at most {MAX_DAYS} days: pick an earlier expiry date",
            "flag_too_long",
            days=MAX_DAYS,
        )
    flag = ContactFlag(
        contact_id=contact.id,
        label=clean,
        expires_at=datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC),
        counsellor_id=actor.id,
        created_at=now,
    )
    session.add(flag)
    session.flush()
    added = FlagView(flag.id, flag.label, flag.expires_at, actor.username, now)
    # The queue and every rail show flags: they refresh when the feed says so.
    events.record(session, "flagged", now, conversation, actor.id)
    until = added.last_day.isoformat()
    audit.record(session, actor, "flag", conversation.id, now, label=added.label, until=until)
    return added


def lift(
    session: Session, conversation_id: int, actor: Counsellor, flag_id: int, now: datetime
) -> None:
    """Remove one of the texter's unexpired flags before it expires."""
    conversation = access.visible(session, conversation_id, actor)
    contact = access.texter(conversation)
    unexpired = (
        ContactFlag.id == flag_id,
        ContactFlag.contact_id == contact.id,
        ContactFlag.expires_at > now,
    )
    # Read first so the audit log can say which flag went, not only its number.
    label = session.scalar(select(ContactFlag.label).where(*unexpired))
    if label is None:
        raise NotFound(f"no flag {flag_id} on this texter", "no_flag", id=flag_id)
    session.execute(
        delete(ContactFlag).where(*unexpired).execution_options(synchronize_session=False)
    )
    events.record(session, "flagged", now, conversation, actor.id)
    audit.record(session, actor, "unflag", conversation.id, now, flag=flag_id, label=label)


def of_conversation(
    session: Session, conversation_id: int, actor: Counsellor, now: datetime
) -> tuple[FlagView, ...]:
    """List the unexpired flags on the texter behind a conversation the counsellor may see."""
    conversation = access.visible(session, conversation_id, actor)
    if conversation.contact_id is None:
        return ()  # anonymised: it leads to nobody, and so to no flags
    return of_contact(session, conversation.contact_id, now)


def of_contact(session: Session, contact_id: int, now: datetime) -> tuple[FlagView, ...]:
    """List a texter's unexpired flags, the soonest to expire first."""
    rows = session.execute(
        select(ContactFlag, Counsellor.username)
        .outerjoin(Counsellor, Counsellor.id == ContactFlag.counsellor_id)
        .where(ContactFlag.contact_id == contact_id, ContactFlag.expires_at > now)
        .order_by(ContactFlag.expires_at, ContactFlag.id)
    ).all()
    return tuple(
        FlagView(flag.id, flag.label, flag.expires_at, username, flag.created_at)
        for flag, username in rows
    )


def labels(
    session: Session, contact_ids: Iterable[int | None], now: datetime
) -> dict[int, tuple[str, ...]]:
    """Return the unexpired labels of many texters in one query, for a list of conversations."""
    wanted = {i for i in contact_ids if i is not None}
    if not wanted:
        return {}
    found: dict[int, tuple[str, ...]] = {}
    rows = session.execute(
        select(ContactFlag.contact_id, ContactFlag.label)
        .where(ContactFlag.contact_id.in_(wanted), ContactFlag.expires_at > now)
        .order_by(ContactFlag.contact_id, ContactFlag.expires_at, ContactFlag.id)
    ).all()
    for row in rows:
        found[row.contact_id] = (*found.get(row.contact_id, ()), row.label)
    return found


def _label(label: str) -> str:
    if len(label) > MAX_LABEL:
        raise Rejected(
            f"a label is at most {MAX_LABEL} characters", "label_too_long", most=MAX_LABEL
        )
    clean = " ".join(label.split())
    if not clean:
        raise Rejected("write a label, or pick one of: " + ", ".join(CHOICES), "label_missing")
    if _NUMBER.search(clean):
        raise Rejected(
            "a label may not hold a phone number or any other long number", "label_number"
        )
    if not clean.isprintable():
        raise Rejected("a label holds only printable characters", "label_unprintable")
    return clean
