"""A counsellor's own conversations: unread texter messages, unread crisis words, read marks."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from responder.store.db import get_session
from responder.store.models import Message, ReadMark
from tests.counsellors import add_counsellor, make_present, number, queue_texter
from tests.twilio_requests import TEXTER, post_signed, sms

API = "/api/v1"
CRISIS_WORDS = "i want to kill myself"


def mine(client: FlaskClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get(f"{API}/me/conversations", headers=headers)
    assert response.status_code == 200
    return response.get_json()["items"]


def unread(client: FlaskClient, headers: dict[str, str]) -> dict[int, int]:
    return {item["id"]: item["unread"] for item in mine(client, headers)}


def texter_says(client: FlaskClient, text: str, sender: str = TEXTER) -> None:
    assert post_signed(client, sms(text, sender=sender)).status_code == 200


def read(client: FlaskClient, headers: dict[str, str], conversation_id: int, body: object):
    return client.post(f"{API}/conversations/{conversation_id}/read", headers=headers, json=body)


def latest_message(app: Flask, conversation_id: int) -> int:
    with app.app_context():
        return get_session().scalar(
            select(func.max(Message.id)).where(Message.conversation_id == conversation_id)
        )


def test_a_claimed_conversation_not_yet_opened_has_the_texters_messages_unread(
    app: Flask, client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    # Only TALK so far: the bot's answer to it is not news to a counsellor.
    assert mine(client, alice) == [
        {
            "id": held,
            "channel": "sms",
            "priority": 0,
            "crisis_at": None,
            "unread": 1,
            "crisis_unread": False,
            "last_message_preview": "TALK",
            "last_message_at": texter_messages(app, held)[-1][1],
            "waiting_since": texter_messages(app, held)[0][1],
            "flags": [],
        }
    ]
    texter_says(client, "are you there?")
    assert unread(client, alice) == {held: 2}


def texter_messages(app: Flask, conversation_id: int) -> list[tuple[str, str]]:
    """The texter's messages in a conversation, as (text, time as the API writes it)."""
    with app.app_context():
        rows = get_session().scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.direction == "in")
            .order_by(Message.id)
        )
        return [(row.body, row.created_at.isoformat()) for row in rows]


def reply(client: FlaskClient, headers: dict[str, str], conversation_id: int) -> None:
    response = client.post(
        f"{API}/conversations/{conversation_id}/messages", headers=headers, json={"body": "Hi"}
    )
    assert response.status_code == 202


