"""Failed sign-ins, kept by the client that made them, never by the account they named."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from responder.store.base import Base, UtcDateTime


class SigninFailure(Base):
    """A client's failed sign-ins in a row, and the time before which it is not heard.

    Kept by a keyed hash of the client's address: the address itself is not stored,
    and the row goes a day after its last failure.
    """

    __tablename__ = "signin_failures"

    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    wait_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_failed_at: Mapped[datetime] = mapped_column(UtcDateTime)
