"""`responder keys ...`: moving stored data from an earlier data key to the current one."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from responder import services
from responder.privacy import rotation
from responder.privacy.addresses import Keys
from responder.store.db import get_session

# A batch meets the webhook's locks, a deadlock with a purge, or SQLite's busy database;
# trying the same batch again is all it takes, and what committed stays done.
ATTEMPTS = 3

Step = Callable[[Session, Keys, int, int], rotation.Batch]


@click.group()
def keys() -> None:
    """Rotate the keys the helpline keeps its data under."""


@keys.command("rotate")
@click.option(
    "--batch",
    type=click.IntRange(1, 10_000),
    default=rotation.BATCH,
    show_default=True,
    help="Rows changed in each transaction.",
)
@with_appcontext
def keys_rotate(batch: int) -> None:
    """Re-encrypt and re-hash, under RESPONDER_DATA_KEY, what its fallbacks made.

    Run it once every process reads under RESPONDER_DATA_KEY_FALLBACKS too: each batch
    commits, so the helpline keeps serving, and a second run, or one after an
    interruption, changes only what is still to do. Prints counts, never numbers.
    """
    session, data_keys = get_session(), services.of().keys
    done = rotation.Rotated()
    for found in _batches(session, rotation.contacts, data_keys, batch):
        done.contacts += found.checked
        done.contacts_changed += found.changed
        done.unreadable += found.unreadable
        done.clashes += found.clashes
    for found in _batches(session, rotation.accounts, data_keys, batch):
        done.accounts += found.checked
        done.accounts_changed += found.changed
        done.unreadable += found.unreadable
    done.signin_failures = rotation.drop_signin_failures(session)
    session.commit()
    for line in done.lines():
        click.echo(line)
    if done.unreadable:
        raise click.ClickException(
            f"{done.unreadable} value(s) were encrypted with a key that is neither "
            "RESPONDER_DATA_KEY nor in RESPONDER_DATA_KEY_FALLBACKS: keep the fallbacks, "
            "add that key to them and run this again"
        )


def _batches(session: Session, step: Step, keys: Keys, limit: int) -> Iterator[rotation.Batch]:
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


def _committed(session: Session, step: Step, keys: Keys, after: int, limit: int) -> rotation.Batch:
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
                raise click.ClickException(
                    f"the database refused a batch {ATTEMPTS} times ({type(exc).__name__}); "
                    "run the command again: what was done stays done"
                ) from None
            attempt += 1
