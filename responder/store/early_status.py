"""Status callbacks that came before their message's sid was stored, kept a few minutes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from responder.store.base import Base, UtcDateTime


class EarlyStatusCallback(Base):
    """One status callback for a sid no message had yet, waiting for the worker to store it.

    Twilio can call back before its answer to the send reaches the worker. Only what the
    callback changes is kept (never a number or a word), and the worker applies the rows
    once the sid is a message's, or drops them when their few minutes are up. A sid may
    have several rows: each callback is its own, so two arriving at once never collide.
    """

    __tablename__ = "early_status_callbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(24))
    error_code: Mapped[int | None] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
