"""What people write, stored sealed under a key of the texter's own.

Every contact has a text key (a Fernet key, itself encrypted with the data key). Message
texts, counsellors' notes and wrap-up summaries are sealed with the key of the texter
they belong to before they reach the database, and opened when read. Erasing a texter
deletes their contact row and the key with it: whatever copy of their words is left in
the database files, the write-ahead log or a later dump or backup can no longer be read,
by anyone, with any key.

A model maps the stored column as `sealed_body` and declares `body = sealed.text(
"sealed_body")`: `body` stays the plain text for reading, writing and queries
(`Message.body.is_(None)` compares the stored column, None exactly when the text is).
Sealing happens as the session flushes, so code writes `Message(body=...)` as before.
Core selects that read the column get tokens, and open them with
`opened(session, text_key, token)`; Core inserts write the token `sealed_for(session,
conversation, text)` gives. A model with sealed text needs a `conversation`
relationship: that is how its texter, and so its key, is found.

The keys come from the session (`info["keys"]`, set by store.db): a session without
them can read rows written before sealing existed but cannot write any text.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import event, inspect
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Session, object_session

if TYPE_CHECKING:
    from responder.privacy.addresses import Keys

# A sealed text starts with this; rows from before sealing hold plain text, without it.
PREFIX = "v1:"
UNREADABLE = "[this text could not be opened]"
KEYS = "keys"  # where a session's info holds the data keys
# Set in a session's info by a transaction that deletes texters' keys (forget).
FORGETTING = "forgetting"

log = logging.getLogger(__name__)


class SealingError(Exception):
    """A text cannot be sealed or opened: the session holding it has no data keys."""


def text(stored: str) -> hybrid_property[str | None]:
    """The plain text of the column attribute `stored`, which holds it sealed.

    Reading opens it (once per loaded value); writing keeps the plain text until the
    session flushes and seals it; in a query it is the stored column.
    """

    def read(row: Any) -> str | None:
        return _open(row, stored)

    def write(row: Any, value: str | None) -> None:
        setattr(row, stored, value)
        row.__dict__.setdefault("_plain", {})[stored] = (value, value)
        unsealed = row.__dict__.setdefault("_unsealed", set())
        if value is None:
            unsealed.discard(stored)
        else:
            unsealed.add(stored)

    def column(cls: Any) -> Any:
        return getattr(cls, stored)

    return hybrid_property(read, write, expr=column)


def forget(session: Session) -> None:
    """Note that this transaction deletes texters' keys or words.

    Once it commits, store.db asks SQLite to copy its log into the database file and
    empty it: until then old versions of the changed pages, key and all, stay on disk.
    """
    session.info[FORGETTING] = True


def new_key(keys: Keys) -> str:
    """A fresh text key for a new contact, encrypted with the data key."""
    return keys.encrypt(Fernet.generate_key().decode())


def opened(session: Session, text_key: str | None, token: str | None) -> str | None:
    """Open a text read with a Core select, beside its contact's `text_key`."""
    if token is None or not token.startswith(PREFIX):
        return token  # empty, or written before texts were sealed
    return _unseal(_fernet(_keys(session), text_key), token)


def sealed_for(session: Session, conversation: Any, plain: str | None) -> str | None:
    """Seal a text written with a Core insert, under the key of the conversation's texter.

    A contact from before sealing is given its key here, to be stored at the next flush.
    """
    if plain is None:
        return None
    fernet = _contact_fernet(session, _parent(session, conversation, "contact"), create=True)
    return _sealed(fernet, plain)


def _sealed(fernet: Fernet | MultiFernet, plain: str) -> str:
    return PREFIX + fernet.encrypt(plain.encode()).decode()


def _open(row: Any, stored: str) -> str | None:
    token = getattr(row, stored)
    plain = row.__dict__.get("_plain", {}).get(stored)
    if plain is not None and plain[0] == token:
        return plain[1]
    if token is None or not token.startswith(PREFIX):
        return token
    session = object_session(row)
    if session is None:
        raise SealingError("a sealed text is read outside a session")
    text = _unseal(_contact_fernet(session, _contact(session, row)), token)
    row.__dict__.setdefault("_plain", {})[stored] = (token, text)
    return text


@event.listens_for(Session, "before_flush")
def _seal(session: Session, _context: object, _instances: object) -> None:
    """Seal every text written since the last flush, under its texter's key."""
    for row in (*session.new, *session.dirty):
        unsealed = row.__dict__.get("_unsealed")
        if not unsealed:
            continue
        fernet = _contact_fernet(session, _contact(session, row), create=True)
        for stored in sorted(unsealed):
            plain = getattr(row, stored)
            token = _sealed(fernet, plain)
            setattr(row, stored, token)
            row.__dict__["_plain"][stored] = (token, plain)
        unsealed.clear()


def _contact(session: Session, row: Any) -> Any:
    """The contact a text belongs to, or None for a conversation anonymised long ago."""
    conversation = _parent(session, row, "conversation")
    return None if conversation is None else _parent(session, conversation, "contact")


def _parent(session: Session, row: Any, name: str) -> Any:
    """A many-to-one parent, found through the relationship or, when an object still
    waiting for its first flush has only the id, by the id (the identity map first)."""
    found = getattr(row, name)
    if found is not None:
        return found
    relationship = inspect(type(row)).relationships[name]
    (column,) = relationship.local_columns
    parent_id = getattr(row, column.key)
    return None if parent_id is None else session.get(relationship.mapper.class_, parent_id)


def _contact_fernet(session: Session, contact: Any, create: bool = False) -> Fernet | MultiFernet:
    """The contact's key, opened once per loaded contact; made for a contact that has none."""
    keys = _keys(session)
    if contact is None:
        # Nobody to erase any more: the words stay sealed, under the data key.
        return keys.readers
    if contact.text_key is None and create:
        contact.text_key = new_key(keys)  # a contact stored before texts were sealed
    cached = contact.__dict__.get("_text_fernet")
    if cached is not None and cached[0] == contact.text_key:
        return cached[1]
    fernet = _fernet(keys, contact.text_key)
    contact._text_fernet = (contact.text_key, fernet)
    return fernet


def _fernet(keys: Keys, text_key: str | None) -> Fernet | MultiFernet:
    if text_key is None:
        return keys.readers  # sealed under the current data key, opened under any
    return Fernet(keys.decrypt(text_key).encode())


def _unseal(fernet: Fernet | MultiFernet, token: str) -> str:
    try:
        return fernet.decrypt(token[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        # Only a text from before sealing that happened to start like a sealed one gets
        # here: one line of a transcript says so, rather than the page failing.
        log.warning("a stored text could not be opened with its texter's key")
        return UNREADABLE


def _keys(session: Session) -> Keys:
    keys = session.info.get(KEYS)
    if keys is None:
        raise SealingError("the session has no data keys to seal or open texts with")
    return keys
