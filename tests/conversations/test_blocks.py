"""Blocking a sender: silence and no queue, but crisis words, STOP and DELETE still work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from responder import services
from responder.channels.transport import Inbound
from responder.conversations.blocks import is_blocked
from responder.conversations.receiving import receive
from responder.store.db import get_session
from responder.store.models import Contact, Message
from responder.web.webhooks import policy
from tests.counsellors import add_counsellor, conversation, queue_texter, update_conversation
from tests.twilio_requests import TEXTER, new_sid, post_signed, replies, sms

API = "/api/v1"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def act(conversation_id: int, action: str) -> str:
    return f"{API}/conversations/{conversation_id}/{action}"


def queue_ids(client: FlaskClient, headers: dict[str, str]) -> list[int]:
    return [item["id"] for item in client.get(f"{API}/queue", headers=headers).get_json()["items"]]


def contact(app: Flask) -> Contact:
    with app.app_context():
        found = get_session().scalars(select(Contact)).one()
    return found


def inbound_count(app: Flask) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count(Message.id)).where(Message.direction == "in"))


@pytest.mark.parametrize(
    ("blocked_at", "blocked_until", "expected"),
    [
        (None, None, False),
        (NOW - timedelta(hours=1), None, True),
        (NOW - timedelta(hours=1), NOW + timedelta(seconds=1), True),
        (NOW - timedelta(hours=24), NOW, False),
        (NOW - timedelta(hours=25), NOW - timedelta(hours=1), False),
    ],
)
def test_a_block_holds_until_its_end(blocked_at, blocked_until, expected: bool) -> None:
    person = Contact(blocked_at=blocked_at, blocked_until=blocked_until)
    assert is_blocked(person, NOW) is expected


@pytest.mark.parametrize("hours", [24, 168, None])
def test_a_blocked_texter_gets_silence_and_leaves_the_queue(
    app: Flask, client: FlaskClient, alice: dict[str, str], hours: int | None
) -> None:
    waiting = queue_texter(client)
    before = datetime.now(UTC)
    response = client.post(act(waiting, "block"), headers=alice, json={"hours": hours})
    assert response.status_code == 200
    view = response.get_json()
    assert view["id"] == waiting
    assert view["blocked"] is True
    assert view["state"] == "menu"
    assert view["masked_number"] == "+1 •••• ••• 123"
    if hours is None:
        assert view["blocked_until"] is None
    else:
        until = datetime.fromisoformat(view["blocked_until"])
        assert (
            before + timedelta(hours=hours) <= until <= datetime.now(UTC) + timedelta(hours=hours)
        )
    assert queue_ids(client, alice) == []
    assert conversation(app, waiting).queued_at is None
    kinds = [e["kind"] for e in client.get(f"{API}/events", headers=alice).get_json()["items"]]
    assert kinds[-1] == "left_queue"

    sent = inbound_count(app)
    for text in ["hi", "1", "TALK", "0", "HELP", "are you there?"]:
        assert replies(post_signed(client, sms(text))) == [], text
    assert queue_ids(client, alice) == []
    assert conversation(app, waiting).state == "menu"
    # Their messages are still kept, for a counsellor to read.
    assert inbound_count(app) == sent + 6


def test_crisis_words_still_get_their_reply_and_the_queue(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    waiting = queue_texter(client)
    client.post(act(waiting, "block"), headers=alice, json={"hours": None})
    (reply,) = replies(post_signed(client, sms("i want to kill myself")))
    assert "988" in reply
    (item,) = client.get(f"{API}/queue", headers=alice).get_json()["items"]
    assert item["id"] == waiting
    assert item["priority"] == 100
    assert item["crisis_at"] is not None


def test_a_blocked_texter_is_not_thanked_for_a_survey_score(
    app: Flask, client: FlaskClient, alice: dict[str, str], sam: dict[str, str]
) -> None:
    waiting = queue_texter(client)
    assert client.post(act(waiting, "claim"), headers=alice).status_code == 200
    closing = {"category": "adult/sextortion", "survey": True}
    assert client.post(act(waiting, "close"), headers=alice, json=closing).status_code == 200
    assert client.post(act(waiting, "block"), headers=sam, json={"hours": 24}).status_code == 200

    assert replies(post_signed(client, sms("4"))) == []
    assert conversation(app, waiting).survey_answer is None


def test_stop_still_opts_a_blocked_texter_out(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    waiting = queue_texter(client)
    client.post(act(waiting, "block"), headers=alice, json={"hours": 24})
    assert replies(post_signed(client, sms("STOP"))) == []
    assert contact(app).opted_out is True


def test_delete_still_erases_a_blocked_texter(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    messages = services.of(app).content.language("en").messages
    waiting = queue_texter(client)
    client.post(act(waiting, "block"), headers=alice, json={"hours": None})
    assert replies(post_signed(client, sms("DELETE"))) == [messages["delete_confirm"]]
    assert replies(post_signed(client, sms("DELETE"))) == [messages["erased"]]
    with app.app_context():
        assert get_session().scalar(select(func.count(Contact.id))) == 0
    assert client.post(act(waiting, "unblock"), headers=alice).status_code == 404


def test_unblock_gives_the_texter_back_their_replies_and_the_queue(make_app) -> None:
    # Without the age question TALK from the menu goes straight to the queue.
    app = make_app(RESPONDER_ASK_AGE=False)
    client = app.test_client()
    alice = add_counsellor(app, "alice")
    sam = add_counsellor(app, "sam", role="supervisor")
    waiting = queue_texter(client)
    client.post(act(waiting, "block"), headers=alice, json={"hours": 168})
    assert replies(post_signed(client, sms("hi"))) == []
    # Out of the queue the conversation is no longer alice's to see: a supervisor lifts it.
    assert client.post(act(waiting, "unblock"), headers=alice).status_code == 403
    response = client.post(act(waiting, "unblock"), headers=sam)
    assert response.status_code == 200
    assert response.get_json()["blocked"] is False
    assert response.get_json()["blocked_until"] is None
    stored = contact(app)
    assert stored.blocked_at is None and stored.blocked_until is None
    # Still in the menu state the block left, "hi" is not understood; the texter is
    # answered again, with the page and the offer of a person.
    menu, offer = replies(post_signed(client, sms("hi")))
    assert menu and "TALK" in offer
    assert replies(post_signed(client, sms("TALK")))
    assert queue_ids(client, alice) == [waiting]


def test_a_24_hour_block_runs_out_by_itself(
    app: Flask, client: FlaskClient, alice: dict[str, str], sam: dict[str, str]
) -> None:
    waiting = queue_texter(client)
    client.post(act(waiting, "block"), headers=alice, json={"hours": 24})
    until = contact(app).blocked_until
    assert until is not None

    def send(text: str, when: datetime) -> tuple[str, ...]:
        with app.test_request_context():
            session = get_session()
            content = services.of(app).content
            result = receive(
                session, Inbound("sms", TEXTER, "+1", text, new_sid()), when, content, policy()
            )
            session.commit()
        return result

    assert send("hi", until - timedelta(minutes=1)) == ()
    assert send("hi", until + timedelta(minutes=1)) != ()
    view = client.get(f"{API}/conversations/{waiting}", headers=sam).get_json()
    assert view["blocked_until"] is not None  # still in force by the real clock


@pytest.mark.parametrize(
    "payload",
    [
        {"hours": 12},
        {"hours": 0},
        {"hours": -24},
        {"hours": 24.5},
        {"hours": "24"},
        {"hours": True},
        {"hours": [24]},
        {},
        {"hours": 24, "reason": "x"},
        [24],
        "24",
        24,
    ],
)
def test_a_bad_block_is_refused(
    app: Flask, client: FlaskClient, alice: dict[str, str], payload
) -> None:
    waiting = queue_texter(client)
    response = client.post(act(waiting, "block"), headers=alice, json=payload)
    assert response.status_code == 422
    assert "hours" in response.get_json()["error"]
    assert contact(app).blocked_at is None
    assert queue_ids(client, alice) == [waiting]


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("hours=24", "application/x-www-form-urlencoded"),
        ("{hours: 24", "application/json"),
        ("", None),
    ],
)
def test_a_block_that_is_not_json_is_refused(
    client: FlaskClient, alice: dict[str, str], data: str, content_type: str | None
) -> None:
    waiting = queue_texter(client)
    response = client.post(
        act(waiting, "block"), headers=alice, data=data, content_type=content_type
    )
    assert response.status_code == 422
    assert response.get_json()["error"]


def test_counsellors_block_what_they_may_see_and_supervisors_anything(
    app: Flask, client: FlaskClient, alice: dict[str, str], sam: dict[str, str]
) -> None:
    bob = add_counsellor(app, "bob")
    claimed = queue_texter(client)
    assert client.post(act(claimed, "claim"), headers=alice).status_code == 200
    refused = client.post(act(claimed, "block"), headers=bob, json={"hours": 24})
    assert refused.status_code == 403
    assert refused.get_json()["error"]
    assert client.post(act(claimed, "unblock"), headers=bob).status_code == 403
    assert contact(app).blocked_at is None
    assert client.post(act(claimed, "block"), headers=alice, json={"hours": 24}).status_code == 200
    # With a counsellor the conversation stays theirs; only the bot falls silent.
    assert conversation(app, claimed).state == "counsellor"
    assert client.post(act(claimed, "unblock"), headers=sam).status_code == 200
    assert client.post(act(claimed, "block"), headers=sam, json={"hours": None}).status_code == 200


def test_unknown_and_anonymised_conversations_cannot_be_blocked(
    app: Flask, client: FlaskClient, sam: dict[str, str]
) -> None:
    missing = client.post(act(4242, "block"), headers=sam, json={"hours": 24})
    assert missing.status_code == 404
    assert missing.get_json()["error"] == "no conversation 4242"
    waiting = queue_texter(client)
    update_conversation(app, waiting, contact_id=None, state="closed", closed_at=NOW)
    for action, body in (("block", {"hours": 24}), ("unblock", None)):
        response = client.post(act(waiting, action), headers=sam, json=body)
        assert response.status_code == 409
        assert "anonymised" in response.get_json()["error"]


def test_blocking_through_an_old_conversation_takes_the_current_one_out_of_the_queue(
    app: Flask, client: FlaskClient, alice: dict[str, str], sam: dict[str, str]
) -> None:
    old = queue_texter(client)
    client.post(act(old, "claim"), headers=alice)
    client.post(act(old, "close"), headers=alice, json={"category": "age_unknown"})
    current = queue_texter(client)
    assert current != old
    assert client.post(act(old, "block"), headers=sam, json={"hours": 24}).status_code == 200
    assert queue_ids(client, sam) == []
    assert conversation(app, current).state == "menu"
