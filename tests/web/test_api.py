"""The counsellor API: every route's happy path, its errors, permissions and privacy."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from responder import services
from responder.counselling import handoff
from responder.store.db import get_session
from responder.store.models import ApiToken, Event, Message, Note
from tests.counsellors import (
    add_counsellor,
    conversation,
    make_present,
    number,
    queue_texter,
    update_conversation,
)
from tests.outbox_rows import opened
from tests.twilio_requests import TEXTER, post_signed, replies, sms

API = "/api/v1"
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


def english(app: Flask):
    return services.of(app).content.language("en")


def url(conversation_id: int, action: str = "") -> str:
    return f"{API}/conversations/{conversation_id}" + (f"/{action}" if action else "")


def outbound(app: Flask, conversation_id: int) -> list[Message]:
    """Messages written to the outbox for a conversation, oldest first."""
    with app.app_context():
        return opened(
            get_session().scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.status.is_not(None))
                .order_by(Message.id)
            )
        )


def event_kinds(app: Flask) -> list[str]:
    with app.app_context():
        return list(get_session().scalars(select(Event.kind).order_by(Event.id)))


@pytest.fixture
def claimed(client: FlaskClient, alice: dict[str, str], waiting: int) -> int:
    assert client.post(url(waiting, "claim"), headers=alice).status_code == 200
    return waiting


def api_routes(app: Flask) -> set[tuple[str, str]]:
    """Every (method, OpenAPI path) the app serves under /api/v1."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API + "/"):
            path = re.sub(r"<(?:[^>]*:)?(\w+)>", r"{\1}", rule.rule)
            routes |= {(m.lower(), path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


# Authentication


def test_every_route_but_the_document_needs_a_token(app: Flask, client: FlaskClient) -> None:
    routes = api_routes(app) - {("get", f"{API}/openapi.json")}
    assert len(routes) == 25
    for method, path in routes:
        response = client.open(
            path.format(conversation_id=1, flag_id=1, earlier_id=1), method=method.upper(), json={}
        )
        assert response.status_code == 401, (method, path)
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="responder"'
        assert "Bearer" in response.get_json()["error"]


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-token", "bearer nope", "Bearer  ", "Basic YWxpY2U6cGFzc3dvcmQ=", "Bearer"],
)
def test_bad_credentials_get_401(
    client: FlaskClient, alice: dict[str, str], authorization: str
) -> None:
    response = client.get(f"{API}/me", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="responder"')
    assert response.get_json()["error"]


def test_an_unknown_token_is_named_invalid(client: FlaskClient) -> None:
    response = client.get(f"{API}/me", headers={"Authorization": "Bearer made-up"})
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="responder", error="invalid_token"'


def test_the_scheme_is_case_insensitive(client: FlaskClient, alice: dict[str, str]) -> None:
    token = alice["Authorization"].split()[1]
    response = client.get(f"{API}/me", headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 200


def test_token_use_is_noted(app: Flask, client: FlaskClient, alice: dict[str, str]) -> None:
    before = datetime.now(UTC)
    assert client.get(f"{API}/me", headers=alice).status_code == 200
    with app.app_context():
        token = get_session().scalars(select(ApiToken)).one()
    assert token.last_used_at is not None
    assert token.last_used_at >= before - timedelta(seconds=1)


def test_token_use_is_noted_even_when_the_action_fails(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    assert client.post(url(999, "claim"), headers=alice).status_code == 404
    with app.app_context():
        assert get_session().scalars(select(ApiToken.last_used_at)).one() is not None


# GET /me and PUT /me/availability


def test_me_describes_the_account(client: FlaskClient, alice: dict[str, str], claimed: int) -> None:
    response = client.get(f"{API}/me", headers=alice)
    assert response.status_code == 200
    body = response.get_json()
    assert body["username"] == "alice"
    assert body["role"] == "counsellor"
    assert body["available"] is False
    assert body["max_open"] == 3
    assert body["open_conversations"] == [claimed]


def test_availability_is_set_and_reported(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    response = client.put(f"{API}/me/availability", headers=alice, json={"available": True})
    assert response.status_code == 200
    assert response.get_json()["available"] is True
    assert client.get(f"{API}/me", headers=alice).get_json()["available"] is True
    assert event_kinds(app) == ["availability"]
    off = client.put(f"{API}/me/availability", headers=alice, json={"available": False})
    assert off.get_json()["available"] is False


@pytest.mark.parametrize(
    "payload",
    [{}, {"available": "yes"}, {"available": 1}, {"available": None}, {"available": True, "x": 1}],
)
def test_availability_needs_a_boolean(
    client: FlaskClient, alice: dict[str, str], payload: dict
) -> None:
    response = client.put(f"{API}/me/availability", headers=alice, json=payload)
    assert response.status_code == 400
    assert response.get_json()["error"]


# GET /queue


def test_queue_lists_waiting_texters_without_their_numbers(
    client: FlaskClient, alice: dict[str, str]
) -> None:
    first = queue_texter(client, TEXTER)
    second = queue_texter(client, "+447700900456")
    response = client.get(f"{API}/queue", headers=alice)
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 2
    assert body["next_cursor"] is None
    assert body["expected_wait_seconds"] is None
    assert [item["id"] for item in body["items"]] == [first, second]
    item = body["items"][0]
    assert item["position"] == 1
    assert item["priority"] == 0
    assert item["channel"] == "sms"
    assert item["country"] == "US"
    assert item["language"] == "en"
    assert item["masked_number"] == "+1 •••• ••• 123"
    assert 0 <= item["waiting_seconds"] < 60
    assert body["items"][1]["masked_number"] == "+44 •••• ••• 456"
    assert body["items"][1]["country"] == "GB"


def test_queue_leaves_out_claimed_conversations(
    client: FlaskClient, alice: dict[str, str], claimed: int
) -> None:
    other = queue_texter(client, number(1))
    body = client.get(f"{API}/queue", headers=alice).get_json()
    assert [item["id"] for item in body["items"]] == [other]
    assert body["total"] == 1
    # The claim's wait now feeds the estimate.
    assert body["expected_wait_seconds"] is not None


def test_queue_pages_follow_priority_then_wait_then_id(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    base = datetime.now(UTC) - timedelta(hours=1)
    # Ties on purpose: equal priorities, and equal priorities with equal times.
    layout = [
        (0, base),
        (10, base + timedelta(minutes=1)),
        (0, base),
        (10, base + timedelta(minutes=1)),
        (0, base - timedelta(minutes=1)),
        (100, base + timedelta(minutes=5)),
        (0, base),
    ]
    ids = []
    for index, (priority, queued_at) in enumerate(layout):
        conversation_id = queue_texter(client, number(index))
        update_conversation(app, conversation_id, priority=priority, queued_at=queued_at)
        ids.append(conversation_id)
    expected = [i for _, _, i in sorted((-p, q, i) for (p, q), i in zip(layout, ids, strict=True))]

    seen, positions, cursor, pages = [], [], None, 0
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        body = client.get(f"{API}/queue{query}", headers=alice).get_json()
        pages += 1
        seen += [item["id"] for item in body["items"]]
        positions += [item["position"] for item in body["items"]]
        assert body["total"] == 7
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert positions == list(range(1, 8))
    assert pages == 4


def test_queue_positions_stay_true_when_the_queue_moves(
    client: FlaskClient, alice: dict[str, str]
) -> None:
    ids = [queue_texter(client, number(i)) for i in range(4)]
    first = client.get(f"{API}/queue?limit=2", headers=alice).get_json()
    # The conversation the cursor points at is claimed between the two pages.
    assert client.post(url(ids[1], "claim"), headers=alice).status_code == 200
    second = client.get(f"{API}/queue?limit=2&cursor={first['next_cursor']}", headers=alice)
    body = second.get_json()
    assert [item["id"] for item in body["items"]] == ids[2:]
    assert [item["position"] for item in body["items"]] == [2, 3]
    assert body["next_cursor"] is None


def test_an_empty_queue(client: FlaskClient, alice: dict[str, str]) -> None:
    body = client.get(f"{API}/queue", headers=alice).get_json()
    assert body == {"items": [], "next_cursor": None, "total": 0, "expected_wait_seconds": None}


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=201",
        "limit=-1",
        "limit=abc",
        "limit=%C2%B2",
        "limit=",
        "cursor=not-a-cursor",
        "cursor=",
        "cursor=W10",  # an empty list
        "cursor=eyJhIjogMX0",  # {"a": 1}
        "cursor=WzEsICIyMDI2LTAxLTAxVDAwOjAwOjAwIiwgMV0",  # a time without a zone
        "cursor=WzEwMDAwMDAwMDAwMDAwMDAwMDAwMCwgIjIwMjYtMDEtMDFUMDA6MDA6MDArMDA6MDAiLCAxXQ",
        "cursor=W3RydWUsICIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgMV0",  # true as a priority
    ],
)
def test_bad_queue_parameters_get_400(client: FlaskClient, alice: dict[str, str], query) -> None:
    response = client.get(f"{API}/queue?{query}", headers=alice)
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_a_limit_of_200_is_allowed(client: FlaskClient, alice: dict[str, str]) -> None:
    assert client.get(f"{API}/queue?limit=200", headers=alice).status_code == 200


# GET /conversations/{id}


def test_transcript_shows_everything_a_counsellor_needs(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    lang = english(app)
    first_option = lang.pages["main"].options[0]
    post_signed(client, sms("hi"))
    post_signed(client, sms("1"))
    conversation_id = queue_texter(client)
    photo = sms("", NumMedia="1", MediaContentType0="image/jpeg")
    photo["MediaUrl0"] = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
    post_signed(client, photo)
    (waiting,) = replies(post_signed(client, sms("are you there?")))
    assert "in the queue" in waiting
    assert client.post(url(conversation_id, "claim"), headers=alice).status_code == 200
    sent = client.post(
        url(conversation_id, "messages"), headers=alice, json={"body": "Hi, I'm Al."}
    )
    with app.app_context():
        session = get_session()
        message = session.get(Message, sent.get_json()["id"])
        message.status, message.error_code = "failed", 30003
        message.error_message = "Unreachable destination handset"
        session.commit()
    client.post(url(conversation_id, "notes"), headers=alice, json={"body": "Scared, 15."})

    response = client.get(url(conversation_id), headers=alice)
    assert response.status_code == 200
    view = response.get_json()
    assert view["id"] == conversation_id
    assert view["state"] == "counsellor"
    assert view["counsellor"] == "alice"
    assert view["channel"] == "sms"
    assert view["masked_number"] == "+1 •••• ••• 123"
    assert view["country"] == "US"
    assert view["language"] == "en"
    assert view["pages_read"] == [
        {"id": "main", "title": lang.pages["main"].title},
        {"id": first_option, "title": lang.pages[first_option].title},
    ]
    texts = [(m["direction"], m["author"], m["body"]) for m in view["messages"]]
    assert texts[0] == ("in", "texter", "hi")
    assert ("in", "texter", "[media withheld]") in texts
    assert ("in", "texter", "are you there?") in texts
    assert texts[-1] == ("out", "alice", "Hi, I'm Al.")
    assert {author for _, author, _ in texts} == {"texter", "bot", "alice"}
    last = view["messages"][-1]
    assert last["status"] == "failed"
    assert last["error_code"] == 30003
    assert last["error_message"] == "Unreachable destination handset"
    media = next(m for m in view["messages"] if m["media_count"])
    assert media["media_count"] == 1
    bot = next(m for m in view["messages"] if m["author"] == "bot")
    assert bot["status"] is None
    assert [(n["author"], n["body"]) for n in view["notes"]] == [("alice", "Scared, 15.")]
    assert view["category"] is None
    assert view["survey_answer"] is None
    datetime.fromisoformat(view["messages"][0]["created_at"])


def test_any_counsellor_may_read_a_waiting_conversation(
    client: FlaskClient, bob: dict[str, str], waiting: int
) -> None:
    response = client.get(url(waiting), headers=bob)
    assert response.status_code == 200
    assert response.get_json()["state"] == "waiting"


def test_only_its_counsellor_and_supervisors_read_a_claimed_conversation(
    client: FlaskClient, bob: dict[str, str], sam: dict[str, str], claimed: int
) -> None:
    forbidden = client.get(url(claimed), headers=bob)
    assert forbidden.status_code == 403
    assert forbidden.get_json()["error"]
    assert client.get(url(claimed), headers=sam).status_code == 200


def test_an_unknown_conversation_is_404(client: FlaskClient, alice: dict[str, str]) -> None:
    response = client.get(url(12345), headers=alice)
    assert response.status_code == 404
    assert response.get_json() == {
        "error": "no conversation 12345",
        "code": "no_conversation",
        "values": {"id": 12345},
    }


@pytest.mark.parametrize("path", ["/conversations/abc", "/conversations/1/nope", "/nothing"])
def test_unknown_routes_are_json_404(client: FlaskClient, alice: dict[str, str], path) -> None:
    response = client.get(API + path, headers=alice)
    assert response.status_code == 404
    assert response.get_json()["error"]


def test_a_wrong_method_is_json_405(client: FlaskClient, alice: dict[str, str]) -> None:
    response = client.delete(url(1), headers=alice)
    assert response.status_code == 405
    assert response.get_json()["error"]


# POST /conversations/{id}/claim


def test_claim_takes_a_waiting_conversation(
    app: Flask, client: FlaskClient, alice: dict[str, str], waiting: int
) -> None:
    response = client.post(url(waiting, "claim"), headers=alice)
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == waiting
    assert body["state"] == "counsellor"
    assert body["counsellor"] == "alice"
    assert body["claimed_at"] is not None
    stored = conversation(app, waiting)
    assert stored.state == "counsellor"
    assert stored.last_wait_seconds is not None
    assert "claimed" in event_kinds(app)


def test_a_second_claim_conflicts(
    client: FlaskClient, alice: dict[str, str], bob: dict[str, str], claimed: int
) -> None:
    for headers in (bob, alice):
        response = client.post(url(claimed, "claim"), headers=headers)
        assert response.status_code == 409
        assert "no longer waiting" in response.get_json()["error"]


def test_a_conversation_in_the_menu_cannot_be_claimed(
    client: FlaskClient, alice: dict[str, str]
) -> None:
    post_signed(client, sms("hi"))
    assert client.post(url(1, "claim"), headers=alice).status_code == 409


def test_a_counsellor_at_their_limit_cannot_claim(app: Flask, client: FlaskClient) -> None:
    headers = add_counsellor(app, "busy", max_open=2)
    ids = [queue_texter(client, number(i)) for i in range(3)]
    for conversation_id in ids[:2]:
        assert client.post(url(conversation_id, "claim"), headers=headers).status_code == 200
    response = client.post(url(ids[2], "claim"), headers=headers)
    assert response.status_code == 422
    assert response.get_json() == {
        "error": "you already have 2 open conversations, your limit",
        "code": "at_limit",
        "values": {"limit": 2},
    }
    assert conversation(app, ids[2]).state == "waiting"


def test_claiming_an_unknown_conversation_is_404(
    client: FlaskClient, alice: dict[str, str]
) -> None:
    assert client.post(url(404, "claim"), headers=alice).status_code == 404


# POST /conversations/{id}/messages


@pytest.mark.parametrize(
    "body",
    [
        "Hi, I'm Alex. You did nothing wrong.",
        "  two spaces first\n\nand a blank line  ",
        "x" * 1600,
    ],
)
def test_a_message_goes_to_the_outbox_exactly_as_written(
    app: Flask, client: FlaskClient, alice: dict[str, str], claimed: int, body: str
) -> None:
    response = client.post(url(claimed, "messages"), headers=alice, json={"body": body})
    assert response.status_code == 202
    answer = response.get_json()
    assert answer["body"] == body
    assert answer["author"] == "alice"
    assert answer["status"] == "pending"
    (message,) = [m for m in outbound(app, claimed) if m.counsellor_id is not None]
    assert message.body == body
    assert message.status == "pending"
    assert message.sender == "+14155550100"


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"body": ""}, 422),
        ({"body": "   \n "}, 422),
        ({"body": "x" * 1601}, 422),
        ({}, 400),
        ({"body": None}, 400),
        ({"body": 5}, 400),
        ({"body": ["hi"]}, 400),
        ({"body": "hi", "to": "+14155550123"}, 400),
    ],
)
def test_a_bad_message_is_refused(
    app: Flask, client: FlaskClient, alice: dict[str, str], claimed: int, payload, status
) -> None:
    response = client.post(url(claimed, "messages"), headers=alice, json=payload)
    assert response.status_code == status
    assert response.get_json()["error"]
    assert [m for m in outbound(app, claimed) if m.counsellor_id] == []


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("not json", "application/json"),
        ('{"body": "hi"', "application/json"),
        ('["hi"]', "application/json"),
        ('"hi"', "application/json"),
        ("null", "application/json"),
        ('{"body": "hi"}', "text/plain"),
        ("body=hi", "application/x-www-form-urlencoded"),
        ("", "application/json"),
    ],
)
def test_bodies_that_are_not_a_json_object_get_400(
    client: FlaskClient, alice: dict[str, str], claimed: int, data, content_type
) -> None:
    for action in ("messages", "notes", "transfer", "close"):
        response = client.post(
            url(claimed, action), headers=alice, data=data, content_type=content_type
        )
        assert response.status_code == 400, action
        assert "JSON" in response.get_json()["error"]


