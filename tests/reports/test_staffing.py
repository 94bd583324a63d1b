"""Demand against staffing by hour of the week: the worker's hourly look, and the heat map."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Flask

from responder import policies
from responder.reports import charts, figures, staffing
from responder.store import counts
from responder.store.db import get_session
from tests.counsellors import add_counsellor, make_present

# A Tuesday, ten past nine in the morning, UTC.
TUESDAY = datetime(2026, 12, 1, 9, 10, tzinfo=UTC)


def sample(app: Flask, now: datetime) -> int | None:
    with app.app_context():
        session = get_session()
        found = staffing.sample_if_due(session, now, policies.presence(app.config))
        session.commit()
    return found


def test_the_worker_counts_who_is_present_once_in_each_hour_of_the_clock(app: Flask) -> None:
    for name in ("ada", "bo", "cy"):
        add_counsellor(app, name)
    make_present(app, "ada", TUESDAY - timedelta(seconds=30))
    make_present(app, "bo", TUESDAY - timedelta(minutes=10))  # seen too long ago: away
    assert sample(app, TUESDAY) == 1
    assert sample(app, TUESDAY + timedelta(minutes=49)) is None  # the same hour: looked already
    assert sample(app, TUESDAY.replace(hour=10, minute=0)) == 0  # the next hour: ada went quiet
    with app.app_context():
        hours = figures.week_by_hour(get_session(), figures.period(TUESDAY.date(), TUESDAY.date()))
    tuesday = {h.hour: h for h in hours if h.weekday == 1}
    assert (tuesday[9].present, tuesday[10].present, tuesday[11].present) == (1.0, 0.0, None)


def test_the_hours_of_the_week_set_contacts_against_the_average_present(app: Flask) -> None:
    with app.app_context():
        session = get_session()
        # Two Tuesdays at 09: 12 contacts in all; the worker saw 2, then 1 counsellor.
        for day, contacts, present in ((TUESDAY, 7, 2), (TUESDAY + timedelta(days=7), 5, 1)):
            counts.add(session, day, "contacts_hour", detail="09", amount=contacts)
            counts.add(session, day, "hours_sampled", detail="09")
            counts.add(session, day, "present_hour", detail="09", amount=present)
        # Sunday 23:00: two contacts while nobody was there.
        sunday = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
        counts.add(session, sunday, "contacts_hour", detail="23", amount=2)
        counts.add(session, sunday, "hours_sampled", detail="23")
        session.commit()
        hours = figures.week_by_hour(
            session, figures.period(date(2026, 11, 30), date(2026, 12, 13))
        )
    assert len(hours) == 7 * 24 and (hours[0].weekday, hours[0].hour) == (0, 0)
    by = {(h.weekday, h.hour): h for h in hours}
    assert (by[1, 9].contacts, by[1, 9].present) == (12, 1.5)
    assert (by[6, 23].contacts, by[6, 23].present) == (2, 0.0)
    assert (by[0, 0].contacts, by[0, 0].present) == (0, None)

    heat = charts.heat(hours)
    squares = {(s.weekday, s.hour): s for s in heat.squares}
    assert (squares[1, 9].shown, squares[1, 9].present, squares[1, 9].level) == ("12", "1.5", 4)
    # Two contacts show as "<5", are drawn as 5, and nobody was there to answer them.
    assert (squares[6, 23].shown, squares[6, 23].level, squares[6, 23].unstaffed) == ("<5", 2, True)
    assert (squares[0, 0].level, squares[0, 0].present, squares[0, 0].unstaffed) == (0, "", False)
    assert squares[6, 23].x > squares[6, 0].x and squares[6, 0].y > squares[0, 0].y
