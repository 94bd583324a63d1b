"""Counsellor accounts, tokens and queued texters for the API tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from responder import services
from responder.staff import auth
from responder.store.db import get_session
from responder.store.models import Contact, Conversation, Counsellor, Message
from tests.twilio_requests import TEXTER, post_signed, sms


def password_of(name: str) -> str:
    """The password add_counsellor gives an account, for logging in through the console."""
    return f"password of {name}"


def add_counsellor(
    app: Flask, name: str, role: str = "counsellor", max_open: int = 3
) -> dict[str, str]:
    """Create an account and return the Authorization header of a fresh token for it."""
    now = datetime.now(UTC)
    with app.app_context():
        session = get_session()
        auth.add_counsellor(session, name, role, password_of(name), max_open, now)
        token = auth.issue_token(session, name, now)
        session.commit()
    return {"Authorization": f"Bearer {token}"}


def number(index: int) -> str:
    """A distinct texter number in the 555 range, never a real person's."""
    return f"+1415555{index:04d}"


def queue_texter(client: FlaskClient, sender: str = TEXTER, age_reply: str = "3") -> int:
    """Have a texter send TALK through the signed webhook; return their conversation's id.

    A texter who has seen the menu is asked their age first; age_reply answers it
    ("1" under 18, "2" 18 or over, "3" skips).
    """
    response = post_signed(client, sms("TALK", sender=sender))
    assert response.status_code == 200
    conversation = latest_conversation(client.application, sender)
    if conversation.age_question_for is not None:
        assert post_signed(client, sms(age_reply, sender=sender)).status_code == 200
        conversation = latest_conversation(client.application, sender)
    assert conversation.state == "waiting"
    return conversation.id


def latest_conversation(app: Flask, sender: str) -> Conversation:
    """Read a texter's latest conversation as it is stored now."""
    with app.app_context():
        digest = services.of(app).keys.hash(sender)
        conversation = (
            get_session()
            .scalars(
                select(Conversation)
                .join(Contact)
                .where(Contact.address_hash == digest)
                .order_by(Conversation.id.desc())
            )
            .first()
        )
    assert conversation is not None
    return conversation


def conversation(app: Flask, conversation_id: int) -> Conversation:
    """Read a conversation as it is stored now."""
    with app.app_context():
        found = get_session().get(Conversation, conversation_id)
    assert found is not None
    return found


def update_conversation(app: Flask, conversation_id: int, **values: object) -> None:
    """Change stored fields directly, for states the API cannot reach quickly."""
    with app.app_context():
        session = get_session()
        found = session.get(Conversation, conversation_id)
        assert found is not None
        for name, value in values.items():
            setattr(found, name, value)
        session.commit()


def make_present(app: Flask, name: str, seen: datetime | None = None) -> None:
    """Put an account on duty as an open console keeps it: switch on, page seen just now."""
    with app.app_context():
        session = get_session()
        found = session.scalars(select(Counsellor).where(Counsellor.username == name)).one()
        found.available = True
        found.last_seen_at = seen or datetime.now(UTC)
        session.commit()


def went_by(app: Flask, conversation_id: int, gone: timedelta) -> None:
    """Move a conversation's queueing and messages back in time, as if minutes went by."""
    with app.app_context():
        session = get_session()
        for message in session.scalars(
            select(Message).where(Message.conversation_id == conversation_id)
        ):
            message.created_at -= gone
        found = session.get(Conversation, conversation_id)
        assert found is not None and found.queued_at is not None
        found.queued_at -= gone
        session.commit()
