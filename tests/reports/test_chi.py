"""The summary in the shape of Child Helpline International's annual data collection."""

from __future__ import annotations

import json
from datetime import date

from flask import Flask

from responder.counselling.wrapup_lists import AGE_BANDS, CATEGORIES, CONTACT_TYPES, GENDERS
from responder.reports import chi, export, figures
from responder.store.db import get_session
from tests.reports.figures import WRAPUPS, given

NOVEMBER = figures.Period(date(2026, 11, 1), date(2026, 11, 30))


def sections(app: Flask) -> dict[str, dict[str, object]]:
    with app.app_context():
        text = export.export(get_session(), NOVEMBER, "chi", "json")
    found = json.loads(text)
    assert (found["shape"], found["from"], found["to"]) == ("chi", "2026-11-01", "2026-11-30")
    return {
        section["name"]: {
            "lines": {line["code"]: line["count"] for line in section["lines"]},
            "total": section["total"],
        }
        for section in found["sections"]
    }


def test_contacts_by_type_count_every_type_and_the_counselling_ones(app: Flask) -> None:
    given(app, WRAPUPS)
    found = sections(app)
    assert list(found) == ["contacts", "contact_type", "category", "age_band", "gender"]
    assert found["contacts"] == {
        "lines": {"started": 12, "wrapped_up": 10, "counselling": 7},
        "total": None,
    }
    assert found["contact_type"] == {
        "lines": {code: 0 for code in CONTACT_TYPES}
        | {"about_self": 6, "about_other": "<5", "information": "<5"},
        "total": 10,
    }


def test_categories_ages_and_genders_list_every_answer(app: Flask) -> None:
    given(app, WRAPUPS)
    found = sections(app)
    categories = {code: 0 for code in CATEGORIES} | {
        "sextortion": 5,
        "self_harm": "<5",
        "questions": "<5",
        "a_retired_category": "<5",  # an answer no longer offered still counts
    }
    assert found["category"] == {"lines": categories, "total": 11}
    assert list(found["category"]["lines"])[-1] == "a_retired_category"  # type: ignore[call-overload]
    ages = {code: 0 for code in AGE_BANDS} | {"13_to_15": 6, "16_to_17": "<5"}
    assert found["age_band"] == {"lines": ages, "total": 10}
    genders = {code: 0 for code in GENDERS} | {"girl_or_woman": 7, "boy_or_man": "<5"}
    assert found["gender"] == {"lines": genders, "total": 10}


def test_the_csv_lists_each_section_with_its_total(app: Flask) -> None:
    given(app, WRAPUPS)
    with app.app_context():
        lines = export.export(get_session(), NOVEMBER, "chi", "csv").splitlines()
    assert lines[:5] == [
        "section,code,label,count",
        "contacts,started,Conversations started,12",
        "contacts,wrapped_up,Wrapped up by a counsellor,10",
        "contacts,counselling,Counselling contacts,7",
        "contact_type,about_self,Counselling: about themselves,6",
    ]
    assert "contact_type,silent,Not counselling: silent,0" in lines
    assert "contact_type,total,Total,10" in lines
    assert "gender,boy_or_man,Boy or man,<5" in lines
    assert lines[-1] == "gender,total,Total,10"
    assert not any(line.startswith("contacts,total") for line in lines)


def test_a_small_total_is_hidden_too() -> None:
    period = figures.Period(date(2026, 1, 1), date(2026, 1, 1))
    rows = [figures.Figure(date(2026, 1, 1), "wrapup_gender", "non_binary", 3)]
    summary = chi.summary(period, rows)
    gender = summary.sections[-1]
    assert gender.total == 3
    assert export._chi_json(summary)["sections"][-1]["total"] == "<5"
