"""The statistics page: charts and tables of the anonymous counts, small figures hidden."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from responder.store import counts
from responder.store.db import get_session
from tests.console_sessions import sign_in
from tests.counsellors import add_counsellor
from tests.web.test_console_french_pages import speak


@pytest.fixture
def today() -> datetime:
    """Now, read as the test starts: a suite running past midnight must not see two days."""
    return datetime.now(UTC)


def counted(app: Flask, when: datetime, metric: str, amount: int, detail: str = "") -> None:
    with app.app_context():
        session = get_session()
        counts.add(session, when, metric, detail=detail, amount=amount, channel="sms")
        session.commit()


def shown(client: FlaskClient, query: str = "") -> str:
    response = client.get(f"/console/stats{query}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def table_rows(page: str, caption: str) -> list[list[str]]:
    """A table's body rows as the text of their cells."""
    table = page.split(f"<caption>{caption}</caption>", 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)
    ]


def test_counsellors_have_no_statistics_page(client: FlaskClient, alice: dict[str, str]) -> None:
    sign_in(client, "alice")
    assert client.get("/console/stats").status_code == 403
    assert 'href="/console/stats"' not in client.get("/console/queue").get_data(as_text=True)


def test_the_last_30_days_by_day_with_small_figures_hidden(
    app: Flask, client: FlaskClient, sam: dict[str, str], today: datetime
) -> None:
    counted(app, today, "contacts", 12)
    counted(app, today, "handoffs", 6)
    counted(app, today, "waits", 5)
    counted(app, today, "wait_seconds", 5 * 240)
    counted(app, today, "crisis", 2)
    counted(app, today - timedelta(days=40), "contacts", 99)  # before the period
    sign_in(client, "sam")

    page = shown(client)

    assert 'href="/console/stats">Statistics</a>' in page
    totals = page.split('id="totals-heading"', 1)[1].split("</section>", 1)[0]
    for metric, figure in (
        ("Contacts", "12"),
        ("Asked for a person", "6"),
        ("Reached a counsellor", "5"),
        ("Crisis marks", "<5"),
        ("Average wait for a counsellor", "4 min"),
        ("Median wait for a counsellor", "too few waits to show"),
    ):
        assert f"<dt>{metric}</dt><dd>{figure}</dd>" in totals, metric
    rows = table_rows(page, "Figures over the period")
    assert len(rows) == 30
    assert rows[-1] == [today.date().isoformat(), "12", "6", "5", "0", "0", "<5"]
    assert rows[0] == [
        (today.date() - timedelta(days=29)).isoformat(),
        "0",
        "0",
        "0",
        "0",
        "0",
        "0",
    ]
    # The chart draws a bar for each day, named with its figure, the small ones never exact.
    chart = page.split('aria-labelledby="time-chart-label"', 1)[1].split("</svg>", 1)[0]
    assert chart.count("<rect") == 30
    assert f"<title>{today.date().isoformat()}: 12</title>" in chart
    assert "<dd>99</dd>" not in page and "<td>99</td>" not in page


def test_wrap_ups_divide_by_their_answers_in_words(
    app: Flask, client: FlaskClient, sam: dict[str, str], today: datetime
) -> None:
    counted(app, today, "wrapup_category", 7, "sextortion")
    counted(app, today, "wrapup_category", 3, "bullying")
    counted(app, today, "wrapup_referral", 6, "take_it_down")
    sign_in(client, "sam")

    page = shown(client)

    (label, figure) = table_rows(page, "Categories")[0]
    assert label.startswith("Sextortion: ") and figure == "7"
    assert table_rows(page, "Categories")[1][1] == "<5"
    assert table_rows(page, "Referrals offered") == [["Take It Down", "6"]]
    chart = page.split('aria-labelledby="wrapup_category-chart-label"', 1)[1].split("</svg>", 1)[0]
    assert ">7</text>" in chart and "&lt;5</text>" not in chart and "<5</text>" in chart
    assert "No wrap-up in this period." in page  # contact types and age bands: none


def test_a_period_by_week_and_a_period_that_cannot_be(
    app: Flask, client: FlaskClient, sam: dict[str, str]
) -> None:
    counted(app, datetime(2026, 11, 3, tzinfo=UTC), "contacts", 6)
    counted(app, datetime(2026, 11, 5, tzinfo=UTC), "contacts", 6)
    sign_in(client, "sam")

    page = shown(client, "?from=2026-11-01&to=2026-11-30&by=week")
    rows = table_rows(page, "Figures over the period")
    # The first week starts with the period, the others on Mondays.
    assert [row[0] for row in rows] == [
        "2026-11-01",
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
        "2026-11-23",
        "2026-11-30",
    ]
    assert rows[1][1] == "12"

    backwards = shown(client, "?from=2026-11-30&to=2026-11-01")
    assert "That period cannot be shown" in backwards
    assert len(table_rows(backwards, "Figures over the period")) == 30
    assert "That period cannot be shown" in shown(client, "?from=someday")


def test_the_statistics_page_speaks_french(
    app: Flask, client: FlaskClient, sam: dict[str, str]
) -> None:
    add_counsellor(app, "ines", role="supervisor")
    sign_in(client, "ines")
    speak(client, "fr", "/console/stats")
    page = shown(client)
    assert "<h1>Statistiques</h1>" in page and "Jour par jour" in page
    assert "Chiffres sur la période" in page and "Figures over the period" not in page


