"""Use cases of a conversation. Functions take a Session and never commit: the caller does."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from responder import engine
from responder.addresses import Keys, country_of
from responder.content import Content, normalise_keyword
from responder.models import Contact, Conversation, Message

log = logging.getLogger(__name__)

MAX_BODY = 1600  # Twilio's own limit for one message body
# Twilio's opt-out and opt-in words. They are the carrier's, so they are fixed here
# rather than in content, and they win over every state.
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
START_WORDS = frozenset({"START", "UNSTOP", "YES"})


@dataclass(frozen=True)
class Inbound:
    """One message as the helpline sees it, whatever channel it came by."""

    channel: str  # "sms" or "whatsapp"
    address: str  # the texter's number, E.164
    helpline_address: str  # the helpline address written to, as the provider gives it
    text: str
    message_sid: str
    media_count: int = 0
    opt_out_type: str | None = None  # STOP/START/HELP when the provider has already replied


@dataclass(frozen=True)
class Policy:
    """The settings the use cases follow."""

    keys: Keys
    menu_timeout: timedelta = timedelta(minutes=30)
    episode_gap: timedelta = timedelta(hours=24)


def receive(
    session: Session, inbound: Inbound, now: datetime, content: Content, policy: Policy
) -> tuple[str, ...]:
    """Record an inbound message and return the replies to send back, in order."""
    stored = _stored_replies(session, inbound.message_sid)
    if stored is not None:
        return stored
    contact = _locked_contact(session, inbound, now, policy)
    # A redelivery that raced this one has committed by the time the lock is ours.
    stored = _stored_replies(session, inbound.message_sid)
    if stored is not None:
        return stored

    conversation = _open_conversation(session, contact, inbound, now, content, policy)
    message = Message(
        conversation=conversation,
        direction="in",
        twilio_sid=inbound.message_sid,
        body=inbound.text or None,
        media_count=inbound.media_count,
        created_at=now,
    )
    session.add(message)
    replies, page = _decide(contact, conversation, inbound, now, content, policy)
    conversation.last_message_at = now
    session.flush()
    for reply in replies:
        session.add(
            Message(
                conversation=conversation,
                direction="out",
                body=reply,
                in_reply_to_id=message.id,
                page=page,
                created_at=now,
            )
        )
    log.info(
        "inbound message sid=%s conversation=%s channel=%s media=%d replies=%d",
        inbound.message_sid,
        conversation.id,
        inbound.channel,
        inbound.media_count,
        len(replies),
    )
    return replies


def _decide(
    contact: Contact,
    conversation: Conversation,
    inbound: Inbound,
    now: datetime,
    content: Content,
    policy: Policy,
) -> tuple[tuple[str, ...], str | None]:
    """Choose the replies; compliance words first, then the menu."""
    lang = content.language(conversation.language)
    word = normalise_keyword(inbound.text)
    # With Twilio's Advanced Opt-Out the texter has already had Twilio's answer.
    provider_replied = inbound.opt_out_type is not None

    if inbound.opt_out_type == "STOP" or word in STOP_WORDS:
        if not contact.opted_out:
            contact.opted_out, contact.opted_out_at = True, now
            log.info("contact opted out conversation=%s", conversation.id)
        return (), None
    if contact.opted_out:
        if inbound.opt_out_type == "START" or word in START_WORDS:
            contact.opted_out, contact.opted_out_at = False, None
            log.info("contact opted in conversation=%s", conversation.id)
            return ((), None) if provider_replied else ((lang.messages["opted_in"],), None)
        return (), None
    if inbound.opt_out_type == "HELP" or word in lang.keywords["help"]:
        return ((), None) if provider_replied else ((lang.messages["help"],), None)
    if inbound.media_count:
        return (lang.messages["media"],), None
    if len(inbound.text) > MAX_BODY:
        return (lang.messages["too_long"],), None

    state = engine.MenuState(
        conversation.page, tuple(conversation.history), conversation.last_message_at
    )
    context = engine.Context(inbound.channel, conversation.language, now, policy.menu_timeout)
    outcome = engine.step(state, inbound.text, content, context)
    conversation.page = outcome.state.page
    conversation.history = list(outcome.state.history)
    return outcome.replies, outcome.page


def _stored_replies(session: Session, sid: str) -> tuple[str, ...] | None:
    """Return the replies given the first time a MessageSid arrived, or None if it is new."""
    first = session.scalars(select(Message.id).where(Message.twilio_sid == sid)).first()
    if first is None:
        return None
    bodies = session.scalars(
        select(Message.body).where(Message.in_reply_to_id == first).order_by(Message.id)
    )
    return tuple(body or "" for body in bodies)


def _locked_contact(session: Session, inbound: Inbound, now: datetime, policy: Policy) -> Contact:
    """Find or create the contact and hold its row lock until the request commits.

    The lock serialises every message of one texter, so two deliveries of the same
    message, or two quick messages, cannot both read the same menu state.
    """
    digest = policy.keys.hash(inbound.address)
    query = select(Contact).where(Contact.address_hash == digest).with_for_update()
    contact = session.scalars(query).one_or_none()
    if contact is not None:
        return contact
    contact = Contact(
        address_hash=digest,
        address_encrypted=policy.keys.encrypt(inbound.address),
        country=country_of(inbound.address),
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(contact)
    except IntegrityError:
        # A concurrent request created the contact first and has committed since.
        contact = session.scalars(query).one()
    return contact


def _open_conversation(
    session: Session,
    contact: Contact,
    inbound: Inbound,
    now: datetime,
    content: Content,
    policy: Policy,
) -> Conversation:
    """Return the contact's current episode, closing a quiet one and starting anew."""
    conversation = session.scalars(
        select(Conversation)
        .where(Conversation.contact_id == contact.id, Conversation.closed_at.is_(None))
        .order_by(Conversation.id.desc())
    ).first()
    if conversation is not None and now - conversation.last_message_at >= policy.episode_gap:
        conversation.state, conversation.closed_at = "closed", now
        conversation = None
    if conversation is None:
        conversation = Conversation(
            contact=contact,
            channel=inbound.channel,
            helpline_address=inbound.helpline_address,
            state="menu",
            language=content.default_language,
            history=[],
            started_at=now,
            last_message_at=now,
        )
        session.add(conversation)
    # Replies go back the way the texter last wrote.
    conversation.channel = inbound.channel
    conversation.helpline_address = inbound.helpline_address
    return conversation