@pytest.mark.parametrize(
    "data",
    [
        '{"body": "nul \\u0000 inside"}',
        '{"body": "lone \\ud800 surrogate"}',
        '{"to": "bob\\u0000"}',
        "[" * 60_000,  # deeper than the parser recurses, smaller than the size limit
    ],
)
def test_bodies_the_database_cannot_hold_get_400(
    client: FlaskClient, alice: dict[str, str], claimed: int, data: str
) -> None:
    for action in ("messages", "notes", "transfer"):
        response = client.post(
            url(claimed, action), headers=alice, data=data, content_type="application/json"
        )
        assert response.status_code == 400, action
        assert response.get_json()["error"]


def test_an_id_beyond_the_database_integer_is_404(
    client: FlaskClient, alice: dict[str, str]
) -> None:
    assert client.get(url(2**31), headers=alice).status_code == 404
    assert client.post(url(10**30, "claim"), headers=alice).status_code == 404


def test_only_the_claiming_counsellor_may_send(
    client: FlaskClient, bob: dict[str, str], sam: dict[str, str], claimed: int
) -> None:
    for headers in (bob, sam):
        response = client.post(url(claimed, "messages"), headers=headers, json={"body": "hi"})
        assert response.status_code == 403


def test_a_waiting_conversation_must_be_claimed_before_sending(
    client: FlaskClient, alice: dict[str, str], waiting: int
) -> None:
    response = client.post(url(waiting, "messages"), headers=alice, json={"body": "hi"})
    assert response.status_code == 403


