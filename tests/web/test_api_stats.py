"""GET /api/v1/stats: the anonymous figures for supervisors and admins, as JSON or CSV."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.reports.figures import DAILY, WRAPUPS, given

PERIOD = "from=2026-11-01&to=2026-11-04"


def test_counsellors_may_not_read_the_figures(client: FlaskClient, alice: dict[str, str]) -> None:
    response = client.get(f"/api/v1/stats?{PERIOD}", headers=alice)
    assert response.status_code == 403
    assert response.get_json() == {
        "error": "only supervisors and admins may read the statistics",
        "code": "stats_supervisors",
        "values": {},
    }


def test_without_a_token_the_answer_is_401(client: FlaskClient) -> None:
    assert client.get(f"/api/v1/stats?{PERIOD}").status_code == 401


def test_a_supervisor_gets_json_by_default(
    app: Flask, client: FlaskClient, sam: dict[str, str]
) -> None:
    given(app, DAILY)
    response = client.get(f"/api/v1/stats?{PERIOD}", headers=sam)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    found = response.get_json()
    assert (found["shape"], found["from"], found["to"]) == ("daily", "2026-11-01", "2026-11-04")
    assert found["totals"] == [
        {"metric": "contacts", "detail": "", "count": 9},
        {"metric": "pages", "detail": "main", "count": 5},
        {"metric": "pages", "detail": "now_stop", "count": "<5"},
    ]


def test_csv_and_the_chi_shape(app: Flask, client: FlaskClient, sam: dict[str, str]) -> None:
    given(app, WRAPUPS)
    response = client.get(f"/api/v1/stats?{PERIOD}&format=csv&shape=chi", headers=sam)
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="helpline-chi-2026-11-01-to-2026-11-04.csv"'
    )
    lines = response.get_data(as_text=True).splitlines()
    assert lines[:2] == ["section,code,label,count", "contacts,started,Conversations started,12"]
    assert "contact_type,about_other,Counselling: about another child,<5" in lines


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("to=2026-11-04", "from is required: a date written YYYY-MM-DD"),
        ("from=2026-11-01", "to is required: a date written YYYY-MM-DD"),
        ("from=2026-11-31&to=2026-12-04", "from: '2026-11-31' is not a date written YYYY-MM-DD"),
        (
            "from=2026-11-05&to=2026-11-04",
            "the period starts on 2026-11-05, after it ends on 2026-11-04",
        ),
        ("from=2026-01-01&to=2027-01-02", "the period is 367 days; the most is 366 (a year)"),
        (f"{PERIOD}&format=xlsx", "format must be one of: csv, json"),
        (f"{PERIOD}&shape=weekly", "shape must be one of: daily, chi"),
        (f"{PERIOD}&by=year", "by must be one of: day, week, month"),
    ],
)
def test_bad_parameters_get_422_saying_what_to_send(
    client: FlaskClient, sam: dict[str, str], query: str, error: str
) -> None:
    response = client.get(f"/api/v1/stats?{query}", headers=sam)
    assert response.status_code == 422
    assert response.get_json() == {"error": error}


def test_a_whole_leap_year_is_allowed(client: FlaskClient, sam: dict[str, str]) -> None:
    response = client.get("/api/v1/stats?from=2028-01-01&to=2028-12-31", headers=sam)
    assert response.status_code == 200
    assert response.get_json()["rows"] == []


def test_the_rows_add_up_by_week(app: Flask, client: FlaskClient, sam: dict[str, str]) -> None:
    given(app, DAILY)
    response = client.get(f"/api/v1/stats?{PERIOD}&by=week", headers=sam)
    assert response.status_code == 200
    found = response.get_json()
    assert found["by"] == "week"
    assert found["rows"][0] == {"day": "2026-11-02", "metric": "contacts", "detail": "", "count": 9}
