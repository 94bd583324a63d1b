"""Transfers go only to someone there with room, carry a note, and supervisors' acts are told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.console_sessions import update_account
from tests.counsellors import add_counsellor, conversation, make_present, queue_texter

API = "/api/v1"


def url(conversation_id: int, action: str = "") -> str:
    return f"{API}/conversations/{conversation_id}" + (f"/{action}" if action else "")


def notes(client: FlaskClient, headers: dict[str, str], conversation_id: int) -> list[dict]:
    response = client.get(url(conversation_id), headers=headers)
    assert response.status_code == 200
    return response.get_json()["notes"]


def feed(client: FlaskClient, headers: dict[str, str]) -> list[tuple[str, int | None, str | None]]:
    items = client.get(f"{API}/events?limit=200", headers=headers).get_json()["items"]
    return [(item["kind"], item["conversation_id"], item["actor"]) for item in items]


@pytest.mark.parametrize(
    ("state", "status", "words"),
    [
        ("signed out", 409, "bob is not signed in"),
        ("gone quiet", 409, "bob is not signed in"),
        ("switch off", 409, "bob is not taking conversations (their switch is off)"),
        ("full", 409, "bob has no room: 1 of 1 open"),
        ("deactivated", 422, "bob's account is deactivated"),
    ],
)
def test_a_transfer_to_someone_who_cannot_take_it_is_refused_in_words(
    app: Flask,
    client: FlaskClient,
    alice: dict[str, str],
    held: int,
    state: str,
    status: int,
    words: str,
) -> None:
    bob = add_counsellor(app, "bob", max_open=1)
    make_present(app, "bob")
    if state == "signed out":
        update_account(app, "bob", available=False, last_seen_at=None)
    elif state == "gone quiet":
        update_account(app, "bob", last_seen_at=datetime.now(UTC) - timedelta(minutes=10))
    elif state == "switch off":
        update_account(app, "bob", available=False)
    elif state == "full":
        assert client.post(url(queue_texter(client, "+14155550177"), "claim"), headers=bob)
    elif state == "deactivated":
        update_account(app, "bob", active=False)
    response = client.post(url(held, "transfer"), headers=alice, json={"to": "bob", "note": "x"})
    assert (response.status_code, response.get_json()["error"]) == (status, words)
    assert client.get(url(held), headers=alice).get_json()["counsellor"] == "alice"
    assert notes(client, alice, held) == []  # a refused transfer leaves no note behind


def test_the_senders_note_reaches_the_receiver_in_the_conversation(
    app: Flask, client: FlaskClient, alice: dict[str, str], bob: dict[str, str], held: int
) -> None:
    make_present(app, "bob")
    note = "She has a deadline tonight; the threat came on Instagram."
    response = client.post(url(held, "transfer"), headers=alice, json={"to": "bob", "note": note})
    assert response.status_code == 200
    ((author, body),) = [(n["author"], n["body"]) for n in notes(client, bob, held)]
    assert (author, body) == ("alice", note)
    assert ("transferred", held, "alice") in feed(client, bob)


@pytest.mark.parametrize(
    ("payload", "status", "words"),
    [
        ({"to": "bob", "note": 5}, 400, "note must be a string"),
        ({"to": "bob", "note": "x" * 10_001}, 422, "the note has 10001 characters"),
    ],
)
def test_a_bad_note_is_refused(
    app: Flask,
    client: FlaskClient,
    alice: dict[str, str],
    bob: dict[str, str],
    held: int,
    payload: dict,
    status: int,
    words: str,
) -> None:
    make_present(app, "bob")
    response = client.post(url(held, "transfer"), headers=alice, json=payload)
    assert response.status_code == status
    assert words in response.get_json()["error"]
    assert conversation(app, held).counsellor_id is not None


def test_a_blank_note_is_no_note(
    app: Flask, client: FlaskClient, alice: dict[str, str], bob: dict[str, str], held: int
) -> None:
    make_present(app, "bob")
    response = client.post(url(held, "transfer"), headers=alice, json={"to": "bob", "note": "  "})
    assert response.status_code == 200
    assert notes(client, bob, held) == []


@pytest.mark.parametrize(
    ("action", "body", "words"),
    [
        ("close", {"category": "age_unknown"}, "sam (supervisor) closed this conversation"),
        ("release", None, "sam (supervisor) released this conversation to the menu"),
        ("transfer", {"to": "bob"}, "sam (supervisor) transferred this conversation to bob"),
    ],
)
def test_a_supervisors_act_on_a_held_conversation_is_named_to_its_holder(
    app: Flask,
    client: FlaskClient,
    alice: dict[str, str],
    bob: dict[str, str],
    sam: dict[str, str],
    held: int,
    action: str,
    body: dict | None,
    words: str,
) -> None:
    make_present(app, "bob")
    kind = {"close": "closed", "release": "released", "transfer": "transferred"}[action]
    response = client.post(url(held, action), headers=sam, json=body)
    assert response.status_code == 200
    # The holder's feed names who acted, which is not them.
    assert (kind, held, "sam") in feed(client, alice)
    # And the record keeps it, as a private note by the supervisor.
    ((author, text),) = [(n["author"], n["body"]) for n in notes(client, sam, held)]
    assert (author, text) == ("sam", words)


def test_a_counsellors_own_actions_leave_no_supervisor_note(
    app: Flask, client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    response = client.post(url(held, "close"), headers=alice, json={"category": "age_unknown"})
    assert response.status_code == 200
    assert notes(client, alice, held) == []
    assert feed(client, alice)[-1] == ("closed", held, "alice")


def test_events_name_their_actor_or_nobody(
    app: Flask, client: FlaskClient, alice: dict[str, str], waiting: int
) -> None:
    client.post(url(waiting, "claim"), headers=alice)
    client.post(url(waiting, "messages"), headers=alice, json={"body": "Hello, I'm Alice."})
    client.post(url(waiting, "notes"), headers=alice, json={"body": "calm"})
    client.put(f"{API}/me/availability", headers=alice, json={"available": True})
    events = feed(client, alice)
    assert ("queued", waiting, None) in events  # the texter asked: no counsellor acted
    assert ("message", waiting, None) in events  # the texter's own message
    for kind in ("claimed", "note"):
        assert (kind, waiting, "alice") in events
    assert ("message", waiting, "alice") in events  # the counsellor's reply
    assert events[-1] == ("availability", None, "alice")