def test_nothing_is_sent_to_a_texter_who_opted_out(
    client: FlaskClient, alice: dict[str, str], claimed: int
) -> None:
    post_signed(client, sms("STOP"))
    response = client.post(url(claimed, "messages"), headers=alice, json={"body": "hi"})
    assert response.status_code == 409
    assert "STOP" in response.get_json()["error"]


def test_a_closed_conversation_takes_no_more_messages(
    client: FlaskClient, alice: dict[str, str], claimed: int
) -> None:
    client.post(url(claimed, "close"), headers=alice, json={"category": "age_unknown"})
    response = client.post(url(claimed, "messages"), headers=alice, json={"body": "hi"})
    assert response.status_code == 409


def test_the_texter_answers_the_counsellor_without_the_bot(
    app: Flask, client: FlaskClient, alice: dict[str, str], claimed: int
) -> None:
    client.post(url(claimed, "messages"), headers=alice, json={"body": "Hi, how can I help?"})
    for text in ("they want money", "MENU"):
        assert replies(post_signed(client, sms(text))) == []
    view = client.get(url(claimed), headers=alice).get_json()
    assert [m["body"] for m in view["messages"][-2:]] == ["they want money", "MENU"]
    assert view["state"] == "counsellor"


# POST /conversations/{id}/notes


