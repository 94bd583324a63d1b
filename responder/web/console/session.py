"""Who is signed in to the console, kept in Flask's signed session cookie.

The cookie holds the account's id, a CSRF token and the account's session version.
The version is checked against the database on every request, so deactivating an
account or resetting its password ends its sessions at once, in every worker. A
session also ends a shift after sign-in, however busy it was.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from responder.staff import presence
from responder.store.db import get_session
from responder.store.models import Counsellor
from responder.web.console.words import say

P = ParamSpec("P")
R = TypeVar("R", bound=ResponseReturnValue)
# Time to type the code after the password, or to set up an authenticator app.
SECOND_STEP = timedelta(minutes=10)


def csrf_token() -> str:
    """Return the session's CSRF token, creating one for a browser that has none yet."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_matches(sent: str | None) -> bool:
    """Tell whether a token sent with a request is this session's own."""
    expected = session.get("csrf")
    return (
        isinstance(expected, str)
        and isinstance(sent, str)
        and hmac.compare_digest(expected.encode(), sent.encode())
    )


def start(counsellor: Counsellor, now: datetime) -> None:
    """Sign the browser in as the account, with a fresh session and CSRF token."""
    session.clear()
    session.permanent = True
    session["counsellor_id"] = counsellor.id
    session["session_version"] = counsellor.session_version
    session["signed_in_at"] = now.timestamp()
    session["csrf"] = secrets.token_urlsafe(32)


def hold(counsellor: Counsellor, now: datetime, next_path: str | None) -> None:
    """Remember an account whose password was right while its code is still to come."""
    session.clear()
    session["pending_id"] = counsellor.id
    session["pending_version"] = counsellor.session_version
    session["pending_at"] = now.timestamp()
    session["csrf"] = secrets.token_urlsafe(32)
    if next_path:
        session["next"] = next_path


def end() -> None:
    """Sign the browser out."""
    session.clear()


def signed_in_counsellor(db: Session, now: datetime) -> Counsellor | None:
    """Return the account the browser is signed in as, if its session still holds."""
    return _account(
        db,
        session.get("counsellor_id"),
        session.get("session_version"),
        session.get("signed_in_at"),
        now,
        current_app.permanent_session_lifetime,
    )


def pending_counsellor(db: Session, now: datetime) -> Counsellor | None:
    """Return the account waiting for its second step, if it has not waited too long."""
    return _account(
        db,
        session.get("pending_id"),
        session.get("pending_version"),
        session.get("pending_at"),
        now,
        SECOND_STEP,
    )


def signed_in(*roles: str) -> Callable[[Callable[P, R]], Callable[P, ResponseReturnValue]]:
    """Let a view through for a signed-in account of one of the roles (any role if none).

    Others are sent to the sign-in page, and the wrong role gets 403. The account is
    put on g.counsellor.
    """

    def decorate(view: Callable[P, R]) -> Callable[P, ResponseReturnValue]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            counsellor = signed_in_counsellor(get_session(), datetime.now(UTC))
            if counsellor is None:
                session.pop("counsellor_id", None)
                return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
            g.counsellor = counsellor
            # Kept in the cookie too, for the pages drawn before the account is read (an
            # expired form is refused before any view runs).
            if session.get("console_language") != counsellor.console_language:
                session["console_language"] = counsellor.console_language
            # Each page opened shows the counsellor is there; the time is its own short
            # unit of work, written at most every few seconds (staff.presence).
            if presence.seen(counsellor, datetime.now(UTC)):
                get_session().commit()
            if roles and counsellor.role not in roles:
                abort(403, description=say("error.not_your_role"))
            return view(*args, **kwargs)

        return wrapper

    return decorate


def safe_next(path: str | None) -> str | None:
    """Return a path to go to after signing in, if it stays inside the console."""
    if not path:
        return None
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or "\\" in path or not path.startswith("/console/"):
        return None
    return path


def _account(
    db: Session,
    account_id: object,
    version: object,
    since: object,
    now: datetime,
    lifetime: timedelta,
) -> Counsellor | None:
    if not isinstance(account_id, int) or not isinstance(since, float):
        return None
    if not 0 <= now.timestamp() - since < lifetime.total_seconds():
        return None
    counsellor = db.get(Counsellor, account_id)
    if counsellor is None or not counsellor.active or counsellor.session_version != version:
        return None
    return counsellor
