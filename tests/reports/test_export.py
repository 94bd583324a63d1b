"""Exports of the anonymous figures: exact contents, and small numbers hidden."""

from __future__ import annotations

import json
from datetime import date

import pytest
from flask import Flask

from responder.reports import export, figures
from responder.store.db import get_session
from tests.reports.figures import DAILY, given

NOVEMBER = figures.Period(date(2026, 11, 1), date(2026, 11, 4))


def exported(app: Flask, shape: str, form: str) -> str:
    with app.app_context():
        return export.export(get_session(), NOVEMBER, shape, form)


@pytest.mark.parametrize(
    ("count", "shown"), [(0, 0), (1, "<5"), (2, "<5"), (4, "<5"), (5, 5), (120, 120)]
)
def test_figures_from_one_to_four_are_hidden(count: int, shown: int | str) -> None:
    assert export.shown(count) == shown


def test_the_daily_csv_sums_the_breakdown_and_hides_small_figures(app: Flask) -> None:
    given(app, DAILY)
    assert exported(app, "daily", "csv") == (
        "day,metric,detail,count\n"
        "2026-11-02,contacts,,7\n"
        "2026-11-02,pages,main,5\n"
        "2026-11-03,contacts,,<5\n"
        "2026-11-03,pages,now_stop,<5\n"
        "2026-11-04,pages,now_stop,<5\n"
        "total,contacts,,9\n"
        "total,pages,main,5\n"
        "total,pages,now_stop,<5\n"
    )


def test_the_daily_json_holds_the_same_figures(app: Flask) -> None:
    given(app, DAILY)
    assert json.loads(exported(app, "daily", "json")) == {
        "shape": "daily",
        "from": "2026-11-01",
        "to": "2026-11-04",
        "by": "day",
        "rows": [
            {"day": "2026-11-02", "metric": "contacts", "detail": "", "count": 7},
            {"day": "2026-11-02", "metric": "pages", "detail": "main", "count": 5},
            {"day": "2026-11-03", "metric": "contacts", "detail": "", "count": "<5"},
            {"day": "2026-11-03", "metric": "pages", "detail": "now_stop", "count": "<5"},
            {"day": "2026-11-04", "metric": "pages", "detail": "now_stop", "count": "<5"},
        ],
        "totals": [
            {"metric": "contacts", "detail": "", "count": 9},
            {"metric": "pages", "detail": "main", "count": 5},
            {"metric": "pages", "detail": "now_stop", "count": "<5"},
        ],
    }


def test_a_total_of_small_figures_shows_when_it_reaches_five(app: Flask) -> None:
    rows = [(date(2026, 11, d), "handoffs", "", "GB", 2) for d in (1, 2, 3)]
    given(app, rows)
    lines = exported(app, "daily", "csv").splitlines()
    assert lines[1:] == [
        "2026-11-01,handoffs,,<5",
        "2026-11-02,handoffs,,<5",
        "2026-11-03,handoffs,,<5",
        "total,handoffs,,6",
    ]


def test_a_period_without_counts_is_just_the_header(app: Flask) -> None:
    assert exported(app, "daily", "csv") == "day,metric,detail,count\n"
    assert json.loads(exported(app, "daily", "json"))["rows"] == []


def test_the_daily_rows_add_up_by_week_from_the_first_day_asked(app: Flask) -> None:
    given(app, DAILY)
    with app.app_context():
        text = export.export(get_session(), NOVEMBER, "daily", "csv", "week")
    # 2 November 2026 is a Monday: the 2nd to the 4th make one week.
    assert text == (
        "day,metric,detail,count\n"
        "2026-11-02,contacts,,9\n"
        "2026-11-02,pages,main,5\n"
        "2026-11-02,pages,now_stop,<5\n"
        "total,contacts,,9\n"
        "total,pages,main,5\n"
        "total,pages,now_stop,<5\n"
    )
    with app.app_context():
        monthly = json.loads(export.export(get_session(), NOVEMBER, "daily", "json", "month"))
    assert monthly["by"] == "month"
    assert monthly["rows"][0] == {
        "day": "2026-11-01",
        "metric": "contacts",
        "detail": "",
        "count": 9,
    }