def test_a_note_is_kept_and_never_sent(
    app: Flask, client: FlaskClient, alice: dict[str, str], claimed: int
) -> None:
    response = client.post(url(claimed, "notes"), headers=alice, json={"body": "Age 15."})
    assert response.status_code == 201
    note = response.get_json()
    assert note["author"] == "alice"
    assert note["body"] == "Age 15."
    assert outbound(app, claimed) == []
    assert event_kinds(app)[-1] == "note"


@pytest.mark.parametrize(
    ("payload", "status"),
    [({"body": " "}, 422), ({"body": "x" * 10_001}, 422), ({"text": "hi"}, 400), ({}, 400)],
)
def test_a_bad_note_is_refused(
    app: Flask, client: FlaskClient, alice: dict[str, str], claimed: int, payload, status
) -> None:
    response = client.post(url(claimed, "notes"), headers=alice, json=payload)
    assert response.status_code == status
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(Note)) == 0


def test_notes_belong_to_the_counsellor_who_has_the_conversation_and_supervisors(
    client: FlaskClient, bob: dict[str, str], sam: dict[str, str], claimed: int
) -> None:
    response = client.post(url(claimed, "notes"), headers=bob, json={"body": "x"})
    assert response.status_code == 403
    response = client.post(url(claimed, "notes"), headers=sam, json={"body": "x"})
    assert response.status_code == 201


