"""Texters, outbox messages and a hand-moved clock, for the worker and status tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from responder import policies, services, worker
from responder.channels import twilio
from responder.delivery import outbox
from responder.store.db import get_session
from responder.store.models import Contact, Conversation, Message
from tests.fake_twilio import FakeTwilio
from tests.twilio_requests import HELPLINE, TEXTER

NOW = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)
TEMPLATE = "HX" + "0123456789abcdef" * 2
WHATSAPP_HELPLINE = "whatsapp:" + HELPLINE


class Clock:
    """The worker's time, moved by hand: no test waits for a real timer."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def add_texter(
    app: Flask,
    number: str = TEXTER,
    helpline: str = HELPLINE,
    last_message_at: datetime = NOW,
) -> int:
    """Store a texter and an open conversation with a counsellor; return the conversation id."""
    keys = services.of(app).keys
    with app.app_context():
        session = get_session()
        contact = session.scalars(
            select(Contact).where(Contact.address_hash == keys.hash(number))
        ).one_or_none() or Contact(
            address_hash=keys.hash(number),
            address_encrypted=keys.encrypt(number),
            created_at=last_message_at,
        )
        conversation = Conversation(
            contact=contact,
            channel="whatsapp" if helpline.startswith("whatsapp:") else "sms",
            helpline_address=helpline,
            state="counsellor",
            language="en",
            history=[],
            started_at=last_message_at,
            last_message_at=last_message_at,
        )
        session.add(conversation)
        session.commit()
        return conversation.id


def write(app: Flask, conversation_id: int, *bodies: str, now: datetime = NOW) -> list[int]:
    """Put counsellor messages in the outbox, as the API does; return their ids."""
    with app.app_context():
        session = get_session()
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        messages = [outbox.enqueue(session, conversation, body, now) for body in bodies]
        session.commit()
        return [message.id for message in messages]


def stored(app: Flask, message_id: int) -> Message:
    with app.app_context():
        message = get_session().get(Message, message_id)
    assert message is not None
    return message


def outbound(app: Flask) -> list[Message]:
    with app.app_context():
        rows = get_session().scalars(
            select(Message).where(Message.status.is_not(None)).order_by(Message.id)
        )
        return opened(rows)


def opened(rows: Iterable[Message]) -> list[Message]:
    """The rows with their texts opened while their session is there: a text is sealed
    in the database, and the key to open it is reached through the session."""
    rows = list(rows)
    for row in rows:
        assert row.body is None or isinstance(row.body, str)
    return rows


def contact_of(app: Flask, number: str = TEXTER) -> Contact:
    digest = services.of(app).keys.hash(number)
    with app.app_context():
        return get_session().scalars(select(Contact).where(Contact.address_hash == digest)).one()


def deliver(app: Flask, fake: FakeTwilio, clock: Clock) -> int:
    """Run the worker's delivery until nothing is due, through the real twilio client."""
    return worker.drain(
        services.of(app).sessions,
        twilio.rest(app.config, fake),
        policies.delivery(app.config, services.of(app)),
        clock,
    )
