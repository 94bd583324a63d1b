"""Counsellor accounts, API bearer tokens and roles.

Kept free of Flask: the API asks who a request speaks for by passing the header it
got, so the browser console's session cookie can be added as a second way in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from responder.store.models import ROLES, ApiToken, Counsellor

# Roles that may reassign, release and close conversations that are not their own.
SUPERVISING_ROLES = frozenset({"supervisor", "admin"})
USERNAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
MIN_PASSWORD = 8
# last_used_at is for spotting forgotten tokens, not an audit trail: writing it on
# every request would turn each read into a write, so it is refreshed once a minute.
TOUCH_EVERY = timedelta(minutes=1)
# How long a new API token works unless told otherwise (RESPONDER_TOKEN_DAYS).
TOKEN_LIFETIME = timedelta(days=90)
MAX_TOKEN_NAME = 64


class AccountError(ValueError):
    """An account cannot be created or found; the message says why, in English.

    code names the refusal and values fill in its words, so that the console can say it
    in the admin's own language; None where there are only the English words.
    """

    def __init__(self, message: str, code: str | None = None, **values: object) -> None:
        super().__init__(message)
        self.code = code
        self.values = values


def end_sessions(counsellor: Counsellor) -> None:
    """End every console session of the account, on every device, at its next request.

    A session cookie names the account's session version; a new version refuses them
    all, a copied cookie included, also for the API calls the console's scripts make.
    """
    counsellor.session_version += 1


def supervises(counsellor: Counsellor) -> bool:
    """Tell whether the counsellor may act on conversations that are not theirs."""
    return counsellor.role in SUPERVISING_ROLES


def add_counsellor(
    session: Session, username: str, role: str, password: str, max_open: int, now: datetime
) -> Counsellor:
    """Create an account with a hashed password; raise AccountError if it cannot be."""
    if not USERNAME.match(username):
        raise AccountError("a name is 1 to 64 letters, digits, dots, dashes or underscores", "name")
    if role not in ROLES:
        raise AccountError(f"a role is one of {', '.join(ROLES)}", "role", roles=", ".join(ROLES))
    if len(password) < MIN_PASSWORD:
        raise password_too_short()
    taken = AccountError(f"a counsellor named {username!r} already exists", "taken", name=username)
    if session.scalar(select(Counsellor.id).where(Counsellor.username == username)) is not None:
        raise taken
    counsellor = Counsellor(
        username=username,
        role=role,
        password_hash=generate_password_hash(password),
        max_open=max_open,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(counsellor)
    except IntegrityError:
        # Someone created the same name between the check and the insert.
        raise taken from None
    return counsellor


def password_too_short() -> AccountError:
    return AccountError(
        f"a password needs at least {MIN_PASSWORD} characters", "password", min=MIN_PASSWORD
    )


@dataclass(frozen=True)
class TokenView:
    """An API token as its owner and admins see it: never the token itself."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime
    revoked_at: datetime | None

    def working(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


def issue_token(
    session: Session,
    username: str,
    now: datetime,
    name: str | None = None,
    lifetime: timedelta = TOKEN_LIFETIME,
) -> str:
    """Create a new API token for the account and return it; only its hash is kept."""
    counsellor = counsellor_named(session, username)
    taken = set(session.scalars(select(ApiToken.name).where(ApiToken.counsellor == counsellor)))
    if name is None:
        name = next(f"token-{n}" for n in range(1, len(taken) + 2) if f"token-{n}" not in taken)
    name = name.strip()
    if not name or len(name) > MAX_TOKEN_NAME:
        raise AccountError(f"a token name has 1 to {MAX_TOKEN_NAME} characters", "token_name")
    if name in taken:
        raise AccountError(f"{username} already has a token named {name!r}", "token_taken")
    token = secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            counsellor=counsellor,
            name=name,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


def counsellor_named(session: Session, username: str) -> Counsellor:
    """Find an account by its name, or refuse."""
    counsellor = session.scalars(select(Counsellor).where(Counsellor.username == username)).first()
    if counsellor is None:
        raise AccountError(f"no counsellor named {username!r}", "no_account")
    return counsellor


def tokens(session: Session, counsellor_id: int) -> tuple[TokenView, ...]:
    """List an account's tokens, newest first, revoked and expired ones included."""
    return tokens_by_account(session, counsellor_id).get(counsellor_id, ())


def tokens_by_account(
    session: Session, counsellor_id: int | None = None
) -> dict[int, tuple[TokenView, ...]]:
    """Every account's tokens (or one account's), newest first, in one query."""
    query = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if counsellor_id is not None:
        query = query.where(ApiToken.counsellor_id == counsellor_id)
    found: dict[int, list[TokenView]] = {}
    for t in session.scalars(query):
        view = TokenView(t.id, t.name, t.created_at, t.last_used_at, t.expires_at, t.revoked_at)
        found.setdefault(t.counsellor_id, []).append(view)
    return {account: tuple(views) for account, views in found.items()}


def revoke_token(session: Session, counsellor_id: int, token_id: int, now: datetime) -> str:
    """Stop a token at once; return its name. Revoking one twice changes nothing."""
    token = session.get(ApiToken, token_id, with_for_update=True)
    if token is None or token.counsellor_id != counsellor_id:
        raise AccountError("there is no such token", "no_token")
    if token.revoked_at is None:
        token.revoked_at = now
    return token.name


def token_named(session: Session, username: str, name: str) -> ApiToken:
    """Find an account's token by its name, or refuse saying which is missing."""
    token = session.scalars(
        select(ApiToken)
        .join(Counsellor, ApiToken.counsellor_id == Counsellor.id)
        .where(Counsellor.username == username, ApiToken.name == name)
    ).first()
    if token is None:
        raise AccountError(f"{username} has no token named {name!r}", "no_token")
    return token


def token_hash(token: str) -> str:
    """Return the SHA-256 of a token, the only form of it that is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(authorization: str | None) -> str | None:
    """Return the token of an `Authorization: Bearer ...` header, or None."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def counsellor_for_token(session: Session, token: str, now: datetime) -> Counsellor | None:
    """Return the active counsellor a token belongs to, noting its use, or None."""
    api_token = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == token_hash(token))
    ).first()
    if api_token is None or not api_token.counsellor.active:
        return None
    if api_token.revoked_at is not None or now >= api_token.expires_at:
        return None
    if api_token.last_used_at is None or now - api_token.last_used_at >= TOUCH_EVERY:
        api_token.last_used_at = now
    return api_token.counsellor
