"""Flags on a texter: added and lifted by counsellors, shown in the queue, gone when they expire."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from responder import services
from responder.counselling import caseload, flags, views
from responder.errors import Rejected
from responder.store.casework import ContactFlag
from responder.store.db import get_session
from responder.store.models import Counsellor
from tests.counselling.test_history import act, came_back, days_ago, talk_and_close
from tests.counsellors import number, queue_texter
from tests.privacy.test_retention import run_purge
from tests.store.test_statement_budget import statements
from tests.twilio_requests import post_signed, sms

NOW = datetime(2026, 12, 6, 15, 30, tzinfo=UTC)
DAY = timedelta(days=1)


def counsellor(name: str) -> Counsellor:
    return get_session().scalars(select(Counsellor).where(Counsellor.username == name)).one()


def flag(app: Flask, conversation_id: int, label: str, until: date | None, now: datetime = NOW):
    with app.app_context():
        session = get_session()
        added = flags.add(session, conversation_id, counsellor("alice"), label, until, now)
        session.commit()
    return added


def queue_flags(app: Flask, now: datetime) -> dict[int, tuple[str, ...]]:
    with app.app_context():
        page = views.queue_page(get_session(), services.of(app).keys, now, 50, None)
    return {item.id: item.flags for item in page.items}


def flag_count(app: Flask) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count(ContactFlag.id)))


def test_a_flag_shows_through_its_last_day_then_expires_by_itself(
    app: Flask, alice: dict[str, str], waiting: int
) -> None:
    added = flag(app, waiting, "repeat threats", NOW.date() + 2 * DAY)

    assert added.label == "repeat threats"
    assert added.counsellor == "alice"
    assert added.expires_at == datetime(2026, 12, 9, tzinfo=UTC)
    assert queue_flags(app, NOW) == {waiting: ("repeat threats",)}
    last_moment = added.expires_at - timedelta(seconds=1)
    assert queue_flags(app, last_moment) == {waiting: ("repeat threats",)}
    # Nobody lifts it: from the next day on it is simply not there.
    assert queue_flags(app, added.expires_at) == {waiting: ()}
    with app.app_context():
        assert flags.of_contact(get_session(), 1, added.expires_at) == ()


def test_a_flag_lasts_thirty_days_unless_told_and_a_year_at_most(
    app: Flask, alice: dict[str, str], waiting: int
) -> None:
    assert flag(app, waiting, "prank", None).expires_at == datetime(2027, 1, 6, tzinfo=UTC)
    assert flag(app, waiting, "prank", NOW.date()).expires_at == datetime(2026, 12, 7, tzinfo=UTC)
    a_year = flag(app, waiting, "known to police", NOW.date() + 365 * DAY)
    assert a_year.expires_at == datetime(2027, 12, 7, tzinfo=UTC)
    for too_far in (NOW.date() + 366 * DAY, NOW.date() - DAY):
        with pytest.raises(Rejected):
            flag(app, waiting, "prank", too_far)
    assert flag_count(app) == 3


@pytest.mark.parametrize(
    "label",
    ["", "   ", "x" * 65, "call him on 07700 900123", "case 12345", "tab\x07bell"],
)
def test_a_label_is_short_words_never_a_number(
    app: Flask, alice: dict[str, str], waiting: int, label: str
) -> None:
    with pytest.raises(Rejected):
        flag(app, waiting, label, None)
    assert flag_count(app) == 0


def test_spaces_in_a_label_are_tidied_and_a_year_is_not_a_number(
    app: Flask, alice: dict[str, str], waiting: int
) -> None:
    assert flag(app, waiting, "  known to\n police  since 2025 ", None).label == (
        "known to police since 2025"
    )


def test_flags_show_in_the_queue_and_the_caseload_in_one_query_for_all(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    texters = [queue_texter(client, number(i)) for i in range(1, 4)]
    flag(app, texters[0], "prank", None)
    flag(app, texters[0], "repeat threats", NOW.date() + DAY)
    flag(app, texters[2], "known to police", None)

    assert queue_flags(app, NOW) == {
        texters[0]: ("repeat threats", "prank"),  # the soonest to expire first
        texters[1]: (),
        texters[2]: ("known to police",),
    }
    # The labels are read for the whole page at once, not once per texter.
    with statements(app) as few_flagged:
        queue_flags(app, NOW)
    more = [queue_texter(client, number(i)) for i in range(4, 8)]
    for texter in more:
        flag(app, texter, "prank", None)
    with statements(app) as more_flagged:
        assert len(queue_flags(app, NOW)) == 7
    assert len(more_flagged) == len(few_flagged)

    for texter in texters:
        assert client.post(act(texter, "claim"), headers=alice).status_code == 200
    with app.app_context():
        held = caseload.held(get_session(), counsellor("alice"), NOW)
    assert {item.id: item.flags for item in held} == {
        texters[0]: ("repeat threats", "prank"),
        texters[1]: (),
        texters[2]: ("known to police",),
    }


def test_erasing_the_texter_takes_their_flags(
    app: Flask, client: FlaskClient, alice: dict[str, str], waiting: int
) -> None:
    flag(app, waiting, "repeat threats", None)
    other = queue_texter(client, number(3))
    flag(app, other, "prank", None)

    post_signed(client, sms("DELETE"))
    post_signed(client, sms("DELETE"))

    with app.app_context():
        left = get_session().scalars(select(ContactFlag.label)).all()
    assert left == ["prank"]


def test_a_texter_deleted_after_retention_leaves_no_flags(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    first = talk_and_close(client, alice)
    flag(app, first, "repeat threats", None, now=datetime.now(UTC))
    days_ago(app, first, 400)

    done = run_purge(app, datetime.now(UTC))

    assert (done.anonymised, done.contacts) == (1, 1)
    assert flag_count(app) == 0


def test_a_flag_added_on_an_earlier_visit_shows_when_they_come_back(
    app: Flask, client: FlaskClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    first, second = came_back(app, client, alice)
    flag(app, first, "repeat threats", None, now=datetime.now(UTC))

    seen = client.get(act(second, "history"), headers=bob).get_json()

    assert [f["label"] for f in seen["flags"]] == ["repeat threats"]
    (item,) = client.get("/api/v1/queue", headers=bob).get_json()["items"]
    assert (item["id"], item["flags"]) == (second, ["repeat threats"])


def test_adding_and_lifting_are_audited(
    app: Flask, client: FlaskClient, alice: dict[str, str], sam: dict[str, str], waiting: int
) -> None:
    added = client.post(act(waiting, "flags"), headers=alice, json={"label": "prank"})
    assert added.status_code == 201
    flag_id = added.get_json()["id"]
    # Thirty days unless told: the last day it shows is the one before it expires.
    expires = datetime.fromisoformat(added.get_json()["expires_at"])
    last_day = (expires - timedelta(days=1)).date().isoformat()
    lifted = client.delete(f"{act(waiting, 'flags')}/{flag_id}", headers=alice)
    assert lifted.status_code == 204
    assert client.get(f"{act(waiting, 'history')}", headers=alice).get_json()["flags"] == []

    log = client.get("/api/v1/audit", headers=sam).get_json()["items"]

    assert [(e["action"], e["counsellor"], e["conversation_id"], e["detail"]) for e in log] == [
        ("flag", "alice", waiting, {"label": "prank", "until": last_day}),
        ("unflag", "alice", waiting, {"flag": flag_id, "label": "prank"}),
    ]


def test_the_purge_deletes_expired_flags_and_keeps_the_rest(
    app: Flask, alice: dict[str, str], waiting: int
) -> None:
    flag(app, waiting, "prank", NOW.date())
    flag(app, waiting, "repeat threats", NOW.date() + DAY)

    done = run_purge(app, NOW + DAY)

    assert done.flags == 1
    with app.app_context():
        assert get_session().scalars(select(ContactFlag.label)).all() == ["repeat threats"]


def test_adding_and_lifting_a_flag_tell_live_pages_through_the_feed(
    app: Flask, client: FlaskClient, alice: dict[str, str], bob: dict[str, str], waiting: int
) -> None:
    def last_event() -> int:
        items = client.get("/api/v1/events?after=0&limit=200", headers=bob).get_json()["items"]
        return items[-1]["id"] if items else 0

    def flagged_after(cursor: int) -> list[tuple[int, str]]:
        items = client.get(f"/api/v1/events?after={cursor}", headers=bob).get_json()["items"]
        return [(e["conversation_id"], e["actor"]) for e in items if e["kind"] == "flagged"]

    before = last_event()
    added = client.post(act(waiting, "flags"), headers=alice, json={"label": "prank"})
    assert added.status_code == 201
    assert flagged_after(before) == [(waiting, "alice")]

    before = last_event()
    flag_id = added.get_json()["id"]
    assert client.delete(f"{act(waiting, 'flags')}/{flag_id}", headers=alice).status_code == 204
    assert flagged_after(before) == [(waiting, "alice")]

    # A refused change tells nobody anything.
    before = last_event()
    assert client.delete(f"{act(waiting, 'flags')}/{flag_id}", headers=alice).status_code == 404
    assert flagged_after(before) == []
