"""A texter's contact and episodes as plain rows: the objects of the message hot path.

Every message reads its texter's contact and open episode, changes a few of their columns
and writes them back. Through the ORM's unit of work the bookkeeping around those few
statements cost more than the statements themselves. Here the rows are read with Core,
changed as plain objects that carry the models' attribute names (so a rule written for a
Contact or a Conversation reads them as well), and written back by `save`: an UPDATE for
each row that changed, an INSERT for an episode begun by this message, and the change
feed's events in one statement.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import FromClause, bindparam, delete, insert, update
from sqlalchemy.orm import Session

from responder.store import events
from responder.store.models import Contact, Conversation, Event

_CONTACTS = Contact.__table__
_CONVERSATIONS = Conversation.__table__
_EVENTS = Event.__table__
# Built once; the columns to SET are the keys of the parameters each call passes.
_UPDATE_CONTACT = update(_CONTACTS).where(_CONTACTS.c.id == bindparam("row_id"))
_UPDATE_CONVERSATION = update(_CONVERSATIONS).where(_CONVERSATIONS.c.id == bindparam("row_id"))
_INSERT_CONVERSATION = insert(_CONVERSATIONS)
_INSERT_EVENTS = insert(_EVENTS)


class _Row:
    """A row's columns as attributes, and their values as last read or written."""

    table: ClassVar[FromClause]

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)
        self._stored = _copied(values)

    def changes(self) -> dict[str, Any]:
        """The columns whose value differs from the one in the database."""
        stored = self._stored
        return {
            name: self.__dict__[name]
            for name in self.table.c.keys()  # noqa: SIM118 - a column collection, not a dict
            if name in self.__dict__ and (name not in stored or stored[name] != self.__dict__[name])
        }

    def _written(self) -> None:
        self._stored = _copied({name: self.__dict__[name] for name in self.table.c.keys()})  # noqa: SIM118


class ContactRow(_Row):
    """A texter's contact, locked for this message, with the episodes read beside it."""

    table = _CONTACTS
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

    table = _CONVERSATIONS
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


def begun(values: Mapping[str, Any], contact: ContactRow) -> ConversationRow:
    """A new episode of the contact, inserted by the next save; columns not given are None."""
    blank = dict.fromkeys(_CONVERSATIONS.c.keys())
    episode = ConversationRow({**blank, "contact_id": contact.id, **values}, contact)
    episode._stored = {}
    return episode


def save(session: Session, contact: ContactRow) -> None:
    """Write what changed in the contact and its episodes, and their events."""
    connection = session.connection()
    changed = contact.changes()
    if changed:
        connection.execute(_UPDATE_CONTACT, {"row_id": contact.id, **changed})
        contact._written()
    feed = []
    for episode in contact.episodes:
        changed = episode.changes()
        if episode.id is None:
            changed.pop("id")
            (episode.id,) = connection.execute(_INSERT_CONVERSATION, changed).inserted_primary_key
        elif changed:
            connection.execute(_UPDATE_CONVERSATION, {"row_id": episode.id, **changed})
        episode._written()
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
