"""Messages that came while the database was away: answered from content, stored later.

The webhook cannot reach the database, so it answers from what it holds in memory
(the content) and keeps the message in the spool. When the database is back the
worker stores each spooled message through the ordinary receive, oldest first, so the
conversation and the counsellor's transcript read as if nothing had happened.

What the texter was told. At the time they got a static reply: the crisis numbers
when their message had crisis words, else "we got your message, we will reply here".
Storing the message later makes the bot decide its usual replies, which the texter
never had. Those are not kept as if they had been given: the transcript shows the
static reply the texter really got, and the bot's replies go out late through the
outbox, with their delivery tracked, since the static reply promised an answer and
they are it: the page asked for, the place in the queue. After crisis words they are
not sent: the texter already had the numbers, and the conversation is first in the
queue for a person.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from responder.bot import crisis
from responder.bot.content import Content
from responder.bot.crisis_entries import Tier
from responder.bot.keywords import normalise_keyword
from responder.channels.transport import Inbound
from responder.conversations import replies
from responder.conversations.receiving import STOP_WORDS, Policy, receive
from responder.delivery import outbox
from responder.errors import AddressError
from responder.privacy.addresses import country_of
from responder.store.models import Conversation, Message
from responder.store.spool import Spool
from responder.store.timeouts import is_away

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Replay:
    """What storing spooled messages needs: the spool, the content and receive's policy."""

    spool: Spool
    content: Content
    policy: Policy


def answer(content: Content, inbound: Inbound, kept: bool) -> tuple[tuple[str, ...], bool]:
    """Return the static replies for a message the database never saw, and if crisis words.

    kept: the message is in the spool, so a reply will follow; when it could not be
    kept either, the answer promises nothing. STOP is Twilio's to answer.
    """
    if inbound.opt_out_type is not None or normalise_keyword(inbound.text) in STOP_WORDS:
        return (), False
    country = None
    with contextlib.suppress(AddressError):
        country = country_of(inbound.address)
    lang = content.language(content.language_for(country))
    turn_to = content.crisis_help(lang.code, country, None)
    if crisis.detect(inbound.text, content.crisis_lists) == Tier.T1:
        return (lang.crisis_outage(turn_to),), True
    return (lang.in_danger("outage" if kept else "fallback", turn_to),), False


def keep(spool: Spool, inbound: Inbound, now: datetime, content: Content) -> tuple[str, ...]:
    """Spool a message the database could not take; return the replies to give now.

    A spool that cannot be written (a full or read-only disk) loses the message: the
    texter is then told nothing will follow, and the log says so.
    """
    given, is_crisis = answer(content, inbound, kept=True)
    record = {
        "inbound": asdict(inbound),
        "received_at": now.isoformat(),
        "answered": list(given),
        "crisis": is_crisis,
    }
    try:
        spool.put(inbound.message_sid, record)
    except OSError as exc:
        sid = inbound.message_sid
        log.error("message sid=%s lost: the spool cannot be written (%s)", sid, exc.strerror)
        return answer(content, inbound, kept=False)[0]
    log.warning("database away: message sid=%s kept in the spool", inbound.message_sid)
    return given


def store_all(
    sessions: sessionmaker[Session], replay: Replay, clock: Callable[[], datetime]
) -> int:
    """Store every spooled message, oldest first, each in its own transaction; count them.

    A file is removed only after its message is committed, and a MessageSid already
    stored is not stored again, so a crash between the two stores nothing twice. While
    the database is still away the first attempt raises and the rest wait, in order.
    """
    spool, stored = replay.spool, 0
    if spool.is_empty():
        return 0
    with spool.draining() as ours:
        if not ours:
            return 0
        for pending in spool.pending():
            if pending.record is None:
                spool.set_aside(pending.path)
                continue
            try:
                with sessions() as session:
                    stored += _store(session, pending.record, replay, clock())
                    session.commit()
            except Exception as exc:
                if is_away(exc):
                    raise
                # One message that cannot be stored must not hold back those behind it.
                log.exception("a spooled message cannot be stored; set aside")
                spool.set_aside(pending.path)
                continue
            spool.remove(pending.path)
    if stored:
        log.info("stored %d spooled messages", stored)
    return stored


def _store(session: Session, record: dict, replay: Replay, now: datetime) -> int:
    """Store one spooled message as it would have been; 0 when it was stored already."""
    fields = record["inbound"]
    inbound = Inbound(**{**fields, "media_sids": tuple(fields["media_sids"])})
    if replies.given(session, inbound.message_sid) is not None:
        # The commit the webhook saw fail had in fact gone through, or a worker stored
        # it before it could remove the file.
        return 0
    received_at = datetime.fromisoformat(record["received_at"])
    receive(session, inbound, received_at, replay.content, replay.policy)
    message = session.scalars(
        select(Message).where(Message.twilio_sid == inbound.message_sid)
    ).first()
    if message is None:
        # A confirmed erasure: the texter, their messages and their number are gone.
        return 1
    decided = session.scalars(
        select(Message).where(Message.in_reply_to_id == message.id).order_by(Message.id)
    ).all()
    for reply in decided:
        session.delete(reply)
    for text in record["answered"]:
        session.add(
            Message(
                conversation=message.conversation,
                direction="out",
                body=text,
                in_reply_to=message,
                created_at=received_at,
            )
        )
    if not record["crisis"]:
        # The outage reply already said the message was kept: the short line that says so
        # again to a waiting texter is not sent late, with its crisis number.
        kept = _kept_lines(replay.content, message.conversation)
        for reply in decided:
            if reply.body and reply.body not in kept:
                outbox.enqueue(session, message.conversation, reply.body, now)
    session.flush()
    return 1


def _kept_lines(content: Content, conversation: Conversation) -> tuple[str, ...]:
    """The short lines a texter waiting in this conversation can be given, exactly."""
    lang, contact = content.language(conversation.language), conversation.contact
    turn_to = content.crisis_help(lang.code, contact.country, contact.under_18)
    return lang.waiting_kept(None), lang.waiting_kept(turn_to)
