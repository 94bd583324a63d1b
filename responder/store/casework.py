"""What counsellors keep beside the messages: read marks, wrap-ups, and flags on texters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from responder.store import sealed
from responder.store.base import Base, UtcDateTime


class WrapUp(Base):
    """What the counsellor recorded when closing a conversation, for the helpline's reports.

    Every field is a choice from a fixed list except the summary, free text that
    retention deletes with the messages. The conversation's first category stays on
    Conversation.category, where the closed counts already read it.
    """

    __tablename__ = "wrapups"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    contact_type: Mapped[str] = mapped_column(String(32))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Sextortion's incident fields; None when not asked or not a sextortion contact.
    first_contact_platform: Mapped[str | None] = mapped_column(String(64))
    threat_platform: Mapped[str | None] = mapped_column(String(64))
    money_demanded: Mapped[str | None] = mapped_column(String(16))
    money_paid: Mapped[str | None] = mapped_column(String(16))
    images_shared: Mapped[str | None] = mapped_column(String(16))
    deadline_given: Mapped[str | None] = mapped_column(String(16))
    referrals: Mapped[list[str]] = mapped_column(JSON, default=list)
    age_band: Mapped[str | None] = mapped_column(String(16))
    gender: Mapped[str | None] = mapped_column(String(32))
    # Sealed for the texter (store.sealed); `summary` is the text itself.
    sealed_summary: Mapped[str | None] = mapped_column("summary", Text)
    summary = sealed.text("sealed_summary")
    written_at: Mapped[datetime] = mapped_column(UtcDateTime)

    # Named rather than imported, since models imports this module; store.sealed finds
    # the texter, and so the summary's key, through it.
    conversation: Mapped[Any] = relationship("Conversation")


class ContactFlag(Base):
    """A counsellor's short label on a texter ("repeat threats"), shown until it expires."""

    __tablename__ = "contact_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    counsellor_id: Mapped[int | None] = mapped_column(ForeignKey("counsellors.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReadMark(Base):
    """How far a counsellor has read a conversation: texter messages after it are unread.

    One row per counsellor and conversation, on the server rather than in a browser, so
    what was read survives a reload and holds in a second tab or on another computer.
    """

    __tablename__ = "read_marks"

    # Conversation first, so the key also serves the cascade when a texter erases
    # themselves: the erasure deletes conversations and never names this table.
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    counsellor_id: Mapped[int] = mapped_column(ForeignKey("counsellors.id"), primary_key=True)
    # The id of the last message read. Not a foreign key: messages go before their
    # conversation when a texter erases themselves, and only the number is compared.
    up_to: Mapped[int] = mapped_column()
