"""Admins' changes to counsellor accounts, each written to the audit log.

Changes that take access away (deactivating, a new password, a new second factor)
raise the account's session version, which ends every console session it has open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from responder.staff import audit, auth
from responder.store.models import Counsellor


@dataclass(frozen=True)
class AccountView:
    id: int
    username: str
    role: str
    active: bool
    available: bool
    two_factor: bool
    locked: bool


def list_accounts(session: Session, now: datetime) -> tuple[AccountView, ...]:
    """List every account by name, with what an admin needs to see of it."""
    return tuple(
        AccountView(
            id=counsellor.id,
            username=counsellor.username,
            role=counsellor.role,
            active=counsellor.active,
            available=counsellor.available,
            two_factor=counsellor.totp_secret is not None,
            locked=counsellor.locked_until is not None and now < counsellor.locked_until,
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


def deactivate(session: Session, admin: Counsellor, account_id: int, now: datetime) -> None:
    """Stop an account from signing in or using its tokens, and end its sessions."""
    counsellor = _account(session, account_id)
    if counsellor.id == admin.id:
        raise auth.AccountError("you cannot deactivate your own account")
    counsellor.active = False
    counsellor.available = False
    _end_sessions(counsellor)
    audit.record(session, admin, "account_deactivate", None, now, username=counsellor.username)


def reactivate(session: Session, admin: Counsellor, account_id: int, now: datetime) -> None:
    """Let a deactivated account sign in again."""
    counsellor = _account(session, account_id)
    counsellor.active = True
    audit.record(session, admin, "account_reactivate", None, now, username=counsellor.username)


def reset_password(
    session: Session, admin: Counsellor, account_id: int, password: str, now: datetime
) -> None:
    """Give an account a new password, lift its lock, and end its sessions."""
    if len(password) < auth.MIN_PASSWORD:
        raise auth.AccountError(f"a password needs at least {auth.MIN_PASSWORD} characters")
    counsellor = _account(session, account_id)
    counsellor.password_hash = generate_password_hash(password)
    counsellor.failed_logins = 0
    counsellor.locked_until = None
    _end_sessions(counsellor)
    audit.record(session, admin, "account_password_reset", None, now, username=counsellor.username)


def reset_two_factor(session: Session, admin: Counsellor, account_id: int, now: datetime) -> None:
    """Forget an account's TOTP secret, for a lost phone, and end its sessions.

    Supervisors and admins set up a new one at their next sign-in.
    """
    counsellor = _account(session, account_id)
    counsellor.totp_secret = None
    counsellor.totp_last_step = None
    _end_sessions(counsellor)
    audit.record(session, admin, "account_2fa_reset", None, now, username=counsellor.username)


def _account(session: Session, account_id: int) -> Counsellor:
    counsellor = session.get(Counsellor, account_id, with_for_update=True)
    if counsellor is None:
        raise auth.AccountError("there is no such account")
    return counsellor


def _end_sessions(counsellor: Counsellor) -> None:
    counsellor.session_version += 1
