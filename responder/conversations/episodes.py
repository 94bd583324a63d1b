"""A texter's contact and episodes: found and locked for each message, begun anew after quiet.

The contact's row lock serialises every message of one texter; their open episode and
the one whose survey question is still open are locked beside it. An episode that
has been quiet for the episode gap is closed, and the next message starts another.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import RowMapping, Select, and_, bindparam, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from responder.bot.content import Content
from responder.channels.transport import Inbound
from responder.privacy.addresses import Keys, country_of
from responder.store import counts, rows, sealed
from responder.store.models import Contact, Conversation
from responder.store.rows import ContactRow, ConversationRow

_CONTACTS = Contact.__table__
_CONVERSATIONS = Conversation.__table__


@cache
def _contact(digests: int) -> Select[Any]:
    """The contact's row, under any of its address's hashes (one per data key), locked.

    Built once for each count of keys: every message runs it, and building a statement
    costs more than its parameters. A list bound at execution would be rendered into the
    SQL anew each time, which cost a fifth of the query.
    """
    hashes = [bindparam(f"digest_{index}") for index in range(digests)]
    return select(_CONTACTS).where(_CONTACTS.c.address_hash.in_(hashes)).with_for_update()


# Built once, like the contact's. The open episode and the just-closed one whose survey
# question is still open, locked.
_RECENT = (
    select(_CONVERSATIONS)
    .where(
        _CONVERSATIONS.c.contact_id == bindparam("contact"),
        or_(
            _CONVERSATIONS.c.closed_at.is_(None),
            and_(
                _CONVERSATIONS.c.survey_pending,
                _CONVERSATIONS.c.closed_at >= bindparam("since"),
            ),
        ),
    )
    .order_by(_CONVERSATIONS.c.id.desc())
    .with_for_update(key_share=True)
)
_INSERT_CONTACT = insert(_CONTACTS)


def locked_contact(
    session: Session, inbound: Inbound, now: datetime, keys: Keys
) -> tuple[ContactRow, bool]:
    """Find or create the contact, hold its row lock until the request commits, and
    say whether this request created it.

    The lock serialises every message of one texter, so two deliveries of the same
    message, or two quick messages, cannot both read the same menu state.
    """
    # While the data key is rotated a texter's row may still carry the hash made with
    # an earlier key; looking under every key keeps them in the contact they have.
    digests = keys.hashes(inbound.address)
    lock = _contact(len(digests))
    by_hash = {f"digest_{index}": digest for index, digest in enumerate(digests)}
    connection = session.connection()
    contact = _first_by_key(connection.execute(lock, by_hash).mappings().all(), digests)
    if contact is not None:
        return contact, False
    values = {
        "address_hash": digests[0],
        "address_encrypted": keys.encrypt(inbound.address),
        # Made here, not left to the first seal: the savepoint below inserts the row
        # before any message exists, and a key added later would cost an UPDATE.
        "text_key": sealed.new_key(keys),
        "country": country_of(inbound.address),
        "opted_out": False,
        "created_at": now,
    }
    try:
        with session.begin_nested():
            # Asked of the session inside the block: that is what emits the SAVEPOINT.
            inserted = session.connection().execute(_INSERT_CONTACT, values)
            (contact_id,) = inserted.inserted_primary_key
    except IntegrityError:
        # A concurrent request created the contact first and has committed since.
        raced = _first_by_key(connection.execute(lock, by_hash).mappings().all(), digests)
        assert raced is not None
        return raced, False
    return rows.created({**values, "id": contact_id}), True


def _first_by_key(found: Sequence[RowMapping], digests: tuple[str, ...]) -> ContactRow | None:
    """Return the contact whose hash was made with the newest key, if any was found."""
    newest = min(found, key=lambda row: digests.index(row["address_hash"]), default=None)
    return None if newest is None else ContactRow(newest)


def recent(
    session: Session, contact: ContactRow, now: datetime, episode_gap: timedelta
) -> tuple[ConversationRow | None, ConversationRow | None]:
    """Return the contact's open conversation and the just-closed one whose survey
    question is still open, either None, in one query.

    Both rows stay locked until the request commits: a counsellor's claim changes the
    conversation without touching the contact, so the contact's lock alone would let
    this message write the state it read over a claim that landed meanwhile.
    """
    found = session.connection().execute(
        _RECENT, {"contact": contact.id, "since": now - episode_gap}
    )
    episodes = [ConversationRow(row, contact) for row in found.mappings()]
    current = next((c for c in episodes if c.closed_at is None), None)
    survey = next((c for c in episodes if c.closed_at is not None), None)
    return current, survey


def current(
    session: Session,
    contact: ContactRow,
    conversation: ConversationRow | None,
    inbound: Inbound,
    now: datetime,
    content: Content,
    episode_gap: timedelta,
) -> ConversationRow:
    """Return the contact's current episode, closing a quiet one and starting anew."""
    if conversation is not None and now - conversation.last_message_at >= episode_gap:
        if conversation.state == "waiting":
            counts.add(session, now, "unanswered", conversation=conversation)
        conversation.state, conversation.closed_at = "closed", now
        conversation = None
    if conversation is None:
        conversation = rows.begun(
            {
                "channel": inbound.channel,
                "helpline_address": inbound.helpline_address,
                "state": "menu",
                # A texter starts in the language of their country; they can switch.
                "language": content.language_for(contact.country),
                "history": [],
                "started_at": now,
                "last_message_at": now,
                "priority": 0,
                "wait_notices": 0,
                "rate_window_count": 0,
                "survey_pending": False,
                "secondary": [],
            },
            contact,
        )
        counts.add(session, now, "contacts", conversation=conversation)
        counts.add(
            session, now, "contacts_hour", conversation=conversation, detail=counts.hour(now)
        )
    # Replies go back the way the texter last wrote.
    conversation.channel = inbound.channel
    conversation.helpline_address = inbound.helpline_address
    return conversation
