"""Anonymous daily counts for statistics: how many, of what, where; never who.

A count holds a day, a metric, an optional detail (a page id, a category) and the
country, language and channel of the conversation, and nothing that leads to a
texter. Erasure and retention leave counts alone, so figures outlive the data.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from responder.store.models import Conversation, DailyCount
from responder.store.rows import ConversationRow

# What is counted, each when it happens.
METRICS = frozenset(
    {
        "contacts",  # a conversation (episode) started
        "contacts_hour",  # the same, by the hour (UTC) it started in; detail: "00" to "23"
        # What the worker saw once an hour: counsellors present, summed, and how many times
        # it looked, each by the hour (detail "00" to "23"): their ratio is the average.
        "present_hour",
        "hours_sampled",
        "pages",  # the bot showed a content page; detail: the page id
        "handoffs",  # a conversation joined the queue for a person
        "waits",  # a counsellor claimed a waiting conversation
        "wait_seconds",  # how long those claimed conversations had waited, summed
        # Each claimed conversation's wait again; detail: the whole minutes it waited, up to
        # LONGEST_WAIT_MINUTES for that long or longer. Medians and percentiles need the spread.
        "wait_minutes",
        "left_queue",  # the texter left the queue (MENU or 0) before anyone answered
        # A wait that ended without an answer because the conversation ended: the texter
        # wrote again after the quiet gap while still in the queue.
        "unanswered",
        "crisis",  # crisis words first came in a conversation
        "survey",  # a texter answered the survey after a close; detail: the score, 1 to 5
        "closed",  # a counsellor closed a conversation; detail: its category
        "erasures",  # a texter erased everything held about them
        # A counsellor's wrap-up when closing, one count per answer; detail: the answer's
        # code. The summary is never counted.
        "wrapup_contact_type",
        "wrapup_category",  # one for each category chosen
        "wrapup_first_contact",  # sextortion: the platform where the first contact happened
        "wrapup_threat_from",  # sextortion: the platform the threat came from
        "wrapup_money_demanded",
        "wrapup_money_paid",
        "wrapup_images_shared",
        "wrapup_deadline",
        "wrapup_referral",  # one for each referral offered
        "wrapup_age_band",
        "wrapup_gender",
    }
)
LONGEST_WAIT_MINUTES = 120


def hour(now: datetime) -> str:
    """The detail an hourly count is kept under: the hour of the day in UTC, "00" to "23"."""
    return f"{now.astimezone(UTC).hour:02d}"


def wait_minutes(seconds: int) -> str:
    """The detail a wait is counted under: its whole minutes, the longest ones together."""
    return str(min(seconds // 60, LONGEST_WAIT_MINUTES))


# What a count is kept by; the figure is the sum over its shards.
KEY = ("day", "metric", "detail", "country", "language", "channel")
# The row every count is added to; the same columns must be given to ON CONFLICT.
ROW = (*KEY, "shard")
# Each process and thread adds to a row of its own among this many, so concurrent
# requests counting the same page do not wait on one another's row lock until commit.
SHARDS = 16


def add(
    session: Session,
    now: datetime,
    metric: str,
    *,
    conversation: Conversation | ConversationRow | None = None,
    country: str | None = None,
    language: str | None = None,
    channel: str | None = None,
    detail: str | None = "",
    amount: int = 1,
) -> None:
    """Add amount to today's count of metric, in the caller's transaction.

    The breakdown comes from the conversation when one is given, otherwise from the
    explicit values; anything unknown is counted under "".

    One INSERT ... ON CONFLICT DO UPDATE adds to the row or creates it. Reading the
    row first and writing it back would lose a count, or fail on the unique key,
    whenever two requests count the same thing at once; the database adds instead.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    if conversation is not None:
        contact = conversation.contact
        country = contact.country if contact is not None else None
        language, channel = conversation.language, conversation.channel
    values = {
        "day": now.astimezone(UTC).date(),
        "metric": metric,
        "detail": detail or "",
        "country": country or "",
        "language": language or "",
        "channel": channel or "",
        "count": amount,
        "shard": hash((os.getpid(), threading.get_ident())) % SHARDS,
    }
    # Straight to the connection: the count needs none of the caller's unsaved objects,
    # and the session's own execute would flush them first and cost more than the upsert.
    connection = session.connection()
    connection.execute(_UPSERT[connection.dialect.name], values)


def _upsert(dialect: Any) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE adding to the count, values bound at execution."""
    # On the table, not the mapped class: an ORM insert goes through the ORM's bulk layer,
    # which cost more than the statement itself on every message that shows a page.
    table = DailyCount.__table__
    # Inline: the row's id is never read, so PostgreSQL is not asked to return it.
    insert = dialect.insert(table).inline()
    return insert.on_conflict_do_update(
        index_elements=list(ROW), set_={"count": table.c.count + insert.excluded.count}
    )


# Built once: constructing the statement for every count cost more than running it.
_UPSERT = {"postgresql": _upsert(postgresql), "sqlite": _upsert(sqlite)}


def recent(session: Session, today: date, days: int) -> Sequence[Row[Any]]:
    """Return the counts of the last `days` days up to today, oldest day first."""
    columns = [getattr(DailyCount, column) for column in KEY]
    return session.execute(
        select(*columns, func.sum(DailyCount.count).label("count"))
        .where(DailyCount.day > today - timedelta(days=days))
        .group_by(*columns)
        .order_by(*columns)
    ).all()


def table(rows: Sequence[Row[Any]]) -> str:
    """Lay counts out as a plain table with a header, one count a line; "-" where unknown."""
    header = ("day", *KEY[1:], "count")
    lines = [header] + [
        (
            row.day.isoformat(),
            row.metric,
            row.detail or "-",
            row.country or "-",
            row.language or "-",
            row.channel or "-",
            str(row.count),
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
