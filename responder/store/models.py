"""The stored records of the helpline, as typed SQLAlchemy models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from responder.store import sealed
from responder.store.base import Base, UtcDateTime

CHANNELS = ("sms", "whatsapp")
STATES = ("menu", "waiting", "counsellor", "closed")
DIRECTIONS = ("in", "out")
ROLES = ("counsellor", "supervisor", "admin")
# Delivery of an outbound message that goes through the outbox rather than TwiML.
# pending: waiting for the worker; sending: a worker is handing it to Twilio;
# held: a WhatsApp text kept until the texter reopens the 24-hour window;
# the rest are Twilio's own statuses, plus "simulated" for the development simulator.
DELIVERY_STATUSES = (
    "pending",
    "sending",
    "held",
    "accepted",
    "scheduled",
    "queued",
    "sent",
    "delivered",
    "read",
    "undelivered",
    "failed",
    "canceled",
    "partially_delivered",
    "simulated",
)


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
    # The key their words are sealed with (store.sealed), encrypted with the data key;
    # erasure deletes it with the row. None only for a contact from before sealing.
    text_key: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2))
    opted_out: Mapped[bool] = mapped_column(default=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The texter sent DELETE and has not confirmed yet.
    erase_requested_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A counsellor blocked this sender: no replies, no queue (crisis words still get
    # their reply). blocked_until None while blocked_at is set means until lifted.
    blocked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The age question ("are you under 18?") is asked once: when, and the answer,
    # None while unknown (never asked, or skipped).
    age_asked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    under_18: Mapped[bool | None] = mapped_column()

    conversations: Mapped[list[Conversation]] = relationship(back_populates="contact")


class Conversation(Base):
    """One episode of contact, from the first message until it is closed or goes quiet."""

    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint(_one_of("state", STATES), name="state"),
        CheckConstraint(_one_of("channel", CHANNELS), name="channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None once the conversation is anonymised: it counts, but leads to nobody.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    # The helpline's own number the texter wrote to: replies must come from it.
    helpline_address: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="menu")
    language: Mapped[str] = mapped_column(String(8))
    page: Mapped[str | None] = mapped_column(String(64))
    history: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The page the texter chose when they were asked their age, until they answer.
    age_question_for: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The texter's latest message; WhatsApp's 24-hour window is counted from it.
    last_message_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    # The queue: higher priority first, then the longest wait (queued_at).
    priority: Mapped[int] = mapped_column(default=0)
    # When crisis words first came in this conversation: the mark counsellors see.
    # Only the time is kept, never which words matched.
    crisis_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # "Still in the queue" messages sent during the current wait.
    wait_notices: Mapped[int] = mapped_column(default=0)
    # When a texter's message while waiting was last answered with their place in the
    # queue: such answers are spaced out, so a texter writing a lot is not flooded.
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When the texter was written to again because nobody had claimed their crisis.
    crisis_followup_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When the wait last reported as too long began: each wait is reported once (board).
    overdue_from: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The rate limit's window: when the texter's current minute began and how many
    # messages came in it. Kept on the row every message updates anyway, so a flood
    # is seen without counting the texter's messages each time.
    rate_window_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rate_window_count: Mapped[int] = mapped_column(default=0, server_default="0")
    counsellor_id: Mapped[int | None] = mapped_column(ForeignKey("counsellors.id"), index=True)
    # Indexed for the expected wait, which reads the latest claims.
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    # How long the last wait lasted, kept after the claim to estimate the next waits.
    last_wait_seconds: Mapped[int | None] = mapped_column()

    # Filled in when a counsellor closes the conversation (the rest of the wrap-up is in WrapUp).
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("counsellors.id"))
    category: Mapped[str | None] = mapped_column(String(64))
    secondary: Mapped[list[str]] = mapped_column(JSON, default=list)
    survey_pending: Mapped[bool] = mapped_column(default=False)
    survey_answer: Mapped[str | None] = mapped_column(Text)

    contact: Mapped[Contact | None] = relationship(back_populates="conversations")
    counsellor: Mapped[Counsellor | None] = relationship(foreign_keys=[counsellor_id])
    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.id", foreign_keys="Message.conversation_id"
    )


# The queue in the order counsellors take it (queue.ORDER): a page is read
# off the index, not sorted out of every conversation ever held. Declared after the
# class because the descending column must be the table's own for Alembic to compare.
Index(
    "ix_conversations_queue",
    Conversation.state,
    Conversation.priority.desc(),
    Conversation.queued_at,
    Conversation.id,
)


class Message(Base):
    """One message in or out. Media is never stored: only how many items came."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(_one_of("direction", DIRECTIONS), name="direction"),
        CheckConstraint(_one_of("status", DELIVERY_STATUSES), name="status"),
        # The worker's query: the oldest pending messages first.
        Index("ix_messages_outbox", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))
    # Twilio's MessageSid: of an inbound message, unique so a redelivery is recognised;
    # of an outbound one, so status callbacks find it.
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The text, sealed for the texter (store.sealed); `body` is the text itself.
    sealed_body: Mapped[str | None] = mapped_column("body", Text)
    body = sealed.text("sealed_body")
    media_count: Mapped[int] = mapped_column(Integer, default=0)
    # For a reply: the inbound message it answers, so a redelivery gets the same answer.
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    # For a bot reply: the content page it showed, counted for "pages read".
    page: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The counsellor who wrote it; None for the texter and the bot.
    counsellor_id: Mapped[int | None] = mapped_column(ForeignKey("counsellors.id"))

    # Outbox. None for inbound messages and TwiML replies, which Twilio sends itself.
    status: Mapped[str | None] = mapped_column(String(24))
    # The helpline address to send from, fixed when the message is written.
    sender: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set when a worker hands the message to Twilio: a crash after this point means
    # Twilio may have it, so the next worker looks it up before sending again.
    send_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error_code: Mapped[int | None] = mapped_column()
    error_message: Mapped[str | None] = mapped_column(Text)

    conversation: Mapped[Conversation] = relationship(
        back_populates="messages", foreign_keys=[conversation_id]
    )
    # Lets a message and its replies be stored in one flush, the message first.
    in_reply_to: Mapped[Message | None] = relationship(
        remote_side=[id], foreign_keys=[in_reply_to_id]
    )


