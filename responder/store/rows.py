"""A texter's contact and episodes as plain rows: the objects of the message hot path.

Every message reads its texter's contact and open episode, changes a few of their columns
and writes them back. Through the ORM's unit of work the bookkeeping around those few
statements cost more than the statements themselves. Here the rows are read with Core,
changed as plain objects that carry the models' attribute names (so a rule written for a
Contact or a Conversation reads them as well), and written back by `save`: an UPDATE for
each row that changed, an INSERT for an episode begun by this message, and the change
feed's events in one statement. An ORM copy of a written row that the session already
holds is expired, so code reading through the ORM afterwards sees the new values.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from responder.store import events
from responder.store.models import Contact, Conversation, Event

_CONTACTS = Contact.__table__
_CONVERSATIONS = Conversation.__table__
_EVENTS = Event.__table__
# Built once; the columns to SET are the keys of the parameters each call passes.
_UPDATE_CONTACT = update(_CONTACTS).where(_CONTACTS.c.id == bindparam("row_id"))
_UPDATE_CONVERSATION = update(_CONVERSATIONS).where(_CONVERSATIONS.c.id == bindparam("row_id"))
_INSERT_CONVERSATION = insert(_CONVERSATIONS)
# Inline: nothing reads an event's id back. Otherwise a single row on PostgreSQL gets
# RETURNING, and a result to build and read, for nothing.
_INSERT_EVENTS = insert(_EVENTS).inline()


class _Row:
    """A row's columns as attributes, and their values as last read or written."""

    model: ClassVar[type[Contact] | type[Conversation]]
    columns: ClassVar[tuple[str, ...]]

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)
        self._stored = _copied(values)

    def changes(self) -> dict[str, Any]:
        """The columns whose value differs from the one in the database."""
        stored, held = self._stored, self.__dict__
        return {
            name: held[name]
            for name in self.columns
            if name not in stored or stored[name] != held[name]
        }

    def _written(self, session: Session) -> None:
        self._stored = _copied({name: self.__dict__[name] for name in self.columns})
        # An ORM copy of the row loaded earlier in the request (the look for held texts
        # loads conversations) would go on showing what the row held before; nothing on
        # the hot path changes such a copy, so expiring it loses nothing.
        loaded = session.identity_map.get(identity_key(self.model, self.__dict__["id"]))
        if loaded is not None:
            session.expire(loaded)


class ContactRow(_Row):
    """A texter's contact, locked for this message, with the episodes read beside it."""

    model = Contact
    columns = tuple(_CONTACTS.c.keys())
    id: int
    address_hash: str
    text_key: str | None
    country: str | None
    opted_out: bool
    opted_out_at: datetime | None
    erase_requested_at: datetime | None
    blocked_at: datetime | None
    blocked_until: datetime | None
    age_asked_at: datetime | None
    under_18: bool | None

    def __init__(self, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        # Every episode this message read or began: save writes those that changed.
        self.episodes: list[ConversationRow] = []


class ConversationRow(_Row):
    """One episode of a texter, read locked beside their contact or begun by this message."""

    model = Conversation
    columns = tuple(_CONVERSATIONS.c.keys())
    id: int | None  # None until save inserts an episode this message began
    contact_id: int | None
    channel: str
    helpline_address: str
    state: str
    language: str
    page: str | None
    history: list[str]
    age_question_for: str | None
    started_at: datetime
    last_message_at: datetime
    closed_at: datetime | None
    priority: int
    crisis_at: datetime | None
    queued_at: datetime | None
    wait_notices: int
    acknowledged_at: datetime | None
    rate_window_start: datetime | None
    rate_window_count: int
    survey_pending: bool
    survey_answer: str | None

    def __init__(self, values: Mapping[str, Any], contact: ContactRow) -> None:
        super().__init__(values)
        self.contact = contact
        self.events: list[tuple[str, datetime]] = []
        contact.episodes.append(self)

    def record(self, kind: str, now: datetime) -> None:
        """Add an event to the change feed, written with the row by save."""
        if kind not in events.KINDS:
            raise ValueError(f"unknown event kind {kind!r}")
        self.events.append((kind, now))


def created(values: Mapping[str, Any]) -> ContactRow:
    """A contact just inserted with these values and its id; columns not given are None."""
    return ContactRow({**dict.fromkeys(ContactRow.columns), **values})


def begun(values: Mapping[str, Any], contact: ContactRow) -> ConversationRow:
    """A new episode of the contact, inserted by the next save; columns not given are None."""
    blank = dict.fromkeys(ConversationRow.columns)
    episode = ConversationRow({**blank, "contact_id": contact.id, **values}, contact)
    episode._stored = {}
    return episode


def save(session: Session, contact: ContactRow) -> None:
    """Write what changed in the contact and its episodes, and their events."""
    connection = session.connection()
    changed = contact.changes()
    if changed:
        connection.execute(_UPDATE_CONTACT, {"row_id": contact.id, **changed})
        contact._written(session)
    feed = []
    for episode in contact.episodes:
        changed = episode.changes()
        if episode.id is None:
            changed.pop("id")
            (episode.id,) = connection.execute(_INSERT_CONVERSATION, changed).inserted_primary_key
        elif changed:
            connection.execute(_UPDATE_CONVERSATION, {"row_id": episode.id, **changed})
        if changed:
            episode._written(session)
        feed.extend(
            {"conversation_id": episode.id, "kind": kind, "created_at": at, "actor_id": None}
            for kind, at in episode.events
        )
        episode.events.clear()
    if feed:
        connection.execute(_INSERT_EVENTS, feed)


def delete_contact(session: Session, contact: ContactRow) -> None:
    """Delete a contact this very message created, before it had any episode."""
    session.connection().execute(delete(_CONTACTS).where(_CONTACTS.c.id == contact.id))


def _copied(values: Mapping[str, Any]) -> dict[str, Any]:
    # A JSON list changed in place must still differ from what was stored.
    return {
        name: list(value) if isinstance(value, list) else value for name, value in values.items()
    }
