"""The texter's history: a counsellor sees the earlier conversations of a texter who comes back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from responder import services
from responder.counselling import history
from responder.errors import NotFound, NotPermitted
from responder.store.casework import WrapUp
from responder.store.db import get_session
from responder.store.models import AuditEntry, Counsellor
from tests.console_sessions import sign_in
from tests.counsellors import number, queue_texter, update_conversation
from tests.privacy.test_retention import run_purge
from tests.twilio_requests import TEXTER

API = "/api/v1"
NOTE = "Threatened to send the photos to his class by Friday."
REPLY = "You did the right thing by telling us."
DAY = timedelta(days=1)


def act(conversation_id: int, action: str) -> str:
    return f"{API}/conversations/{conversation_id}/{action}"


def talk_and_close(
    client: FlaskClient, headers: dict[str, str], sender: str = TEXTER, note: str = NOTE
) -> int:
    """A texter asks for a person, who replies, notes and closes; return the conversation."""
    conversation_id = queue_texter(client, sender)
    assert client.post(act(conversation_id, "claim"), headers=headers).status_code == 200
    sent = client.post(act(conversation_id, "messages"), headers=headers, json={"body": REPLY})
    assert sent.status_code == 202
    noted = client.post(act(conversation_id, "notes"), headers=headers, json={"body": note})
    assert noted.status_code == 201
    closed = client.post(
        act(conversation_id, "close"),
        headers=headers,
        json={"category": "violence/online_sexual_exploitation", "secondary": ["sextortion"]},
    )
    assert closed.status_code == 200
    return conversation_id


def days_ago(app: Flask, conversation_id: int, days: int) -> None:
    """Move a closed conversation back in time, as if it had happened days ago."""
    then = datetime.now(UTC) - days * DAY
    update_conversation(
        app,
        conversation_id,
        started_at=then,
        last_message_at=then + timedelta(minutes=30),
        closed_at=then + timedelta(hours=1),
    )


def came_back(app: Flask, client: FlaskClient, headers: dict[str, str], sender: str = TEXTER):
    """A texter talked to a counsellor three days ago and asks for one again; both ids."""
    first = talk_and_close(client, headers, sender)
    days_ago(app, first, 3)
    second = queue_texter(client, sender)
    assert second != first
    return first, second


def history_of(client: FlaskClient, headers: dict[str, str], conversation_id: int) -> dict:
    response = client.get(act(conversation_id, "history"), headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_texter_who_comes_back_shows_their_earlier_conversation(
    app: Flask, client: FlaskClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    first, second = came_back(app, client, alice)

    # Bob, about to claim the returning texter, sees what happened last time.
    seen = history_of(client, bob, second)

    assert seen["total"] == 1
    (earlier,) = seen["conversations"]
    assert earlier["id"] == first
    assert earlier["state"] == "closed"
    assert earlier["counsellor"] == "alice"
    assert earlier["started_at"] < earlier["closed_at"]
    # Closed without a wrap-up: the closing category and tags stand in for it.
    assert earlier["wrap_up"] == {
        "categories": ["violence/online_sexual_exploitation", "sextortion"],
        "referrals": [],
        "summary": None,
    }
    assert [(note["author"], note["body"]) for note in earlier["notes"]] == [("alice", NOTE)]
    # The conversation itself is not its own history.
    assert history_of(client, alice, first)["total"] == 0


def test_the_wrap_up_is_shown_when_there_is_one(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    first, second = came_back(app, client, alice)
    with app.app_context():
        session = get_session()
        session.add(
            WrapUp(
                conversation_id=first,
                contact_type="counselling",
                categories=["violence/online_sexual_exploitation", "mental_health/self_harm"],
                referrals=["police", "take_it_down"],
                summary="Agreed to tell his mother tonight.",
                written_at=datetime.now(UTC),
            )
        )
        session.commit()
    assert client.post(act(second, "claim"), headers=alice).status_code == 200

    (earlier,) = history_of(client, alice, second)["conversations"]

    assert earlier["wrap_up"] == {
        "categories": ["violence/online_sexual_exploitation", "mental_health/self_harm"],
        "referrals": ["police", "take_it_down"],
        "summary": "Agreed to tell his mother tonight.",
    }


def test_earlier_conversations_come_newest_first_and_other_texters_stay_out(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    oldest = talk_and_close(client, alice, note="first time")
    days_ago(app, oldest, 20)
    talk_and_close(client, alice, sender=number(7))  # someone else entirely
    middle = talk_and_close(client, alice, note="second time")
    days_ago(app, middle, 4)
    current = queue_texter(client)

    seen = history_of(client, alice, current)

    assert seen["total"] == 2
    assert [c["id"] for c in seen["conversations"]] == [middle, oldest]
    assert [c["notes"][0]["body"] for c in seen["conversations"]] == ["second time", "first time"]


def test_anonymised_conversations_are_no_longer_history(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    long_ago = talk_and_close(client, alice)
    days_ago(app, long_ago, 400)
    recent = talk_and_close(client, alice, note="last week")
    days_ago(app, recent, 7)
    current = queue_texter(client)

    # Past the anonymising period (a year by default) the oldest leads to nobody.
    done = run_purge(app, datetime.now(UTC))

    assert done.anonymised == 1
    seen = history_of(client, alice, current)
    assert seen["total"] == 1
    assert [c["id"] for c in seen["conversations"]] == [recent]


def test_only_a_counsellor_who_may_see_the_conversation_sees_its_history(
    app: Flask, client: FlaskClient, alice: dict[str, str], bob: dict[str, str], sam
) -> None:
    _, second = came_back(app, client, alice)
    assert client.post(act(second, "claim"), headers=alice).status_code == 200

    assert client.get(act(second, "history"), headers=bob).status_code == 403
    assert history_of(client, sam, second)["total"] == 1
    assert history_of(client, alice, second)["total"] == 1


def test_reading_an_earlier_conversation_is_limited_to_the_same_texter_before(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    first, second = came_back(app, client, alice)
    stranger = talk_and_close(client, alice, sender=number(9))
    now = datetime.now(UTC)
    with app.app_context():
        session = get_session()
        me = session.scalars(select(Counsellor).where(Counsellor.username == "alice")).one()
        keys, content = services.of(app).keys, services.of(app).content
        shown = history.earlier(session, second, first, me, keys, content, now)
        assert shown.view.id == first
        assert REPLY in [m.body for m in shown.view.messages]
        assert [n.body for n in shown.view.notes] == [NOTE]
        for other in (stranger, second, 99):
            with pytest.raises(NotFound):
                history.earlier(session, second, other, me, keys, content, now)
        # Not from a later conversation either: earlier means earlier.
        with pytest.raises((NotFound, NotPermitted)):
            history.earlier(session, first, second, me, keys, content, now)


def test_the_console_shows_the_earlier_conversation_read_only_and_audits_it(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    first, second = came_back(app, client, alice)
    sign_in(client, "alice")

    panel = client.get(f"/console/conversations/{second}").get_data(as_text=True)
    assert "1 earlier conversation" in panel
    link = f"/console/conversations/{second}/earlier/{first}"
    assert f'href="{link}"' in panel

    page = client.get(link)

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Earlier conversation — read only" in text
    assert REPLY in text and NOTE in text
    assert "Violence: online sexual exploitation; Sextortion" in text
    assert 'id="reply-form"' not in text and 'id="note-form"' not in text
    assert "<textarea" not in text and "<button" not in text.split("<main", 1)[1]
    with app.app_context():
        entry = get_session().scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.conversation_id, entry.detail) == ("view", first, {"via": second})
    # Another texter's conversation cannot be reached through this one.
    other = talk_and_close(client, alice, sender=number(5))
    assert client.get(f"/console/conversations/{second}/earlier/{other}").status_code == 404
