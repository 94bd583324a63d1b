"""The queue of texters waiting for a person: its order, positions, waits and reminders."""

from __future__ import annotations

import logging
import math
import statistics
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezones
from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from responder.bot.content import Content
from responder.conversations.blocks import flood_marked
from responder.delivery import outbox
from responder.privacy.addresses import Keys
from responder.store.models import Contact, Conversation
from responder.store.rows import ConversationRow

log = logging.getLogger(__name__)

RECENT_CLAIMS = 20
RECENT_WINDOW = timedelta(days=7)
MAX_WAIT_NOTICES = 2
# No reminder is sent at night, in the texter's own time: a phone lighting up at
# 3 a.m. can wake the person they are hiding this from.
QUIET_FROM, QUIET_UNTIL = time(22, 0), time(7, 0)


@dataclass(frozen=True)
class WaitNotices:
    """What reminding texters in the queue needs: how often, in which words, and the key
    that reads their number (night is judged where the number is)."""

    every: timedelta
    content: Content
    keys: Keys


# Queue order: most urgent first, then longest waiting; the id settles ties.
ORDER = (Conversation.priority.desc(), Conversation.queued_at, Conversation.id)
# Built once, as texters joining the queue or writing in it ask them. The conversations
# ahead of one, by ORDER:
_AHEAD = select(func.count(Conversation.id)).where(
    Conversation.state == "waiting",
    Conversation.id != bindparam("id"),
    or_(
        Conversation.priority > bindparam("priority"),
        and_(
            Conversation.priority == bindparam("priority"),
            or_(
                Conversation.queued_at < bindparam("queued_at"),
                and_(
                    Conversation.queued_at == bindparam("queued_at"),
                    Conversation.id < bindparam("id"),
                ),
            ),
        ),
    ),
)
# The largest id a conversation can have (the column is a 32-bit integer).
_NOT_SAVED = 2**31 - 1
# The waits of the last claims, for an estimate.
_WAITS = (
    select(Conversation.last_wait_seconds)
    .where(
        Conversation.claimed_at >= bindparam("since"),
        Conversation.last_wait_seconds.is_not(None),
    )
    .order_by(Conversation.claimed_at.desc())
    .limit(RECENT_CLAIMS)
)


def position(session: Session, conversation: ConversationRow) -> int:
    """Return the conversation's place in the queue, counting from 1."""
    # Begun by this very message and not saved yet, it will get the highest id: every
    # conversation queued at the same moment comes first.
    own = _NOT_SAVED if conversation.id is None else conversation.id
    # Straight to the connection: only the message path asks, with its plain rows
    # (store/rows.py), and the session holds nothing unsaved for it to flush first.
    ahead = session.connection().scalar(
        _AHEAD,
        {"id": own, "priority": conversation.priority, "queued_at": conversation.queued_at},
    )
    return (ahead or 0) + 1


def expected_wait(session: Session, now: datetime) -> timedelta | None:
    """Estimate a wait from how long the last claims took, or None with nothing to go on."""
    waits = session.scalars(_WAITS, {"since": now - RECENT_WINDOW}).all()
    if not waits:
        return None
    return timedelta(seconds=statistics.median(waits))


def wait_minutes(wait: timedelta) -> int:
    """Round a wait up to five minutes: an honest estimate errs long."""
    return max(5, math.ceil(wait.total_seconds() / 300) * 5)


def send_wait_notices(session: Session, now: datetime, notices: WaitNotices) -> int:
    """Tell texters left waiting that they are still in the queue; return how many were told."""
    every, content, keys = notices.every, notices.content, notices.keys
    due = session.scalars(
        select(Conversation)
        .join(Contact)
        .where(
            Conversation.state == "waiting",
            Conversation.wait_notices < MAX_WAIT_NOTICES,
            Contact.opted_out.is_(False),
            # A flood's texters (marked on the board) are not written to again and again.
            ~flood_marked(now),
        )
        .with_for_update(of=Conversation, skip_locked=True)
    ).all()
    sent = 0
    for conversation in due:
        if now < conversation.queued_at + every * (conversation.wait_notices + 1):
            continue
        if is_quiet_time(keys.decrypt(conversation.contact.address_encrypted), now):
            continue
        contact = conversation.contact
        turn_to = content.crisis_help(conversation.language, contact.country, contact.under_18)
        notice = content.language(conversation.language).in_danger("wait_notice", turn_to)
        outbox.enqueue(session, conversation, notice, now)
        conversation.wait_notices += 1
        sent += 1
    if sent:
        log.info("wait notices queued count=%d", sent)
    return sent


def is_quiet_time(e164: str, now: datetime) -> bool:
    """Is it night where this number is? Unknown places count as quiet in none."""
    zones = _zones(e164)
    # A country over several time zones: quiet if it is night in any of them.
    return any(_in_quiet_hours(now.astimezone(zone).time()) for zone in zones)


def _in_quiet_hours(moment: time) -> bool:
    return moment >= QUIET_FROM or moment < QUIET_UNTIL


def _zones(e164: str) -> list[ZoneInfo]:
    parsed = phonenumbers.parse(e164, None)
    names = list(phone_timezones.time_zones_for_number(parsed))
    if names == [phone_timezones.UNKNOWN_TIMEZONE]:
        # Test and unassigned ranges have no zone of their own: use the country's.
        region = phonenumbers.region_code_for_country_code(parsed.country_code)
        example = phonenumbers.example_number(region) if region else None
        names = list(phone_timezones.time_zones_for_number(example)) if example else []
    zones = []
    for name in names:
        try:
            zones.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return zones
