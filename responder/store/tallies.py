"""Anonymous daily tallies for statistics (store.counts adds to them, reports read them)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from responder.store.base import Base


class DailyCount(Base):
    """An anonymous tally for statistics: a figure per day, metric and breakdown.

    It never names a texter, so erasure and retention leave it alone. Empty strings
    stand for "not known" so that the unique key treats them as equal.
    """

    __tablename__ = "daily_counts"
    __table_args__ = (
        UniqueConstraint("day", "metric", "detail", "country", "language", "channel", "shard"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    metric: Mapped[str] = mapped_column(String(32))  # one of counts.METRICS
    # For pages: which page; otherwise empty.
    detail: Mapped[str] = mapped_column(String(64), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    language: Mapped[str] = mapped_column(String(8), default="")
    channel: Mapped[str] = mapped_column(String(16), default="")
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    # One figure is kept in several rows, summed when read: requests counting the same
    # thing at once then mostly add to different rows instead of queueing on one lock.
    shard: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