def test_a_note_can_follow_the_close(
    client: FlaskClient, alice: dict[str, str], claimed: int
) -> None:
    client.post(url(claimed, "close"), headers=alice, json={"category": "age_unknown"})
    response = client.post(url(claimed, "notes"), headers=alice, json={"body": "Follow-up."})
    assert response.status_code == 201


# POST /conversations/{id}/transfer


def test_transfer_hands_over_without_greeting_the_texter_again(
    app: Flask, client: FlaskClient, alice: dict[str, str], bob: dict[str, str], claimed: int
) -> None:
    make_present(app, "bob")
    before = len(outbound(app, claimed))
    response = client.post(url(claimed, "transfer"), headers=alice, json={"to": "bob"})
    assert response.status_code == 200
    assert response.get_json()["counsellor"] == "bob"
    assert len(outbound(app, claimed)) == before
    assert event_kinds(app)[-1] == "transferred"
    assert client.get(url(claimed), headers=alice).status_code == 403
    assert client.get(url(claimed), headers=bob).status_code == 200
    sent = client.post(url(claimed, "messages"), headers=bob, json={"body": "Hi, I'm Bo."})
    assert sent.status_code == 202
    assert client.get(f"{API}/me", headers=bob).get_json()["open_conversations"] == [claimed]