class Counsellor(Base):
    """A person who answers texters, or supervises those who do."""

    __tablename__ = "counsellors"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="counsellor")
    password_hash: Mapped[str] = mapped_column(String(256))
    available: Mapped[bool] = mapped_column(default=False)
    max_open: Mapped[int] = mapped_column(default=3)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # A deactivated account keeps its name in the audit log but cannot sign in or use tokens.
    active: Mapped[bool] = mapped_column(default=True)
    # The TOTP secret, encrypted with the data key, and the last time step a code was
    # accepted for, so that one code cannot sign in twice.
    totp_secret: Mapped[str | None] = mapped_column(String(256))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Raised when the password or two-factor is reset or the account deactivated: a
    # console session signed in under an older value is over.
    session_version: Mapped[int] = mapped_column(default=0)
    # The last time an open console page said the counsellor was there: "available"
    # counts as present only while this is recent.
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The language the console speaks to this counsellor.
    console_language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")


class ApiToken(Base):
    """A bearer token for the API. Only its SHA-256 is kept: a database copy cannot log in."""

    __tablename__ = "api_tokens"
    # A token is revoked by its name, so an account's names are its own.
    __table_args__ = (UniqueConstraint("counsellor_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    counsellor_id: Mapped[int] = mapped_column(ForeignKey("counsellors.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Even a token never used again ends: a copy in an old script stops by itself.
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    counsellor: Mapped[Counsellor] = relationship()


class Note(Base):
    """A counsellor's private note on a conversation; never sent to the texter."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    counsellor_id: Mapped[int] = mapped_column(ForeignKey("counsellors.id"))
    # The note, sealed for the texter (store.sealed); `body` is the note itself.
    sealed_body: Mapped[str] = mapped_column("body", Text)
    body = sealed.text("sealed_body")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    conversation: Mapped[Conversation] = relationship()


class Event(Base):
    """One change, for live pages to follow with GET /events?after=<id>. Holds no text."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The counsellor whose command made the change; None for texters, the bot, the worker.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("counsellors.id"))

    conversation: Mapped[Conversation | None] = relationship()


class Heartbeat(Base):
    """The last time each background process said it was alive."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Erasure(Base):
    """The MessageSid that confirmed an erasure, so a redelivery is answered the same way.

    It holds nothing that leads back to the texter: no number, no hash, no text.
    """

    __tablename__ = "erasures"

    message_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The language of the reply, to repeat it; empty when nothing was sent (after STOP).
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditEntry(Base):
    """Who did what to which conversation, for supervisors to read.

    The conversation link is cleared when the texter erases themselves; the entry,
    which never holds a number or message text, stays.
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    counsellor_id: Mapped[int | None] = mapped_column(ForeignKey("counsellors.id"), index=True)
    # Indexed for the audit log page, which finds one action or leaves views out.
    action: Mapped[str] = mapped_column(String(32), index=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    # What the action needs beside its name: a block's hours, a reveal's written reason.
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)

    counsellor: Mapped[Counsellor | None] = relationship()


class TwilioDeletion(Base):
    """A record at Twilio the worker must delete: a texter's message, or one media item.

    Only Twilio's sids are kept, never the number; the row goes once Twilio has
    deleted the record (or says it is already gone).
    """

    __tablename__ = "twilio_deletions"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64))
    # None: delete the message record itself; otherwise this media item of it.
    media_sid: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    error_code: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Alert(Base):
    """A text to the on-call supervisor (RESPONDER_ONCALL_NUMBER), sent by the worker.

    Written when sent, from the kind and the conversation number: it never quotes the texter.
    """

    __tablename__ = "alerts"
    __table_args__ = (CheckConstraint(_one_of("status", DELIVERY_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(24), default="pending")
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    error_code: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


# Registered with the same metadata wherever models is imported; kept in their own module.
from responder.store.casework import ContactFlag, ReadMark, WrapUp  # noqa: E402, F401
from responder.store.early_status import EarlyStatusCallback  # noqa: E402, F401
from responder.store.tallies import DailyCount  # noqa: E402, F401
from responder.store.throttle import SigninFailure  # noqa: E402, F401
