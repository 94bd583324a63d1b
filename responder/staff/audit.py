"""The audit log: which counsellor did what to which conversation, for supervisors to read.

An entry names the action and, where it needs one, a detail such as a block's length
or the reason written for seeing a number. It never holds message text or a number,
so it can outlive the conversation: erasure clears only its link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from responder.errors import NotPermitted
from responder.staff.auth import supervises
from responder.store.models import AuditEntry, Counsellor

# A read of the same conversation by the same person within this time is the same sitting.
VIEW_AGAIN = timedelta(minutes=10)
ACTIONS = frozenset(
    {
        "view",  # opened the conversation page
        "claim",
        "transfer",  # detail: to, the receiver's username
        "take_over",  # a supervisor stepped in; detail: from, the counsellor who had it
        "release",
        "requeue",  # put back in the queue by an admin, from an account being deactivated
        "close",
        "reply",  # a message to the texter; its text stays in the transcript only
        "note",
        "block",  # detail: hours, null for until lifted
        "unblock",
        "reveal",  # detail: reason, as the supervisor wrote it
        "transcript",  # a transcript exported; detail: reason, as the supervisor wrote it
        "flag",  # detail: label, the flag put on the texter
        "unflag",  # detail: flag, the id of the flag lifted
        # An admin's changes to accounts; detail: username, the account changed.
        "account_add",  # detail also: role
        "account_deactivate",
        "account_reactivate",
        "account_password_reset",
        "account_2fa_reset",
        "account_signed_out",  # an admin ended every session of an account
        "token_revoke",  # an API token was stopped, by an admin or on the command line
        "audit_export",  # an admin downloaded the log as CSV; detail: the filters used
    }
)


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime
    counsellor: str | None
    action: str
    conversation_id: int | None  # None once the texter erased themselves
    detail: dict[str, object]


def record(
    session: Session,
    counsellor: Counsellor,
    action: str,
    conversation_id: int | None,
    now: datetime,
    **detail: object,
) -> None:
    """Add an entry to the log, in the caller's transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    session.add(
        AuditEntry(
            counsellor_id=counsellor.id,
            action=action,
            conversation_id=conversation_id,
            detail=detail,
            created_at=now,
        )
    )


def viewed(session: Session, counsellor: Counsellor, conversation_id: int, now: datetime) -> None:
    """Log that the counsellor read the conversation, unless they did within VIEW_AGAIN.

    A console page follows the API as the conversation changes: one read is logged per
    sitting, not one per refresh.
    """
    seen = session.scalar(
        select(AuditEntry.id)
        .where(
            AuditEntry.conversation_id == conversation_id,
            AuditEntry.counsellor_id == counsellor.id,
            AuditEntry.action == "view",
            AuditEntry.created_at > now - VIEW_AGAIN,
        )
        .limit(1)
    )
    if seen is None:
        record(session, counsellor, "view", conversation_id, now)


def entries_after(
    session: Session, reader: Counsellor, after: int, limit: int
) -> tuple[AuditView, ...]:
    """List the entries after an id, oldest first; only supervisors and admins may."""
    if not supervises(reader):
        raise NotPermitted(
            "only supervisors and admins may read the audit log", "audit_supervisors"
        )
    rows = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.id > after)
        .order_by(AuditEntry.id)
        .limit(limit)
        .options(selectinload(AuditEntry.counsellor))
    ).all()
    return tuple(view_of(entry) for entry in rows)


def entries_before(
    session: Session, reader: Counsellor, before: int | None, limit: int
) -> tuple[AuditView, ...]:
    """List the entries before an id, or the latest, newest first; for supervisors and admins."""
    if not supervises(reader):
        raise NotPermitted(
            "only supervisors and admins may read the audit log", "audit_supervisors"
        )
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    rows = session.scalars(query.options(selectinload(AuditEntry.counsellor))).all()
    return tuple(view_of(entry) for entry in rows)


def view_of(entry: AuditEntry) -> AuditView:
    """The entry as read out, with the counsellor's username rather than their id."""
    return AuditView(
        id=entry.id,
        at=entry.created_at,
        counsellor=entry.counsellor.username if entry.counsellor else None,
        action=entry.action,
        conversation_id=entry.conversation_id,
        detail=dict(entry.detail),
    )
