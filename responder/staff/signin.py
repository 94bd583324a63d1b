"""Signing in to the console: passwords, slowing and locking after failures, TOTP codes.

Kept free of Flask like auth.py: the console's views ask, then keep the answer in the
browser's session. Each function takes a Session and never commits; a refusal has
usually changed the failure count, so the caller commits before answering it.
"""

from __future__ import annotations

import functools
import hmac
from datetime import datetime, timedelta
from typing import Literal

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from responder.privacy.addresses import Keys
from responder.store.models import Counsellor

# Roles that must sign in with a code as well as a password; counsellors may choose to.
TWO_FACTOR_ROLES = frozenset({"supervisor", "admin"})
ISSUER = "Helpline Responder"
# From the third failure in a row each next attempt waits 2^failures seconds; the
# fifth locks the account. A refusal window rather than a sleep keeps a worker free
# while someone guesses, and still makes guessing slow.
SLOW_AFTER = 3
LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=15)

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


def check_password(session: Session, username: str, password: str, now: datetime) -> Counsellor:
    """Return the account the password opens, or raise Refused, counting the failure."""
    counsellor = session.scalars(
        select(Counsellor).where(Counsellor.username == username).with_for_update()
    ).first()
    # The hash is checked for unknown names and locked accounts too, so the time an
    # answer takes does not tell which names exist.
    stored = counsellor.password_hash if counsellor is not None else _unknown_user_hash()
    matches = check_password_hash(stored, password)
    if counsellor is None:
        raise Refused("wrong_password")
    _hear(counsellor, now)
    if not matches:
        _fail(counsellor, now)
        raise Refused("wrong_password")
    if not counsellor.active:
        raise Refused("deactivated")
    return counsellor


def succeed(counsellor: Counsellor) -> None:
    """Clear the failure count once a sign-in is complete."""
    counsellor.failed_logins = 0
    counsellor.locked_until = None


def check_code(
    session: Session, counsellor: Counsellor, keys: Keys, code: str, now: datetime
) -> None:
    """Accept a TOTP code of the account's, once, or raise Refused, counting the failure."""
    if counsellor.totp_secret is None:
        raise Refused("wrong_code")
    _accept_code(counsellor, keys.decrypt(counsellor.totp_secret), code, now)


def new_secret() -> str:
    """Return a fresh TOTP secret in base32, as authenticator apps take it."""
    return pyotp.random_base32()


def setup_uri(secret: str, username: str) -> str:
    """Return the otpauth:// address an authenticator app reads the secret from."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def enrol(counsellor: Counsellor, keys: Keys, secret: str, code: str, now: datetime) -> None:
    """Turn TOTP on with a new secret once a first code from it is right; else raise Refused."""
    _accept_code(counsellor, secret, code, now)
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


def _accept_code(counsellor: Counsellor, secret: str, code: str, now: datetime) -> None:
    _hear(counsellor, now)
    step = matching_step(secret, code, now)
    if step is None:
        _fail(counsellor, now)
        raise Refused("wrong_code")
    # A code seen on a shoulder or in a proxy's log must not sign in a second time.
    if counsellor.totp_last_step is not None and step <= counsellor.totp_last_step:
        raise Refused("used_code")
    counsellor.totp_last_step = step
    succeed(counsellor)


def _hear(counsellor: Counsellor, now: datetime) -> None:
    if counsellor.locked_until is not None and now < counsellor.locked_until:
        raise Refused("too_many")


def _fail(counsellor: Counsellor, now: datetime) -> None:
    counsellor.failed_logins += 1
    failures = counsellor.failed_logins
    if failures >= LOCK_AFTER:
        counsellor.locked_until = now + LOCK_FOR
    elif failures >= SLOW_AFTER:
        counsellor.locked_until = now + timedelta(seconds=2**failures)


@functools.cache
def _unknown_user_hash() -> str:
    return generate_password_hash("a password no account has")
