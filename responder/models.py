"""The stored records of the helpline, as typed SQLAlchemy models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from responder.db import Base, UtcDateTime

CHANNELS = ("sms", "whatsapp")
STATES = ("menu", "waiting", "counsellor", "closed")
DIRECTIONS = ("in", "out")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Contact(Base):
    """A person who texts the helpline, known only by a keyed hash of their number.

    The number itself is kept encrypted, to reply to it, and never in plain text:
    a copy of the database must not reveal who asked for help.
    """

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64), unique=True)
    address_encrypted: Mapped[str] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2))
    opted_out: Mapped[bool] = mapped_column(default=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    conversations: Mapped[list[Conversation]] = relationship(back_populates="contact")


class Conversation(Base):
    """One episode of contact, from the first message until it is closed or goes quiet."""

    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint(_one_of("state", STATES), name="state"),
        CheckConstraint(_one_of("channel", CHANNELS), name="channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    # The helpline's own number the texter wrote to: replies must come from it.
    helpline_address: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="menu")
    language: Mapped[str] = mapped_column(String(8))
    page: Mapped[str | None] = mapped_column(String(64))
    history: Mapped[list[str]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_message_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    contact: Mapped[Contact] = relationship(back_populates="conversations")
    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.id", foreign_keys="Message.conversation_id"
    )


class Message(Base):
    """One message in or out. Media is never stored: only how many items came."""

    __tablename__ = "messages"
    __table_args__ = (CheckConstraint(_one_of("direction", DIRECTIONS), name="direction"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))
    # Twilio's MessageSid of an inbound message; unique so a redelivery is recognised.
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    body: Mapped[str | None] = mapped_column(Text)
    media_count: Mapped[int] = mapped_column(Integer, default=0)
    # For a reply: the inbound message it answers, so a redelivery gets the same answer.
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    # For a bot reply: the content page it showed, counted for "pages read".
    page: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    conversation: Mapped[Conversation] = relationship(
        back_populates="messages", foreign_keys=[conversation_id]
    )