def test_a_supervisor_reassigns_any_conversation(
    app: Flask, client: FlaskClient, bob: dict[str, str], sam: dict[str, str], claimed: int
) -> None:
    make_present(app, "bob")
    make_present(app, "sam")
    response = client.post(url(claimed, "transfer"), headers=sam, json={"to": "bob"})
    assert response.status_code == 200
    assert response.get_json()["counsellor"] == "bob"
    to_self = client.post(url(claimed, "transfer"), headers=sam, json={"to": "sam"})
    assert to_self.get_json()["counsellor"] == "sam"


def test_someone_elses_conversation_cannot_be_transferred(
    client: FlaskClient, bob: dict[str, str], claimed: int
) -> None:
    response = client.post(url(claimed, "transfer"), headers=bob, json={"to": "bob"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("payload", "status", "words"),
    [
        ({"to": "nobody"}, 422, "no counsellor named"),
        ({"to": "alice"}, 422, "already with alice"),
        ({"to": "full"}, 409, "full has no room: 0 of 0 open"),
        ({}, 400, "to is required"),
        ({"to": 7}, 400, "to must be a string"),
    ],
)
def test_a_bad_transfer_is_refused(
    app: Flask, client: FlaskClient, alice: dict[str, str], claimed: int, payload, status, words
) -> None:
    add_counsellor(app, "full", max_open=0)
    make_present(app, "full")
    response = client.post(url(claimed, "transfer"), headers=alice, json=payload)
    assert response.status_code == status
    assert words in response.get_json()["error"]
    assert conversation(app, claimed).counsellor_id is not None
    assert client.get(url(claimed), headers=alice).get_json()["counsellor"] == "alice"


def test_a_waiting_conversation_is_claimed_not_transferred(
    client: FlaskClient, bob: dict[str, str], sam: dict[str, str], waiting: int
) -> None:
    assert client.post(url(waiting, "transfer"), headers=sam, json={"to": "bob"}).status_code == 409
    assert client.post(url(waiting, "transfer"), headers=bob, json={"to": "bob"}).status_code == 403


# POST /conversations/{id}/release


def test_release_hands_the_texter_back_to_the_menu(
    app: Flask, client: FlaskClient, alice: dict[str, str], claimed: int
) -> None:
    response = client.post(url(claimed, "release"), headers=alice)
    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] == "menu"
    assert body["counsellor"] is None
    stored = conversation(app, claimed)
    assert (stored.page, stored.history, stored.counsellor_id) == ("main", [], None)
    (told,) = outbound(app, claimed)
    assert told.body == english(app).messages["released"]
    assert told.counsellor_id is None
    assert "released" in event_kinds(app)
    # The bot serves the texter again, and the conversation is no longer alice's.
    assert replies(post_signed(client, sms("1")))
    assert client.get(url(claimed), headers=alice).status_code == 403
    assert client.get(f"{API}/me", headers=alice).get_json()["open_conversations"] == []


def test_a_supervisor_may_release_and_others_may_not(
    client: FlaskClient, bob: dict[str, str], sam: dict[str, str], claimed: int
) -> None:
    assert client.post(url(claimed, "release"), headers=bob).status_code == 403
    assert client.post(url(claimed, "release"), headers=sam).status_code == 200
    assert client.post(url(claimed, "release"), headers=sam).status_code == 409


