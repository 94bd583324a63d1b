"""Rotating the data key: what was made with an earlier key, made again with the current one.

While RESPONDER_DATA_KEY_FALLBACKS holds the earlier keys, the app reads under every
key and writes under the current one (addresses.Keys), so the rows can move over one
batch at a time while texters write. A row already under the current key is left as it
is: a second run, or a run after an interruption, changes only what is still to do.

Each batch locks its rows, as the webhook locks a texter's contact, so a message
arriving meanwhile waits for the batch to commit and then finds the row by its new hash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from responder.errors import AddressError
from responder.privacy.addresses import Keys
from responder.store.models import Contact, Counsellor
from responder.store.throttle import SigninFailure

BATCH = 500
# A batch meets the webhook's locks, a deadlock with a purge, or SQLite's busy database;
# trying the same batch again is all it takes, and what committed stays done.
ATTEMPTS = 3


class Refused(Exception):
    """The database refused one batch ATTEMPTS times; what committed before stays done."""


@dataclass(frozen=True)
class Batch:
    """What one batch of rows came to; `last` is the id to go on after, None at the end."""

    last: int | None
    checked: int = 0
    changed: int = 0
    unreadable: int = 0
    clashes: int = 0


@dataclass
class Rotated:
    """How many rows a rotation looked at and changed, table by table."""

    contacts: int = 0
    contacts_changed: int = 0
    accounts: int = 0
    accounts_changed: int = 0
    signin_failures: int = 0
    unreadable: int = 0
    clashes: int = 0

    def lines(self) -> list[str]:
        """Describe the rotation in numbers only, one figure a line."""
        labels = {
            "contacts": "contacts checked",
            "contacts_changed": "contacts re-encrypted or re-hashed",
            "accounts": "two-factor secrets checked",
            "accounts_changed": "two-factor secrets re-encrypted",
            "signin_failures": "sign-in failure counts dropped",
            "unreadable": "values no key could decrypt",
            "clashes": "contacts left under an earlier hash (another has the number's new one)",
        }
        return [f"{labels[field.name]}: {getattr(self, field.name)}" for field in fields(self)]


def contacts(session: Session, keys: Keys, after: int, limit: int = BATCH) -> Batch:
    """Re-encrypt and re-hash the next contacts after the id `after` under the current key."""
    rows = session.scalars(
        select(Contact)
        .where(Contact.id > after)
        .order_by(Contact.id)
        .limit(limit)
        .with_for_update()
    ).all()
    numbers = _readable(keys, rows)
    new_hashes = {row.id: keys.hash(number) for row, number in numbers}
    moving = [digest for row, _ in numbers if (digest := new_hashes[row.id]) != row.address_hash]
    # A hash can be taken already when the same number was stored twice, once under each
    # key (two processes with different settings at once): the unique index then refuses
    # the second, so that row keeps its earlier hash and is only counted.
    taken = set(
        session.scalars(select(Contact.address_hash).where(Contact.address_hash.in_(moving)))
        if moving
        else ()
    )
    changed = clashes = 0
    unreadable = len(rows) - len(numbers)
    for row, number in numbers:
        before = (row.address_hash, row.address_encrypted, row.text_key)
        if not keys.is_current(row.address_encrypted):
            row.address_encrypted = keys.encrypt(number)
        if row.text_key is not None and not keys.is_current(row.text_key):
            try:
                row.text_key = keys.encrypt(keys.decrypt(row.text_key))
            except AddressError:
                # Counted like an unreadable number, so the run goes on and the command
                # fails at the end naming the count, rather than stopping half-way.
                unreadable += 1
        digest = new_hashes[row.id]
        if digest != row.address_hash:
            if digest in taken:
                clashes += 1
            else:
                taken.add(digest)
                row.address_hash = digest
        changed += (row.address_hash, row.address_encrypted, row.text_key) != before
    return Batch(rows[-1].id if rows else None, len(rows), changed, unreadable, clashes)


def accounts(session: Session, keys: Keys, after: int, limit: int = BATCH) -> Batch:
    """Re-encrypt the next accounts' TOTP secrets, after the id `after`, under the current key."""
    rows = session.scalars(
        select(Counsellor)
        .where(Counsellor.id > after, Counsellor.totp_secret.is_not(None))
        .order_by(Counsellor.id)
        .limit(limit)
        .with_for_update()
    ).all()
    changed = unreadable = 0
    for row in rows:
        sealed = row.totp_secret
        assert sealed is not None
        if keys.is_current(sealed):
            continue
        try:
            row.totp_secret = keys.encrypt(keys.decrypt(sealed))
        except AddressError:
            unreadable += 1
            continue
        changed += 1
    return Batch(rows[-1].id if rows else None, len(rows), changed, unreadable)


def drop_signin_failures(session: Session) -> int:
    """Delete every client's sign-in failure count; return how many went.

    They are kept by a keyed hash of the client's address, which cannot be made again
    without the address, and they last a day at most. A key retired because it may have
    leaked must not leave addresses open to guessing, so a client being slowed down
    starts counting afresh instead.
    """
    return session.execute(delete(SigninFailure)).rowcount


def _readable(keys: Keys, rows: Sequence[Contact]) -> list[tuple[Contact, str]]:
    found = []
    for row in rows:
        try:
            found.append((row, keys.decrypt(row.address_encrypted)))
        except AddressError:
            continue
    return found


Step = Callable[[Session, Keys, int, int], Batch]


def rotate(session: Session, keys: Keys, limit: int = BATCH) -> Rotated:
    """Move every contact and two-factor secret to the current key, a batch at a time.

    Each batch commits on its own, so the helpline keeps serving meanwhile; a run after
    an interruption does only what is left.
    """
    done = Rotated()
    for found in _batches(session, contacts, keys, limit):
        done.contacts += found.checked
        done.contacts_changed += found.changed
        done.unreadable += found.unreadable
        done.clashes += found.clashes
    for found in _batches(session, accounts, keys, limit):
        done.accounts += found.checked
        done.accounts_changed += found.changed
        done.unreadable += found.unreadable
    done.signin_failures = drop_signin_failures(session)
    session.commit()
    return done


def _batches(session: Session, step: Step, keys: Keys, limit: int) -> Iterator[Batch]:
    """Run step batch after batch, committing each, until it finds no more rows."""
    after = 0
    while True:
        found = _committed(session, step, keys, after, limit)
        if found.last is None:
            return
        yield found
        after = found.last
        # Committed rows are done with; a large table must not pile up in the session.
        session.expunge_all()


def _committed(session: Session, step: Step, keys: Keys, after: int, limit: int) -> Batch:
    attempt = 1
    while True:
        try:
            found = step(session, keys, after, limit)
            session.commit()
            return found
        except (IntegrityError, OperationalError) as exc:
            session.rollback()
            if attempt == ATTEMPTS:
                # The class name only: the statement's parameters are hashes and ciphertext.
                raise Refused(
                    f"the database refused a batch {ATTEMPTS} times ({type(exc).__name__}); "
                    "run the command again: what was done stays done"
                ) from None
            attempt += 1