def test_the_texters_last_message_shows_as_its_first_words_on_one_line(
    app: Flask, client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    texter_says(client, "They said they will send it to my school\n tomorrow unless I pay")

    (item,) = mine(client, alice)

    assert item["last_message_preview"] == "They said they will send it to my school\u2026"
    assert item["last_message_at"] == texter_messages(app, held)[-1][1]
    texter_says(client, "  <b>ok</b>  ")
    (item,) = mine(client, alice)
    # Plain text, as written (the page shows it as text), on one line.
    assert item["last_message_preview"] == "<b>ok</b>"


def test_a_texter_waits_from_their_oldest_message_no_counsellor_has_answered(
    app: Flask, client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    texter_says(client, "hello?")
    texter_says(client, "anyone there?")
    # Three messages in a row: the wait began with the first, TALK.
    assert mine(client, alice)[0]["waiting_since"] == texter_messages(app, held)[0][1]

    reply(client, alice, held)
    assert mine(client, alice)[0]["waiting_since"] is None

    texter_says(client, "thanks")
    assert mine(client, alice)[0]["waiting_since"] == texter_messages(app, held)[-1][1]


def test_conversations_come_crisis_first_then_the_longest_waiting_then_the_answered(
    client: FlaskClient, alice: dict[str, str]
) -> None:
    first, second, third = (queue_texter(client, number(i)) for i in range(1, 4))
    for conversation_id in (first, second, third):
        claimed = client.post(f"{API}/conversations/{conversation_id}/claim", headers=alice)
        assert claimed.status_code == 200
        reply(client, alice, conversation_id)
    # Nobody waits: the order they were claimed in.
    assert [item["id"] for item in mine(client, alice)] == [first, second, third]

    texter_says(client, "are you still there?", sender=number(3))
    texter_says(client, "hello", sender=number(2))
    assert [item["id"] for item in mine(client, alice)] == [third, second, first]

    texter_says(client, CRISIS_WORDS, sender=number(1))
    assert [item["id"] for item in mine(client, alice)] == [first, third, second]


def test_the_counsellors_own_replies_never_count_as_unread(
    app: Flask, client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    assert read(client, alice, held, {"up_to": latest_message(app, held)}).status_code == 200
    reply = client.post(f"{API}/conversations/{held}/messages", headers=alice, json={"body": "Hi"})
    assert reply.status_code == 202
    assert unread(client, alice) == {held: 0}


def test_reading_up_to_a_message_leaves_later_ones_unread(
    app: Flask, client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    texter_says(client, "one")
    seen = latest_message(app, held)
    texter_says(client, "two")

    response = read(client, alice, held, {"up_to": seen})

    assert response.status_code == 200
    assert response.get_json() == {"conversation_id": held, "up_to": seen, "unread": 1}
    assert unread(client, alice) == {held: 1}


def test_a_read_mark_never_moves_back(
    app: Flask, client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    latest = latest_message(app, held)
    assert read(client, alice, held, {"up_to": latest}).get_json()["up_to"] == latest
    # A tab that loaded earlier reports an older position: the newer one stands.
    assert read(client, alice, held, {"up_to": 0}).get_json()["up_to"] == latest
    assert unread(client, alice) == {held: 0}


def test_a_mark_past_the_latest_message_does_not_read_messages_still_to_come(
    app: Flask, client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    response = read(client, alice, held, {"up_to": 2**40})
    assert response.get_json()["up_to"] == latest_message(app, held)
    texter_says(client, "still there?")
    assert unread(client, alice) == {held: 1}


def test_read_marks_are_per_counsellor(
    app: Flask, client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    sam = add_counsellor(app, "sam", role="supervisor")
    # A supervisor reading along reads it for themselves, not for its counsellor.
    assert read(client, sam, held, {"up_to": latest_message(app, held)}).status_code == 200
    assert unread(client, alice) == {held: 1}
    assert mine(client, sam) == []


def test_crisis_words_are_unread_until_the_conversation_is_read(
    app: Flask, client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    assert read(client, alice, held, {"up_to": latest_message(app, held)}).status_code == 200

    texter_says(client, CRISIS_WORDS)

    (item,) = mine(client, alice)
    assert item["priority"] == 100
    assert item["crisis_at"] is not None
    assert (item["unread"], item["crisis_unread"]) == (1, True)

    assert read(client, alice, held, {"up_to": latest_message(app, held)}).status_code == 200
    texter_says(client, "sorry")
    (item,) = mine(client, alice)
    # The mark stays on the conversation; the crisis words themselves have been read.
    assert item["crisis_at"] is not None
    assert (item["unread"], item["crisis_unread"]) == (1, False)


def test_a_conversation_handed_over_in_crisis_is_news_to_its_new_counsellor(
    app: Flask, client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    bob = add_counsellor(app, "bob")
    assert read(client, alice, held, {"up_to": latest_message(app, held)}).status_code == 200
    texter_says(client, CRISIS_WORDS)
    assert read(client, alice, held, {"up_to": latest_message(app, held)}).status_code == 200

    make_present(app, "bob")
    moved = client.post(f"{API}/conversations/{held}/transfer", headers=alice, json={"to": "bob"})

    assert moved.status_code == 200
    assert mine(client, alice) == []
    (item,) = mine(client, bob)
    assert (item["unread"], item["crisis_unread"]) == (2, True)


def test_only_conversations_held_now_are_listed_crisis_first(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    ids = [queue_texter(client, number(i)) for i in range(1, 5)]
    for conversation_id in ids[:3]:
        claimed = client.post(f"{API}/conversations/{conversation_id}/claim", headers=alice)
        assert claimed.status_code == 200
    closing = {"category": "age_unknown"}
    closed = client.post(f"{API}/conversations/{ids[0]}/close", headers=alice, json=closing)
    assert closed.status_code == 200
    texter_says(client, CRISIS_WORDS, sender=number(3))

    # Closed, and still waiting in the queue: neither is held.
    assert [item["id"] for item in mine(client, alice)] == [ids[2], ids[1]]


@pytest.mark.parametrize("up_to", ["7", -1, True, 1.5, None, [3]])
def test_a_read_mark_must_be_a_message_id(
    client: FlaskClient, alice: dict[str, str], held: int, up_to: object
) -> None:
    response = read(client, alice, held, {"up_to": up_to})
    assert response.status_code == 422
    assert "up_to" in response.get_json()["error"]


def test_a_read_mark_takes_a_whole_number_written_with_a_decimal_point(
    client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    assert read(client, alice, held, {"up_to": 1.0}).get_json()["up_to"] == 1


def test_a_read_mark_needs_a_conversation_you_may_see(
    app: Flask, client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    bob = add_counsellor(app, "bob")
    assert read(client, bob, held, {"up_to": 1}).status_code == 403
    assert read(client, alice, 999, {"up_to": 1}).status_code == 404
    assert read(client, alice, held, {"up_to": 1, "more": 2}).status_code == 422


def test_erasing_the_texter_erases_read_marks_with_the_conversation(
    app: Flask, client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    assert read(client, alice, held, {"up_to": latest_message(app, held)}).status_code == 200
    texter_says(client, "DELETE")
    texter_says(client, "DELETE")

    assert client.get(f"{API}/conversations/{held}", headers=alice).status_code == 404
    assert mine(client, alice) == []
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(ReadMark)) == 0
