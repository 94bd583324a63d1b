"""Admins' changes to counsellor accounts, each written to the audit log.

Changes that take access away (deactivating, a new password, a new second factor)
raise the account's session version, which ends every console session it has open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from responder.bot.content import Content
from responder.counselling import reassignment
from responder.errors import HandoffError
from responder.staff import audit, auth, presence
from responder.store.models import Conversation, Counsellor

# Where a deactivated account's open conversations go, when not to a named counsellor.
QUEUE = "queue"


@dataclass(frozen=True)
class AccountView:
    id: int
    username: str
    role: str
    active: bool
    available: bool
    two_factor: bool
    open_conversations: int  # held now: deactivating asks where they go
    tokens: tuple[auth.TokenView, ...] = ()  # its API tokens, revoked and expired ones too


def list_accounts(session: Session) -> tuple[AccountView, ...]:
    """List every account by name, with what an admin needs to see of it."""
    rows = session.execute(
        select(Conversation.counsellor_id, func.count(Conversation.id))
        .where(Conversation.state == "counsellor", Conversation.counsellor_id.is_not(None))
        .group_by(Conversation.counsellor_id)
    ).all()
    held = {counsellor_id: count for counsellor_id, count in rows}
    tokens = auth.tokens_by_account(session)
    return tuple(
        AccountView(
            id=counsellor.id,
            username=counsellor.username,
            role=counsellor.role,
            active=counsellor.active,
            available=counsellor.available,
            two_factor=counsellor.totp_secret is not None,
            open_conversations=held.get(counsellor.id, 0),
            tokens=tokens.get(counsellor.id, ()),
        )
        for counsellor in session.scalars(select(Counsellor).order_by(Counsellor.username))
    )


def add(
    session: Session,
    admin: Counsellor,
    username: str,
    role: str,
    password: str,
    max_open: int,
    now: datetime,
) -> Counsellor:
    """Create an account; raise auth.AccountError if it cannot be."""
    counsellor = auth.add_counsellor(session, username, role, password, max_open, now)
    audit.record(session, admin, "account_add", None, now, username=username, role=role)
    return counsellor


def deactivate(
    session: Session,
    admin: Counsellor,
    account_id: int,
    now: datetime,
    content: Content,
    handover: str | None = None,
    window: timedelta = timedelta(seconds=120),
) -> None:
    """Stop an account from signing in or using its tokens, and end its sessions.

    Its open conversations go first where the admin says: handover is QUEUE, or the
    username of a counsellor present with room for all of them (within window).
    Without a handover an account holding conversations is not deactivated: nobody
    could act on them.
    """
    counsellor = _account(session, account_id)
    if counsellor.id == admin.id:
        raise auth.AccountError("you cannot deactivate your own account", "own")
    held = reassignment.held_by(session, counsellor)
    if held:
        _hand_over(session, admin, counsellor, held, Handover(handover, now, window, content))
    counsellor.active = False
    counsellor.available = False
    auth.end_sessions(counsellor)
    audit.record(session, admin, "account_deactivate", None, now, username=counsellor.username)


@dataclass(frozen=True)
class Handover:
    """Where a leaving account's conversations go, and what the texters are told."""

    to: str | None  # QUEUE or a username
    now: datetime
    window: timedelta  # how recently a receiver must have had the console open
    content: Content


def _hand_over(
    session: Session,
    admin: Counsellor,
    leaving: Counsellor,
    held: Sequence[Conversation],
    handover: Handover,
) -> None:
    count = len(held)
    some = "1 open conversation" if count == 1 else f"{count} open conversations"
    now = handover.now
    if not handover.to:
        raise auth.AccountError(
            f"{leaving.username} has {some}: choose whether they go to the queue or to a "
            "counsellor who is here",
            "handover_one" if count == 1 else "handover_other",
            name=leaving.username,
            count=count,
        )
    why = f"{leaving.username}'s account was deactivated"
    if handover.to == QUEUE:
        for conversation in held:
            reassignment.to_queue(session, conversation, admin, why, now, handover.content)
            audit.record(session, admin, "requeue", conversation.id, now)
        return
    receiver = session.scalars(
        select(Counsellor).where(Counsellor.username == handover.to).with_for_update()
    ).first()
    if receiver is None or receiver.id == leaving.id:
        raise auth.AccountError(
            f"{handover.to!r} cannot take {leaving.username}'s conversations",
            "handover_refused",
            handover=handover.to,
            name=leaving.username,
        )
    try:
        presence.require_room(session, receiver, now, handover.window, count)
    except HandoffError as refusal:
        raise auth.AccountError(str(refusal)) from None
    for conversation in held:
        reassignment.to_counsellor(session, conversation, receiver, admin, why, now)
        audit.record(session, admin, "transfer", conversation.id, now, to=receiver.username)


def reactivate(session: Session, admin: Counsellor, account_id: int, now: datetime) -> None:
    """Let a deactivated account sign in again."""
    counsellor = _account(session, account_id)
    counsellor.active = True
    audit.record(session, admin, "account_reactivate", None, now, username=counsellor.username)


def reset_password(
    session: Session, admin: Counsellor, account_id: int, password: str, now: datetime
) -> None:
    """Give an account a new password and end its sessions."""
    if len(password) < auth.MIN_PASSWORD:
        raise auth.password_too_short()
    counsellor = _account(session, account_id)
    counsellor.password_hash = generate_password_hash(password)
    auth.end_sessions(counsellor)
    audit.record(session, admin, "account_password_reset", None, now, username=counsellor.username)


def sign_out_everywhere(
    session: Session, admin: Counsellor, account_id: int, now: datetime
) -> None:
    """End every session of an account (a lost laptop, a shared computer) and take it off duty."""
    counsellor = _account(session, account_id)
    auth.end_sessions(counsellor)
    presence.signed_out(counsellor)
    audit.record(session, admin, "account_signed_out", None, now, username=counsellor.username)


def revoke_token(
    session: Session, admin: Counsellor, account_id: int, token_id: int, now: datetime
) -> None:
    """Stop one of an account's API tokens at once (a leaked script, a lost phone)."""
    counsellor = _account(session, account_id)
    name = auth.revoke_token(session, counsellor.id, token_id, now)
    audit.record(
        session, admin, "token_revoke", None, now, username=counsellor.username, token=name
    )


def reset_two_factor(session: Session, admin: Counsellor, account_id: int, now: datetime) -> None:
    """Forget an account's TOTP secret, for a lost phone, and end its sessions.

    Supervisors and admins set up a new one at their next sign-in.
    """
    counsellor = _account(session, account_id)
    counsellor.totp_secret = None
    counsellor.totp_last_step = None
    auth.end_sessions(counsellor)
    audit.record(session, admin, "account_2fa_reset", None, now, username=counsellor.username)


def _account(session: Session, account_id: int) -> Counsellor:
    counsellor = session.get(Counsellor, account_id, with_for_update=True)
    if counsellor is None:
        raise auth.AccountError("there is no such account", "no_account")
    return counsellor
