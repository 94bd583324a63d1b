"""Deleting records held at Twilio: media as soon as it arrives, every message on erasure.

Twilio keeps its own copy of each message and of each media item sent to the
helpline. Rows of TwilioDeletion name what to delete there, by sid only; the worker
works through them with retries. Functions take a Session and never commit, except
delete_next: like sending.deliver_next it commits once to claim a row and once to
record Twilio's answer, so no transaction stays open while Twilio is called.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from responder.channels.transport import SendFailed, Transport
from responder.delivery.retry import Schedule
from responder.store.models import TwilioDeletion

log = logging.getLogger(__name__)

RETRY = Schedule(first=timedelta(seconds=15), longest=timedelta(hours=1), attempts=20)
# How long a worker has to hear Twilio's answer before another may try the row.
LEASE = timedelta(minutes=2)
# Rows handled in one round of the worker, so a large erasure never holds up the outbox.
BATCH = 50
GONE = 404


def queue_media(
    session: Session, message_sid: str, media_sids: Iterable[str], now: datetime
) -> None:
    """Ask the worker to delete these media items of a message at Twilio."""
    for media_sid in media_sids:
        session.add(_row(message_sid, media_sid, now))


def queue_messages(session: Session, message_sids: Iterable[str], now: datetime) -> None:
    """Ask the worker to delete these messages at Twilio, with any media they carry.

    Twilio deletes a message's media along with the message record.
    """
    for sid in dict.fromkeys(message_sids):
        session.add(_row(sid, None, now))


def _row(message_sid: str, media_sid: str | None, now: datetime) -> TwilioDeletion:
    return TwilioDeletion(
        message_sid=message_sid,
        media_sid=media_sid,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )


def claim_next(session: Session, now: datetime) -> TwilioDeletion | None:
    """Lock and return the next row due, or None; rows given up on are never due again.

    On PostgreSQL, SKIP LOCKED lets several workers share the rows without ever
    taking the same one; on SQLite the transaction already holds the write lock.
    """
    return session.scalars(
        select(TwilioDeletion)
        .where(TwilioDeletion.next_attempt_at <= now, TwilioDeletion.attempts < RETRY.attempts)
        .order_by(TwilioDeletion.next_attempt_at, TwilioDeletion.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()


def delete_next(
    sessions: sessionmaker[Session],
    transport: Transport,
    clock: Callable[[], datetime],
) -> bool:
    """Delete the next due record at Twilio; return False when nothing is due."""
    with sessions() as session:
        now = clock()
        row = claim_next(session, now)
        if row is None:
            return False
        # Counted now, so a row whose call keeps killing the worker still ends.
        row.attempts += 1
        row.next_attempt_at = now + LEASE
        row_id, message_sid, media_sid = row.id, row.message_sid, row.media_sid
        session.commit()
    failure: SendFailed | None = None
    try:
        transport.delete(message_sid, media_sid)
    except SendFailed as exc:
        failure = exc
    with sessions() as session:
        _record(session, row_id, failure, clock())
        session.commit()
    return True


def delete_due(
    sessions: sessionmaker[Session],
    transport: Transport,
    clock: Callable[[], datetime],
    limit: int = BATCH,
    between: Callable[[], None] | None = None,
) -> int:
    """Work through up to `limit` due rows; return how many were handled.

    between runs before each row: the worker's urgent jobs, which must not wait.
    """
    handled = 0
    while handled < limit:
        if between is not None:
            between()
        if not delete_next(sessions, transport, clock):
            break
        handled += 1
    return handled


def _record(session: Session, row_id: int, failure: SendFailed | None, now: datetime) -> None:
    """Store Twilio's answer: done (or already gone), try again later, or give up."""
    row = session.get(TwilioDeletion, row_id, with_for_update=True)
    if row is None:
        return  # Another worker, whose lease had run out, finished it meanwhile.
    if failure is None or failure.http_status == GONE:
        log.info(
            "deleted at Twilio message=%s media=%s gone=%s",
            row.message_sid,
            row.media_sid,
            failure is not None,
        )
        session.delete(row)
        return
    row.error_code = failure.code or failure.http_status
    if RETRY.exhausted(row.attempts):
        # The row stays, with its error code, for an operator to look into.
        log.warning(
            "gave up deleting at Twilio deletion=%s attempts=%d code=%s",
            row.id,
            row.attempts,
            row.error_code,
        )
        return
    # Twilio refuses to delete a message still on its way; it will be final later.
    row.next_attempt_at = RETRY.next_attempt(row.attempts, now)
    log.warning(
        "deleting at Twilio failed, will retry deletion=%s attempt=%d code=%s http=%s",
        row.id,
        row.attempts,
        failure.code,
        failure.http_status,
    )
