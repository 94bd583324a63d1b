"""The wrap-up: each field checked in words, kept with the conversation, counted, then forgotten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from responder import services
from responder.bot.content import load
from responder.counselling import handoff, wrapup, wrapup_lists
from responder.errors import InvalidFields
from responder.privacy import retention
from responder.store import sealed
from responder.store.casework import WrapUp
from responder.store.db import get_session
from responder.store.models import Counsellor, DailyCount
from tests.bot.test_content import SHIPPED
from tests.counsellors import conversation, update_conversation
from tests.twilio_requests import post_signed, sms

CONTENT = load(SHIPPED)
SUMMARY = "Met someone on a game, moved to Snapchat, asked for 500 by Friday"
SEXTORTION = {
    "contact_type": "about_self",
    "categories": ["sextortion", "emotional_distress"],
    "first_contact_platform": "online_game",
    "threat_platform": "snapchat",
    "money_demanded": "100_to_1000",
    "money_paid": "none",
    "images_shared": "unknown",
    "deadline_given": "yes",
    "referrals": ["take_it_down", "platform_report"],
    "age_band": "13_to_15",
    "gender": "boy_or_man",
    "summary": SUMMARY,
}
SILENT = {"contact_type": "silent", "age_band": "not_given", "gender": "not_given"}
INCIDENT = {name: SEXTORTION[name] for name in wrapup_lists.INCIDENT}


def without(raw: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in raw.items() if key not in names}


@pytest.mark.parametrize(
    ("raw", "field", "says"),
    [
        pytest.param(without(SEXTORTION, "contact_type"), "contact_type", "choose one", id="type"),
        pytest.param({**SILENT, "contact_type": "chat"}, "contact_type", "Not counselling: silent"),
        pytest.param(
            {**SEXTORTION, "categories": []}, "categories", "at least one", id="no-category"
        ),
        pytest.param(
            {**SEXTORTION, "categories": ["sextortion", "self_harm", "questions", "age_unknown"]},
            "categories",
            "at most 3",
            id="four-categories",
        ),
        pytest.param(
            {**SILENT, "categories": ["extortion"]}, "categories", "extortion", id="unknown"
        ),
        pytest.param({**SILENT, "categories": "sextortion"}, "categories", "list", id="not-list"),
        pytest.param(
            without(SEXTORTION, "threat_platform"),
            "threat_platform",
            "sextortion",
            id="threat-missing",
        ),
        pytest.param(
            {**SEXTORTION, "first_contact_platform": "myspace"},
            "first_contact_platform",
            "Snapchat",
            id="platform-not-listed",
        ),
        pytest.param(
            {**SEXTORTION, "money_paid": "500"}, "money_paid", "Under 100 USD", id="money"
        ),
        pytest.param(
            {**SILENT, **INCIDENT}, "money_demanded", "only asked", id="incident-not-sextortion"
        ),
        pytest.param(
            {**SILENT, "referrals": ["childline"]}, "referrals", "childline", id="referral"
        ),
        pytest.param(without(SILENT, "age_band"), "age_band", "choose one", id="no-age"),
        pytest.param({**SILENT, "gender": "m"}, "gender", "Not given", id="gender"),
        pytest.param(
            {**SILENT, "summary": "x" * 1001}, "summary", "1001 characters", id="long-summary"
        ),
        pytest.param({**SILENT, "summary": "a\x00b"}, "summary", "cannot be kept", id="nul"),
        pytest.param({**SILENT, "mood": "calm"}, "mood", "not a question", id="unknown-field"),
    ],
)
def test_each_wrong_field_is_named_in_words(raw: dict[str, Any], field: str, says: str) -> None:
    with pytest.raises(InvalidFields) as raised:
        wrapup.validate(raw, CONTENT)
    problems = raised.value.fields
    assert field in problems, problems
    assert says in problems[field]
    # The message names the question in words, not its code.
    assert problems[field].startswith(wrapup_lists.QUESTIONS.get(field, field) + ":")


def test_every_wrong_field_is_named_at_once() -> None:
    with pytest.raises(InvalidFields) as raised:
        wrapup.validate({"categories": ["sextortion"]}, CONTENT)
    assert set(raised.value.fields) == {
        "contact_type",
        "age_band",
        "gender",
        *wrapup_lists.INCIDENT,
    }
    assert "9 answers" in str(raised.value)


def test_sextortion_is_counted_under_online_sexual_exploitation_with_its_tag() -> None:
    filled = wrapup.validate(SEXTORTION, CONTENT)
    assert filled.category == "violence/online_sexual_exploitation"
    assert filled.secondary == ("mental_health/emotional_distress", "sextortion")


def test_every_category_is_counted_under_a_contact_category() -> None:
    codes = {category.code for category in wrapup_lists.CATEGORIES.values()}
    assert codes == set(handoff.CATEGORIES)
    assert all(c.tag in (None, *handoff.LOCAL_TAGS) for c in wrapup_lists.CATEGORIES.values())


def test_a_silent_contact_needs_no_category() -> None:
    filled = wrapup.validate(SILENT, CONTENT)
    assert filled.categories == () and filled.category is None
    assert wrapup.validate({**SILENT, "contact_type": "thanks"}, CONTENT).category == (
        "non_counselling/thanks_or_complaint"
    )


def close(app: Flask, conversation_id: int, raw: dict[str, Any], now: datetime) -> None:
    with app.app_context():
        session = get_session()
        alice = session.scalars(select(Counsellor).where(Counsellor.username == "alice")).one()
        content = services.of(app).content
        filled = wrapup.validate(raw, content)
        handoff.close(session, conversation_id, alice, None, (), False, now, content, filled)
        session.commit()


def stored(app: Flask, conversation_id: int) -> WrapUp | None:
    """The wrap-up as kept, its summary opened while the session can still open it."""
    with app.app_context():
        kept = get_session().get(WrapUp, conversation_id)
        assert kept is None or kept.summary is None or kept.summary.strip()
        return kept


def wrapup_counts(app: Flask) -> dict[tuple[str, str], int]:
    with app.app_context():
        rows = get_session().execute(
            select(DailyCount.metric, DailyCount.detail, func.sum(DailyCount.count))
            .where(DailyCount.metric.startswith("wrapup_"))
            .group_by(DailyCount.metric, DailyCount.detail)
        )
        return {(metric, detail): total for metric, detail, total in rows}


def test_closing_keeps_the_wrap_up_and_who_closed(app: Flask, held: int) -> None:
    now = datetime.now(UTC)
    close(app, held, SEXTORTION, now)
    kept = stored(app, held)
    assert kept is not None
    assert kept.contact_type == "about_self"
    assert kept.categories == ["sextortion", "emotional_distress"]
    assert (kept.first_contact_platform, kept.threat_platform) == ("online_game", "snapchat")
    assert (kept.money_demanded, kept.money_paid) == ("100_to_1000", "none")
    assert (kept.images_shared, kept.deadline_given) == ("unknown", "yes")
    assert kept.referrals == ["take_it_down", "platform_report"]
    assert (kept.age_band, kept.gender, kept.summary) == ("13_to_15", "boy_or_man", SUMMARY)
    with app.app_context():
        as_stored = get_session().scalars(select(WrapUp.sealed_summary)).one()
    assert as_stored is not None and as_stored.startswith(sealed.PREFIX)
    assert SUMMARY not in as_stored
    closed = conversation(app, held)
    assert closed.state == "closed"
    assert closed.category == "violence/online_sexual_exploitation"
    assert closed.secondary == ["mental_health/emotional_distress", "sextortion"]
    with app.app_context():
        alice = get_session().scalars(select(Counsellor)).one()
    assert closed.closed_by_id == alice.id


def test_each_answer_is_counted_and_the_summary_never(app: Flask, held: int) -> None:
    close(app, held, SEXTORTION, datetime.now(UTC))
    counted = wrapup_counts(app)
    assert counted == {
        ("wrapup_contact_type", "about_self"): 1,
        ("wrapup_category", "sextortion"): 1,
        ("wrapup_category", "emotional_distress"): 1,
        ("wrapup_first_contact", "online_game"): 1,
        ("wrapup_threat_from", "snapchat"): 1,
        ("wrapup_money_demanded", "100_to_1000"): 1,
        ("wrapup_money_paid", "none"): 1,
        ("wrapup_images_shared", "unknown"): 1,
        ("wrapup_deadline", "yes"): 1,
        ("wrapup_referral", "take_it_down"): 1,
        ("wrapup_referral", "platform_report"): 1,
        ("wrapup_age_band", "13_to_15"): 1,
        ("wrapup_gender", "boy_or_man"): 1,
    }
    with app.app_context():
        details = get_session().scalars(select(DailyCount.detail)).all()
    # Nor in any other count: a detail is at most 64 characters of whatever was given.
    # (A wait's detail is its whole minutes, a number that may happen to be in the text.)
    words = [detail for detail in details if detail and not detail.isdigit()]
    assert words and not any(detail in SUMMARY for detail in words)


def test_a_silent_contact_counts_no_incident(app: Flask, held: int) -> None:
    close(app, held, SILENT, datetime.now(UTC))
    assert set(wrapup_counts(app)) == {
        ("wrapup_contact_type", "silent"),
        ("wrapup_age_band", "not_given"),
        ("wrapup_gender", "not_given"),
    }
    assert stored(app, held).first_contact_platform is None


def test_retention_deletes_the_summary_and_keeps_the_answers(app: Flask, held: int) -> None:
    now = datetime.now(UTC)
    close(app, held, SEXTORTION, now)
    with app.app_context():
        session = get_session()
        early = retention.run(session, now + timedelta(days=29), app.config)
        session.commit()
    assert early.summaries == 0
    assert stored(app, held).summary == SUMMARY
    update_conversation(app, held, closed_at=now - timedelta(days=31))
    with app.app_context():
        session = get_session()
        done = retention.run(session, now, app.config)
        session.commit()
    assert done.summaries == 1
    assert "wrap-up summaries deleted: 1" in done.lines()
    kept = stored(app, held)
    assert kept.summary is None
    assert kept.threat_platform == "snapchat"


def test_erasure_removes_the_wrap_up(app: Flask, client: FlaskClient, held: int) -> None:
    close(app, held, SEXTORTION, datetime.now(UTC))
    post_signed(client, sms("DELETE"))
    post_signed(client, sms("DELETE"))
    assert stored(app, held) is None
    # The anonymous counts outlive the texter, as every count does.
    assert wrapup_counts(app)[("wrapup_threat_from", "snapchat")] == 1
