"""Signing in to the console: passwords, slowing down failures, TOTP codes.

Kept free of Flask like auth.py: the console's views ask, then keep the answer in the
browser's session. Each function takes a Session and never commits; a refusal has
usually changed the failure count, so the caller commits before answering it.

Failures slow down the client that makes them, never the account it names: a stranger
guessing cannot keep the owner out, and a name that does not exist is answered exactly
as one that does (the same words, the same status, a password hash checked either way).
The client is a keyed hash of its address, as the proxies in front report it.
"""

from __future__ import annotations

import functools
import hmac
from datetime import datetime, timedelta
from typing import Literal

import pyotp
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from responder.privacy.addresses import Keys
from responder.store.models import Counsellor
from responder.store.throttle import SigninFailure

# Roles that must sign in with a code as well as a password; counsellors may choose to.
TWO_FACTOR_ROLES = frozenset({"supervisor", "admin"})
ISSUER = "Helpline Responder"
# From the third failure in a row, the client's next attempt waits 2^failures seconds,
# at most LONGEST_WAIT. A refusal window rather than a sleep keeps a worker free while
# someone guesses, and still makes guessing slow.
SLOW_AFTER = 3
LONGEST_WAIT = timedelta(minutes=15)
# A client's failures are forgotten this long after its last one.
FORGET_AFTER = timedelta(days=1)

# Each refusal has a code, which the console says in the counsellor's language; the
# English beside it is the refusal's message, for logs and anything outside the console.
RefusalCode = Literal["wrong_password", "too_many", "deactivated", "wrong_code", "used_code"]
WRONG_PASSWORD = "Wrong username or password."
# The same words whether or not the account exists: they say nothing about who has one.
TOO_MANY = "Too many attempts: try again later."
DEACTIVATED = "This account is deactivated: ask an admin."
WRONG_CODE = "Wrong code: check the time on your phone and type the code it shows now."
USED_CODE = "That code has been used already: wait for the next one."


MESSAGES: dict[RefusalCode, str] = {
    "wrong_password": WRONG_PASSWORD,
    "too_many": TOO_MANY,
    "deactivated": DEACTIVATED,
    "wrong_code": WRONG_CODE,
    "used_code": USED_CODE,
}


class Refused(Exception):
    """A sign-in attempt is refused; the code names why, the message says it in English."""

    def __init__(self, code: RefusalCode) -> None:
        super().__init__(MESSAGES[code])
        self.code: RefusalCode = code


def needs_two_factor(counsellor: Counsellor) -> bool:
    """Tell whether the account must have TOTP set up before it may sign in."""
    return counsellor.role in TWO_FACTOR_ROLES


def check_password(
    session: Session, username: str, password: str, now: datetime, client: str
) -> Counsellor:
    """Return the account the password opens, or raise Refused, counting the client's failure."""
    _hear(session, client, now)
    counsellor = session.scalars(select(Counsellor).where(Counsellor.username == username)).first()
    # The hash is checked for unknown names too, so the time an answer takes does not
    # tell which names exist.
    stored = counsellor.password_hash if counsellor is not None else _unknown_user_hash()
    if not check_password_hash(stored, password) or counsellor is None:
        _fail(session, client, now)
        raise Refused("wrong_password")
    if not counsellor.active:
        raise Refused("deactivated")
    return counsellor


def succeed(session: Session, client: str) -> None:
    """Forget the client's failures once a sign-in is complete."""
    session.execute(delete(SigninFailure).where(SigninFailure.client == client))


def check_code(
    session: Session, counsellor: Counsellor, keys: Keys, code: str, now: datetime, client: str
) -> None:
    """Accept a TOTP code of the account's, once, or raise Refused, counting the failure."""
    _hear(session, client, now)
    if counsellor.totp_secret is None:
        raise Refused("wrong_code")
    _accept_code(session, counsellor, keys.decrypt(counsellor.totp_secret), code, now, client)


def new_secret() -> str:
    """Return a fresh TOTP secret in base32, as authenticator apps take it."""
    return pyotp.random_base32()


def setup_uri(secret: str, username: str) -> str:
    """Return the otpauth:// address an authenticator app reads the secret from."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def enrol(
    session: Session,
    counsellor: Counsellor,
    keys: Keys,
    secret: str,
    code: str,
    now: datetime,
    client: str,
) -> None:
    """Turn TOTP on with a new secret once a first code from it is right; else raise Refused."""
    _hear(session, client, now)
    _accept_code(session, counsellor, secret, code, now, client)
    counsellor.totp_secret = keys.encrypt(secret)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """Return the time step a code belongs to, one step either side allowed, or None."""
    totp = pyotp.TOTP(secret)
    code = "".join(code.split())
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _accept_code(
    session: Session, counsellor: Counsellor, secret: str, code: str, now: datetime, client: str
) -> None:
    step = matching_step(secret, code, now)
    if step is None:
        _fail(session, client, now)
        raise Refused("wrong_code")
    # A code seen on a shoulder or in a proxy's log must not sign in a second time.
    if counsellor.totp_last_step is not None and step <= counsellor.totp_last_step:
        raise Refused("used_code")
    counsellor.totp_last_step = step
    succeed(session, client)


def _hear(session: Session, client: str, now: datetime) -> None:
    """Refuse a client still in the window its last failures opened."""
    found = session.get(SigninFailure, client)
    if found is not None and found.wait_until is not None and now < found.wait_until:
        raise Refused("too_many")


def _fail(session: Session, client: str, now: datetime) -> None:
    """Count a failure against the client, and open a growing window from the third."""
    # Failures of clients quiet for a day are forgotten: they hold a hash of an address.
    session.execute(delete(SigninFailure).where(SigninFailure.last_failed_at < now - FORGET_AFTER))
    found = session.get(SigninFailure, client, with_for_update=True)
    if found is None:
        try:
            with session.begin_nested():
                session.add(SigninFailure(client=client, failures=0, last_failed_at=now))
        except IntegrityError:
            pass  # another request of the client's made the row at the same moment
        found = session.get(SigninFailure, client, with_for_update=True, populate_existing=True)
        assert found is not None
    found.failures += 1
    found.last_failed_at = now
    if found.failures >= SLOW_AFTER:
        # The exponent is bounded before the power: a long run of failures must not overflow.
        wait = timedelta(seconds=2 ** min(found.failures, 10))
        found.wait_until = now + min(wait, LONGEST_WAIT)


@functools.cache
def _unknown_user_hash() -> str:
    return generate_password_hash("a password no account has")
