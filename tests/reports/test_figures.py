"""Reading a period's figures: days included at both ends, summed, and added by week or month."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from responder.reports import figures
from responder.reports.figures import Figure
from responder.store.db import get_session
from tests.reports.figures import DAILY, given


def test_both_ends_of_the_period_are_included(app: Flask) -> None:
    given(app, DAILY)
    with app.app_context():
        found = figures.read(get_session(), figures.period(date(2026, 10, 31), date(2026, 11, 5)))
    assert [(f.day.day, f.metric, f.count) for f in found if f.metric == "contacts"] == [
        (31, "contacts", 9),
        (2, "contacts", 7),
        (3, "contacts", 2),
        (5, "contacts", 8),
    ]


def test_figures_add_up_by_week_and_by_month() -> None:
    rows = [
        Figure(date(2026, 11, 29), "contacts", "", 1),  # a Sunday
        Figure(date(2026, 11, 30), "contacts", "", 2),  # the next Monday
        Figure(date(2026, 12, 1), "contacts", "", 3),
    ]
    assert figures.by_grain(rows, "week") == [
        Figure(date(2026, 11, 23), "contacts", "", 1),
        Figure(date(2026, 11, 30), "contacts", "", 5),
    ]
    assert figures.by_grain(rows, "month") == [
        Figure(date(2026, 11, 1), "contacts", "", 3),
        Figure(date(2026, 12, 1), "contacts", "", 3),
    ]
    assert figures.by_grain(rows, "day") == rows


@pytest.mark.parametrize("raw", ["2026-13-01", "20261231", "2026-W01", "", "yesterday"])
def test_only_a_plain_date_is_a_day(raw: str) -> None:
    with pytest.raises(figures.PeriodError, match="is not a date written YYYY-MM-DD"):
        figures.day(raw)


def test_a_period_may_not_end_before_it_starts_nor_run_too_long() -> None:
    with pytest.raises(figures.PeriodError, match="starts on 2026-11-02, after it ends on"):
        figures.period(date(2026, 11, 2), date(2026, 11, 1))
    assert figures.period(date(2026, 1, 1), date(2026, 12, 31), longest=366).days == 365
    with pytest.raises(figures.PeriodError, match="the period is 367 days; the most is 366"):
        figures.period(date(2026, 1, 1), date(2027, 1, 2), longest=366)


def test_a_week_begun_before_the_period_is_dated_from_its_first_day() -> None:
    rows = [Figure(date(2026, 11, 5), "contacts", "", 1)]  # a Thursday
    assert figures.by_grain(rows, "week", since=date(2026, 11, 4)) == [
        Figure(date(2026, 11, 4), "contacts", "", 1)
    ]


@pytest.mark.parametrize(
    ("waits", "share", "minutes"),
    [
        ({"2": 3, "10": 5, "40": 2}, 0.5, 10),
        ({"2": 3, "10": 5, "40": 2}, 0.9, 40),
        ({"2": 3, "10": 5, "40": 2}, 0.3, 2),
        ({"120": 4, "0": 1}, 0.5, 120),  # the longest waits count at their cap
        ({"10": 1, "9": 1}, 0.5, 9),  # by minute, not by the order the counts came in
        ({}, 0.5, None),
    ],
)
def test_a_share_of_the_waits_ends_by_a_minute(
    waits: dict[str, int], share: float, minutes: int | None
) -> None:
    assert figures.wait_percentile(waits, share) == minutes
