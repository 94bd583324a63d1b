"""The daily counts of a period, summed over country, language and channel.

A period runs from one day to another, both included, in UTC like the counts. Reports
add up what the counts already hold; they never look further, so whatever a report
shows survives erasure and retention exactly as the counts do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from responder.store.models import DailyCount

GRAINS = ("day", "week", "month")
# What each count is also kept by, besides its day, metric and detail.
DIMENSIONS = ("country", "language", "channel")
# A year, leap years included: enough for CHI's annual collection, and a bound on the
# work one request can ask of the database.
LONGEST_DAYS = 366


class PeriodError(ValueError):
    """The period cannot be reported on; the message says why, for people."""


@dataclass(frozen=True)
class Period:
    """From one day to another, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Figure:
    """How many of a metric (and its detail) on a day, or in the week or month it starts."""

    day: date
    metric: str
    detail: str
    count: int


def day(raw: str) -> date:
    """Read a day written YYYY-MM-DD; raise PeriodError otherwise."""
    # Only the plain form: date.fromisoformat would also take "20261231" and "2026-W01".
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise PeriodError(f"{raw!r} is not a date written YYYY-MM-DD") from None


def period(start: date, end: date, longest: int | None = None) -> Period:
    """Check a period: it must not end before it starts, nor run over `longest` days."""
    if start > end:
        raise PeriodError(f"the period starts on {start}, after it ends on {end}")
    found = Period(start, end)
    if longest is not None and found.days > longest:
        raise PeriodError(f"the period is {found.days} days; the most is {longest} (a year)")
    return found


def read(session: Session, within: Period) -> list[Figure]:
    """Sum each day's counts by metric and detail, oldest day first."""
    total = func.sum(DailyCount.count)
    rows = session.execute(
        select(DailyCount.day, DailyCount.metric, DailyCount.detail, total)
        .where(DailyCount.day >= within.start, DailyCount.day <= within.end)
        .group_by(DailyCount.day, DailyCount.metric, DailyCount.detail)
        .order_by(DailyCount.day, DailyCount.metric, DailyCount.detail)
    ).all()
    return [Figure(day, metric, detail, int(count)) for day, metric, detail, count in rows]


def spread(session: Session, within: Period, metric: str, dimension: str) -> Counter[str]:
    """Sum a metric over the period by country, language or channel; "" where not known."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    column = getattr(DailyCount, dimension)
    rows = session.execute(
        select(column, func.sum(DailyCount.count))
        .where(
            DailyCount.day >= within.start,
            DailyCount.day <= within.end,
            DailyCount.metric == metric,
        )
        .group_by(column)
    ).all()
    found: Counter[str] = Counter()
    for value, count in rows:
        found[value or ""] += int(count)
    return found


def totals(figures: Iterable[Figure]) -> Counter[tuple[str, str]]:
    """Add the figures up by metric and detail, whatever their day."""
    summed: Counter[tuple[str, str]] = Counter()
    for figure in figures:
        summed[figure.metric, figure.detail] += figure.count
    return summed


def by_grain(figures: Sequence[Figure], grain: str, since: date = date.min) -> list[Figure]:
    """Add daily figures up by the week (from Monday) or the month they fall in.

    Each sum is dated by the first day of its week or month, or by `since` when that is
    later, so that a report never shows a day before the period it was asked for.
    """
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}")
    summed: Counter[tuple[date, str, str]] = Counter()
    for figure in figures:
        start = max(start_of(figure.day, grain), since)
        summed[start, figure.metric, figure.detail] += figure.count
    return [Figure(*key, count) for key, count in sorted(summed.items())]


def start_of(when: date, grain: str) -> date:
    if grain == "week":
        return when - timedelta(days=when.weekday())
    if grain == "month":
        return when.replace(day=1)
    return when


def wait_percentile(by_minute: Mapping[str, int], share: float) -> int | None:
    """The whole minutes that `share` of the waits did not go past; None without waits.

    The waits are counted by the minute (the `wait_minutes` metric), so the answer is
    exact to the minute, and the longest waits count at their cap.
    """
    minutes = sorted((int(minute), n) for minute, n in by_minute.items() if minute.isdigit())
    total = sum(n for _, n in minutes)
    running = 0
    for minute, n in minutes:
        running += n
        if running >= share * total:
            return minute
    return None


@dataclass(frozen=True)
class Daily:
    """A period's figures day by day, and their totals over the period by metric and detail."""

    period: Period
    figures: tuple[Figure, ...]
    totals: tuple[tuple[str, str, int], ...]
    grain: str = "day"


def daily(session: Session, within: Period, grain: str = "day") -> Daily:
    """Read the period's figures by day, week or month, with their totals."""
    figures = read(session, within)
    summed = totals(figures)
    grained = by_grain(figures, grain, within.start)
    return Daily(
        within, tuple(grained), tuple((*key, n) for key, n in sorted(summed.items())), grain
    )


@dataclass(frozen=True)
class HourOfWeek:
    """Demand and staffing in one hour of the week (UTC), over a whole period."""

    weekday: int  # 0 is Monday
    hour: int
    contacts: int  # conversations started in this hour, all the period's weeks together
    present: float | None  # counsellors present on average; None: the worker never looked


def week_by_hour(session: Session, within: Period) -> tuple[HourOfWeek, ...]:
    """Every hour of the week, Monday 00:00 first, from the period's hourly counts."""
    rows = session.execute(
        select(DailyCount.day, DailyCount.metric, DailyCount.detail, func.sum(DailyCount.count))
        .where(
            DailyCount.day >= within.start,
            DailyCount.day <= within.end,
            DailyCount.metric.in_(("contacts_hour", "present_hour", "hours_sampled")),
        )
        .group_by(DailyCount.day, DailyCount.metric, DailyCount.detail)
    ).all()
    summed: Counter[tuple[str, int, int]] = Counter()
    for when, metric, detail, count in rows:
        if detail.isdigit() and int(detail) < 24:
            summed[metric, when.weekday(), int(detail)] += int(count)
    cells = []
    for weekday in range(7):
        for hour in range(24):
            looks = summed["hours_sampled", weekday, hour]
            present = summed["present_hour", weekday, hour] / looks if looks else None
            cells.append(HourOfWeek(weekday, hour, summed["contacts_hour", weekday, hour], present))
    return tuple(cells)
