"""Known counts to export: written straight into the daily counts, as the flows would."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask

from responder.store import counts
from responder.store.db import get_session

# (day, metric, detail, country, count). Two countries on 2 November add up to one figure.
DAILY = [
    (date(2026, 10, 31), "contacts", "", "GB", 9),  # the day before the period
    (date(2026, 11, 2), "contacts", "", "GB", 3),
    (date(2026, 11, 2), "contacts", "", "US", 4),
    (date(2026, 11, 2), "pages", "main", "GB", 5),
    (date(2026, 11, 3), "contacts", "", "GB", 2),
    (date(2026, 11, 3), "pages", "now_stop", "GB", 1),
    (date(2026, 11, 4), "pages", "now_stop", "US", 2),
    (date(2026, 11, 5), "contacts", "", "GB", 8),  # the day after
]
# The wrap-ups of 12 conversations over two days, as their answers were counted.
WRAPUPS = [
    (date(2026, 11, 2), "contacts", "", "GB", 7),
    (date(2026, 11, 3), "contacts", "", "US", 5),
    (date(2026, 11, 2), "wrapup_contact_type", "about_self", "GB", 4),
    (date(2026, 11, 3), "wrapup_contact_type", "about_self", "US", 2),
    (date(2026, 11, 3), "wrapup_contact_type", "about_other", "US", 1),
    (date(2026, 11, 2), "wrapup_contact_type", "information", "GB", 3),
    (date(2026, 11, 2), "wrapup_category", "sextortion", "GB", 5),
    (date(2026, 11, 3), "wrapup_category", "self_harm", "US", 2),
    (date(2026, 11, 3), "wrapup_category", "questions", "US", 3),
    (date(2026, 11, 2), "wrapup_category", "a_retired_category", "GB", 1),
    (date(2026, 11, 2), "wrapup_age_band", "13_to_15", "GB", 6),
    (date(2026, 11, 3), "wrapup_age_band", "16_to_17", "US", 4),
    (date(2026, 11, 2), "wrapup_gender", "girl_or_woman", "GB", 7),
    (date(2026, 11, 3), "wrapup_gender", "boy_or_man", "US", 3),
]


def given(app: Flask, rows: list[tuple[date, str, str, str, int]]) -> None:
    with app.app_context():
        session = get_session()
        for day, metric, detail, country, amount in rows:
            at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
            counts.add(
                session,
                at,
                metric,
                country=country,
                language="en",
                channel="sms",
                detail=detail,
                amount=amount,
            )
        session.commit()