def test_the_page_downloads_the_same_csv_as_the_api(
    app: Flask, client: FlaskClient, sam: dict[str, str]
) -> None:
    counted(app, datetime(2026, 11, 3, tzinfo=UTC), "contacts", 6)
    counted(app, datetime(2026, 11, 3, tzinfo=UTC), "wrapup_money_demanded", 5, "under_100")
    period = "from=2026-11-01&to=2026-11-30"
    api = client.get(f"/api/v1/stats?{period}&format=csv&by=week", headers=sam)
    sign_in(client, "sam")
    page = shown(client, f"?{period}&by=week")
    assert 'href="/console/stats.csv?shape=daily&from=2026-11-01&to=2026-11-30&by=week"' in page

    saved = client.get(f"/console/stats.csv?shape=daily&{period}&by=week")
    assert saved.status_code == 200 and saved.mimetype == "text/csv"
    assert saved.headers["Content-Disposition"] == (
        'attachment; filename="helpline-daily-2026-11-01-to-2026-11-30.csv"'
    )
    assert saved.get_data(as_text=True) == api.get_data(as_text=True)
    chi = client.get(f"/console/stats.csv?shape=chi&{period}")
    assert chi.status_code == 200 and "helpline-chi-" in chi.headers["Content-Disposition"]
    assert client.get(f"/console/stats.csv?shape=pie&{period}").status_code == 400
    assert client.get("/console/stats.csv?from=2026-11-30&to=2026-11-01").status_code == 400
    # The incident fields are drawn too, in words.
    assert table_rows(page, "Money demanded") == [["Under 100 USD", "5"]]


def test_counsellors_cannot_download_the_figures(
    client: FlaskClient, alice: dict[str, str]
) -> None:
    sign_in(client, "alice")
    assert client.get("/console/stats.csv").status_code == 403


def test_the_median_and_the_longest_tenth_of_waits(
    app: Flask, client: FlaskClient, sam: dict[str, str], today: datetime
) -> None:
    for minutes, waits in (("2", 3), ("10", 5), ("120", 2)):
        counted(app, today, "wait_minutes", waits, minutes)
    sign_in(client, "sam")
    totals = shown(client).split('id="totals-heading"', 1)[1].split("</section>", 1)[0]
    assert "<dt>Median wait for a counsellor</dt><dd>10 min</dd>" in totals
    assert "<dt>9 in 10 waited at most</dt><dd>120 min or more</dd>" in totals


def test_contacts_divide_by_country_language_and_channel_and_surveys_by_score(
    app: Flask, client: FlaskClient, sam: dict[str, str], today: datetime
) -> None:
    with app.app_context():
        session = get_session()
        for country, language, channel, amount in (
            ("GB", "en", "sms", 7),
            ("FR", "fr", "whatsapp", 3),
            ("", "", "sms", 6),
        ):
            counts.add(
                session,
                today,
                "contacts",
                country=country,
                language=language,
                channel=channel,
                amount=amount,
            )
        counts.add(session, today, "survey", detail="5", amount=6)
        counts.add(session, today, "survey", detail="2", amount=1)
        session.commit()
    sign_in(client, "sam")
    page = shown(client)
    assert table_rows(page, "Contacts by country") == [
        ["GB", "7"],
        ["Not known", "6"],
        ["FR", "<5"],
    ]
    assert table_rows(page, "Contacts by language") == [
        ["English", "7"],
        ["Not known", "6"],
        ["French", "<5"],
    ]
    assert table_rows(page, "Contacts by channel") == [["SMS", "13"], ["WhatsApp", "<5"]]
    assert table_rows(page, "Survey answers (5 is best)") == [["5 of 5", "6"], ["2 of 5", "<5"]]


def test_an_empty_period_says_so_for_each_division(
    app: Flask, client: FlaskClient, sam: dict[str, str]
) -> None:
    sign_in(client, "sam")
    page = shown(client)
    assert page.count("No contact in this period.") == 3
    assert "No survey answer in this period." in page


def test_the_heat_map_sets_contacts_against_counsellors_present_by_hour(
    app: Flask, client: FlaskClient, sam: dict[str, str], today: datetime
) -> None:
    # Within the default period: a day a week ago, at 09 and at 23 (UTC).
    day = (today - timedelta(days=7)).replace(hour=9, minute=30)
    with app.app_context():
        session = get_session()
        counts.add(session, day, "contacts_hour", detail="09", amount=12)
        counts.add(session, day, "hours_sampled", detail="09", amount=2)
        counts.add(session, day, "present_hour", detail="09", amount=3)
        counts.add(session, day, "contacts_hour", detail="23", amount=3)
        counts.add(session, day, "hours_sampled", detail="23")
        session.commit()
    sign_in(client, "sam")
    page = shown(client)
    rows = table_rows(page, "Contacts / counsellors present on average, by hour (UTC) and weekday")
    assert [row[0] for row in rows] == [f"{hour:02d}" for hour in range(24)]
    column = day.weekday() + 1
    assert rows[9][column] == "12 / 1.5"
    assert rows[23][column] == "<5 / 0.0"  # contacts while nobody was there, small figure hidden
    assert rows[9][(column % 7) + 1] == "0 / \u2013"  # the worker never looked that day
    chart = page.split('aria-labelledby="heat-chart-label"', 1)[1].split("</svg>", 1)[0]
    assert chart.count("<rect") == 7 * 24 and chart.count("heat-unstaffed") == 1
