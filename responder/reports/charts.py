"""Bar charts of the anonymous counts, as shapes a page draws in SVG.

Pure arithmetic, no drawing: a chart is a list of bars with their place and the figure
they stand for. Figures from 1 to 4 could point at one texter, so they are shown as
"<5" and drawn as tall as 5, never at their own height.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from responder.reports import export
from responder.reports.export import SMALL
from responder.reports.figures import HourOfWeek


def shown(count: int) -> str:
    """A figure as a page may show it: the exports' small-cell rule, as text."""
    return str(export.shown(count))


@dataclass(frozen=True)
class Bar:
    label: str
    shown: str
    x: float
    y: float
    width: float
    height: float
    hidden: bool  # a small figure, drawn at the height of SMALL


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    top: int  # the figure the longest bar reaches


def _drawn(count: int) -> int:
    return SMALL if 0 < count < SMALL else count


def columns(points: Sequence[tuple[str, int]], width: int = 640, height: int = 180) -> Chart:
    """Upright bars, one per (label, count) in order: a figure over time."""
    top = max([_drawn(count) for _, count in points] + [1])
    slot = width / max(len(points), 1)
    gap = min(slot * 0.2, 8)
    bars = tuple(
        Bar(
            label,
            shown(count),
            round(index * slot + gap / 2, 2),
            round(height - height * _drawn(count) / top, 2),
            round(slot - gap, 2),
            round(height * _drawn(count) / top, 2),
            0 < count < SMALL,
        )
        for index, (label, count) in enumerate(points)
    )
    return Chart(width, height, bars, top)


def rows(points: Sequence[tuple[str, int]], width: int = 360, row: int = 22) -> Chart:
    """Bars lying down, one per (label, count), longest first: how a total divides."""
    ordered = sorted(points, key=lambda point: (-point[1], point[0]))
    top = max([_drawn(count) for _, count in ordered] + [1])
    bars = tuple(
        Bar(
            label,
            shown(count),
            0,
            index * row,
            round(width * _drawn(count) / top, 2),
            row - 4,
            0 < count < SMALL,
        )
        for index, (label, count) in enumerate(ordered)
    )
    return Chart(width, max(len(ordered), 1) * row, bars, top)


@dataclass(frozen=True)
class Square:
    """One hour of the week on the heat map."""

    weekday: int
    hour: int
    x: float
    y: float
    level: int  # 0 for no contact, then 1 to LEVELS by the share of the busiest hour
    shown: str  # the contacts, small ones as "<5"
    present: str  # counsellors present on average, to one decimal; "" if never looked
    unstaffed: bool  # contacts came while, on average, nobody was there


@dataclass(frozen=True)
class Heat:
    width: int
    height: int
    side: int
    squares: tuple[Square, ...]


LEVELS = 4


def heat(hours: Sequence[HourOfWeek], side: int = 20, left: int = 40, top: int = 18) -> Heat:
    """Lay the hours of the week out as squares: a row per weekday, a column per hour."""
    busiest = max([_drawn(h.contacts) for h in hours] + [1])
    squares = tuple(
        Square(
            h.weekday,
            h.hour,
            left + h.hour * side,
            top + h.weekday * side,
            0 if h.contacts == 0 else max(1, -(-LEVELS * _drawn(h.contacts) // busiest)),
            shown(h.contacts),
            "" if h.present is None else f"{h.present:.1f}",
            h.contacts > 0 and h.present is not None and h.present < 0.5,
        )
        for h in hours
    )
    return Heat(left + 24 * side, top + 7 * side, side, squares)