def test_a_texter_who_opted_out_is_released_in_silence(
    app: Flask, client: FlaskClient, alice: dict[str, str], claimed: int
) -> None:
    post_signed(client, sms("STOP"))
    assert client.post(url(claimed, "release"), headers=alice).status_code == 200
    assert outbound(app, claimed) == []


# POST /conversations/{id}/close


def test_close_records_the_categories(
    app: Flask, client: FlaskClient, alice: dict[str, str], claimed: int
) -> None:
    payload = {
        "category": "violence/online_sexual_exploitation",
        "secondary": ["sextortion", "mental_health/emotional_distress", "sextortion"],
    }
    response = client.post(url(claimed, "close"), headers=alice, json=payload)
    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] == "closed"
    assert body["closed_at"] is not None
    assert body["category"] == "violence/online_sexual_exploitation"
    assert body["secondary"] == ["sextortion", "mental_health/emotional_distress"]
    assert body["survey_pending"] is False
    assert outbound(app, claimed) == []
    assert conversation(app, claimed).closed_at is not None
    assert client.get(f"{API}/me", headers=alice).get_json()["open_conversations"] == []


def test_the_survey_is_asked_and_its_answer_shown(
    app: Flask, client: FlaskClient, alice: dict[str, str], claimed: int
) -> None:
    payload = {"category": "adult/sextortion", "survey": True}
    response = client.post(url(claimed, "close"), headers=alice, json=payload)
    assert response.get_json()["survey_pending"] is True
    (question,) = outbound(app, claimed)
    assert question.body == english(app).messages["survey_question"]
    post_signed(client, sms("4"))
    view = client.get(url(claimed), headers=alice).get_json()
    assert view["survey_answer"] == "4"
    assert view["survey_pending"] is False


@pytest.mark.parametrize("category", handoff.CATEGORIES)
def test_every_contact_category_closes(
    client: FlaskClient, alice: dict[str, str], claimed: int, category: str
) -> None:
    response = client.post(url(claimed, "close"), headers=alice, json={"category": category})
    assert response.status_code == 200
    assert response.get_json()["category"] == category


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"category": "sextortion"}, 422),  # a local tag, not a category
        ({"category": "violence"}, 422),
        ({"category": "age_unknown", "secondary": ["nonsense"]}, 422),
        ({}, 400),
        ({"category": None}, 400),
        ({"category": "age_unknown", "secondary": "sextortion"}, 400),
        ({"category": "age_unknown", "secondary": [1]}, 400),
        ({"category": "age_unknown", "survey": "yes"}, 400),
        ({"category": "age_unknown", "reason": "x"}, 400),
    ],
)
def test_a_bad_close_is_refused(
    app: Flask, client: FlaskClient, alice: dict[str, str], claimed: int, payload, status
) -> None:
    response = client.post(url(claimed, "close"), headers=alice, json=payload)
    assert response.status_code == status
    assert response.get_json()["error"]
    assert conversation(app, claimed).state == "counsellor"


def test_a_supervisor_may_close_and_others_may_not(
    client: FlaskClient, bob: dict[str, str], sam: dict[str, str], claimed: int
) -> None:
    payload = {"category": "non_counselling/questions"}
    assert client.post(url(claimed, "close"), headers=bob, json=payload).status_code == 403
    assert client.post(url(claimed, "close"), headers=sam, json=payload).status_code == 200
    assert client.post(url(claimed, "close"), headers=sam, json=payload).status_code == 409


# GET /events


def test_events_follow_changes_with_a_cursor(
    client: FlaskClient, alice: dict[str, str], claimed: int
) -> None:
    body = client.get(f"{API}/events", headers=alice).get_json()
    kinds = [item["kind"] for item in body["items"]]
    assert "queued" in kinds
    assert kinds[-1] == "claimed"
    assert body["items"][-1]["conversation_id"] == claimed
    ids = [item["id"] for item in body["items"]]
    assert ids == sorted(ids)
    assert body["next_cursor"] == str(ids[-1])

    quiet = client.get(f"{API}/events?after={body['next_cursor']}", headers=alice).get_json()
    assert quiet == {"items": [], "next_cursor": body["next_cursor"]}

    client.post(url(claimed, "notes"), headers=alice, json={"body": "x"})
    new = client.get(f"{API}/events?after={body['next_cursor']}", headers=alice).get_json()
    assert [item["kind"] for item in new["items"]] == ["note"]

    one = client.get(f"{API}/events?limit=1", headers=alice).get_json()
    assert [item["id"] for item in one["items"]] == ids[:1]
    assert one["next_cursor"] == str(ids[0])


