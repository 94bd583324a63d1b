"""A texter's contact and episodes: found and locked for each message, begun anew after quiet.

The contact's row lock serialises every message of one texter; their open episode and
the one whose survey question is still open are locked beside it. An episode that
has been quiet for the episode gap is closed, and the next message starts another.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from responder.bot.content import Content
from responder.channels.transport import Inbound
from responder.privacy.addresses import Keys, country_of
from responder.store import counts, sealed
from responder.store.models import Contact, Conversation

# Built once: every message runs both, and building a statement costs more than its
# parameters. The contact's row, under any of its address's hashes, locked:
_CONTACT = (
    select(Contact)
    .where(Contact.address_hash.in_(bindparam("digests", expanding=True)))
    .with_for_update()
)
# The open episode and the just-closed one whose survey question is still open, locked.
_RECENT = (
    select(Conversation)
    .where(
        Conversation.contact_id == bindparam("contact"),
        or_(
            Conversation.closed_at.is_(None),
            and_(Conversation.survey_pending, Conversation.closed_at >= bindparam("since")),
        ),
    )
    .order_by(Conversation.id.desc())
    .with_for_update(key_share=True)
)


def locked_contact(
    session: Session, inbound: Inbound, now: datetime, keys: Keys
) -> tuple[Contact, bool]:
    """Find or create the contact, hold its row lock until the request commits, and
    say whether this request created it.

    The lock serialises every message of one texter, so two deliveries of the same
    message, or two quick messages, cannot both read the same menu state.
    """
    # While the data key is rotated a texter's row may still carry the hash made with
    # an earlier key; looking under every key keeps them in the contact they have.
    digests = keys.hashes(inbound.address)
    by_hash = {"digests": list(digests)}
    contact = _first_by_key(session.scalars(_CONTACT, by_hash).all(), digests)
    if contact is not None:
        return contact, False
    contact = Contact(
        address_hash=digests[0],
        address_encrypted=keys.encrypt(inbound.address),
        # Made here, not left to the first seal: the savepoint below inserts the row
        # before any message exists, and a key added later would cost an UPDATE.
        text_key=sealed.new_key(keys),
        country=country_of(inbound.address),
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(contact)
    except IntegrityError:
        # A concurrent request created the contact first and has committed since.
        raced = _first_by_key(session.scalars(_CONTACT, by_hash).all(), digests)
        assert raced is not None
        return raced, False
    return contact, True


def _first_by_key(found: Sequence[Contact], digests: tuple[str, ...]) -> Contact | None:
    """Return the contact whose hash was made with the newest key, if any was found."""
    return min(found, key=lambda contact: digests.index(contact.address_hash), default=None)


def recent(
    session: Session, contact: Contact, now: datetime, episode_gap: timedelta
) -> tuple[Conversation | None, Conversation | None]:
    """Return the contact's open conversation and the just-closed one whose survey
    question is still open, either None, in one query.

    Both rows stay locked until the request commits: a counsellor's claim changes the
    conversation without touching the contact, so the contact's lock alone would let
    this message write the state it read over a claim that landed meanwhile.
    """
    found = session.scalars(_RECENT, {"contact": contact.id, "since": now - episode_gap}).all()
    current = next((c for c in found if c.closed_at is None), None)
    survey = next((c for c in found if c.closed_at is not None), None)
    return current, survey


def current(
    session: Session,
    contact: Contact,
    conversation: Conversation | None,
    inbound: Inbound,
    now: datetime,
    content: Content,
    episode_gap: timedelta,
) -> Conversation:
    """Return the contact's current episode, closing a quiet one and starting anew."""
    if conversation is not None and now - conversation.last_message_at >= episode_gap:
        if conversation.state == "waiting":
            counts.add(session, now, "unanswered", conversation=conversation)
        conversation.state, conversation.closed_at = "closed", now
        conversation = None
    if conversation is None:
        conversation = Conversation(
            contact=contact,
            channel=inbound.channel,
            helpline_address=inbound.helpline_address,
            state="menu",
            # A texter starts in the language of their country; they can switch.
            language=content.language_for(contact.country),
            history=[],
            started_at=now,
            last_message_at=now,
            # Column defaults arrive only at the flush, and this very message may raise
            # the priority or count towards the rate limit before then.
            priority=0,
            wait_notices=0,
            rate_window_count=0,
            survey_pending=False,
        )
        session.add(conversation)
        counts.add(session, now, "contacts", conversation=conversation)
        counts.add(
            session, now, "contacts_hour", conversation=conversation, detail=counts.hour(now)
        )
    # Replies go back the way the texter last wrote.
    conversation.channel = inbound.channel
    conversation.helpline_address = inbound.helpline_address
    return conversation