@pytest.mark.parametrize("query", ["after=-1", "after=x", "after=1.5", "limit=0", "limit=999"])
def test_bad_event_parameters_get_400(client: FlaskClient, alice: dict[str, str], query) -> None:
    assert client.get(f"{API}/events?{query}", headers=alice).status_code == 400


# Privacy


def test_no_response_reveals_the_texters_number(
    client: FlaskClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    post_signed(client, sms("hi"))
    conversation_id = queue_texter(client)
    make_present(client.application, "bob")
    bodies = [
        client.get(f"{API}/queue", headers=alice),
        client.get(url(conversation_id), headers=bob),
        client.post(url(conversation_id, "claim"), headers=alice),
        client.post(url(conversation_id, "claim"), headers=bob),
        client.post(url(conversation_id, "messages"), headers=alice, json={"body": "Hello"}),
        client.post(url(conversation_id, "notes"), headers=alice, json={"body": "n"}),
        client.get(url(conversation_id), headers=alice),
        client.get(url(conversation_id), headers=bob),
        client.post(url(conversation_id, "transfer"), headers=alice, json={"to": "bob"}),
        client.get(f"{API}/events", headers=bob),
        client.get(f"{API}/me", headers=bob),
        client.post(url(conversation_id, "close"), headers=bob, json={"category": "age_unknown"}),
        client.get(url(conversation_id), headers=bob),
    ]
    digits = TEXTER.lstrip("+")
    for response in bodies:
        for text in (response.get_data(as_text=True), json.dumps(response.get_json())):
            assert digits not in re.sub(r"\D", "", text), response.request.path
            assert digits[-7:] not in text
    assert bodies[0].get_json()["items"][0]["masked_number"] == "+1 •••• ••• 123"


# GET /openapi.json


def test_the_document_is_openapi_3_1_json_without_a_token(client: FlaskClient) -> None:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = json.loads(response.get_data(as_text=True))
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_document_passes_an_openapi_validator(client: FlaskClient) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(client.get(f"{API}/openapi.json").get_json())


def test_the_document_lists_every_route_the_app_serves(app: Flask, client: FlaskClient) -> None:
    document = client.get(f"{API}/openapi.json").get_json()
    documented = {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    assert documented == api_routes(app)


def test_every_reference_in_the_document_resolves(client: FlaskClient) -> None:
    document = client.get(f"{API}/openapi.json").get_json()

    def refs(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    found = set(refs(document))
    assert found
    for ref in found:
        target = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        assert isinstance(target, dict), ref


def test_the_document_lists_the_categories(client: FlaskClient) -> None:
    schemas = client.get(f"{API}/openapi.json").get_json()["components"]["schemas"]
    assert schemas["Category"]["enum"] == list(handoff.CATEGORIES)
    assert set(schemas["SecondaryTag"]["enum"]) == {*handoff.CATEGORIES, *handoff.LOCAL_TAGS}


def test_documented_response_fields_match_the_responses(
    client: FlaskClient, alice: dict[str, str]
) -> None:
    schemas = client.get(f"{API}/openapi.json").get_json()["components"]["schemas"]
    post_signed(client, sms("hi"))
    claimed = queue_texter(client)
    client.post(url(claimed, "claim"), headers=alice)
    client.post(url(claimed, "notes"), headers=alice, json={"body": "n"})
    client.post(url(claimed, "messages"), headers=alice, json={"body": "m"})
    samples = {
        "Conversation": client.get(url(claimed), headers=alice).get_json(),
        "Counsellor": client.get(f"{API}/me", headers=alice).get_json(),
        "QueuePage": client.get(f"{API}/queue", headers=alice).get_json(),
        "EventPage": client.get(f"{API}/events", headers=alice).get_json(),
    }
    samples["Message"] = samples["Conversation"]["messages"][0]
    samples["Note"] = samples["Conversation"]["notes"][0]
    samples["PageRead"] = samples["Conversation"]["pages_read"][0]
    samples["Event"] = samples["EventPage"]["items"][0]
    samples["ConversationState"] = client.post(
        url(claimed, "close"), headers=alice, json={"category": "age_unknown"}
    ).get_json()
    for name, sample in samples.items():
        assert set(sample) == set(schemas[name]["properties"]), name
