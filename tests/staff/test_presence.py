"""Presence: who counts as there, how an open console keeps it, and what texters are told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from responder.staff import presence
from responder.store.db import get_session
from tests.console_sessions import account, form_token, session_token, sign_in, update_account
from tests.counsellors import add_counsellor, make_present, queue_texter
from tests.twilio_requests import post_signed, replies, sms

API = "/api/v1"
NOBODY = "Nobody is free to talk right now."


def console_for(app: Flask, name: str) -> tuple[FlaskClient, dict[str, str]]:
    """Sign a browser in as the account; return it and the header its pages send to the API."""
    browser = app.test_client()
    sign_in(browser, name)
    return browser, {"X-CSRF-Token": session_token(browser)}


def presence_of(client: FlaskClient, headers: dict[str, str]) -> str:
    return client.get(f"{API}/me", headers=headers).get_json()["presence"]


def asks_for_a_person(client: FlaskClient, sender: str) -> str:
    """A new texter reads the menu, asks for a person and skips the age question; return the
    reply that tells them whether a person will answer.
    """
    post_signed(client, sms("hi", sender=sender))
    post_signed(client, sms("TALK", sender=sender))
    (reply,) = replies(post_signed(client, sms("3", sender=sender)))
    return reply


def test_a_console_page_makes_an_available_counsellor_present(app: Flask) -> None:
    alice = add_counsellor(app, "alice")
    assert presence_of(app.test_client(), alice) == "away"  # never seen, switch off
    browser, header = console_for(app, "alice")
    assert browser.put(f"{API}/me/availability", headers=header, json={"available": True})
    assert account(app, "alice").last_seen_at is not None
    assert presence_of(browser, header) == "available"


def test_a_bearer_token_alone_does_not_make_anyone_present(app: Flask, client) -> None:
    alice = add_counsellor(app, "alice")
    client.put(f"{API}/me/availability", headers=alice, json={"available": True})
    client.get(f"{API}/events", headers=alice)
    assert account(app, "alice").last_seen_at is None
    assert presence_of(client, alice) == "away"


def test_presence_lapses_after_the_window(make_app) -> None:
    app = make_app(RESPONDER_PRESENCE_SECONDS=60)
    alice = add_counsellor(app, "alice")
    make_present(app, "alice", seen=datetime.now(UTC) - timedelta(seconds=50))
    client = app.test_client()
    assert presence_of(client, alice) == "available"
    make_present(app, "alice", seen=datetime.now(UTC) - timedelta(seconds=61))
    assert presence_of(client, alice) == "away"
    assert account(app, "alice").available  # the switch is still on: it is not enough


def test_the_feed_refreshes_the_time_but_not_on_every_poll(app: Flask) -> None:
    add_counsellor(app, "alice")
    browser, header = console_for(app, "alice")
    browser.get(f"{API}/events", headers=header)
    first = account(app, "alice").last_seen_at
    assert first is not None
    browser.get(f"{API}/events", headers=header)
    assert account(app, "alice").last_seen_at == first  # a second later: no new write
    old = first - presence.REFRESH_EVERY
    update_account(app, "alice", last_seen_at=old)
    browser.get(f"{API}/events", headers=header)
    assert account(app, "alice").last_seen_at > first


def test_a_console_page_load_refreshes_the_time(app: Flask) -> None:
    add_counsellor(app, "alice")
    browser, _ = console_for(app, "alice")
    update_account(app, "alice", last_seen_at=None)
    assert browser.get("/console/queue").status_code == 200
    assert account(app, "alice").last_seen_at is not None


def test_signing_out_turns_the_switch_off(app: Flask, client: FlaskClient) -> None:
    alice = add_counsellor(app, "alice")
    browser, header = console_for(app, "alice")
    browser.put(f"{API}/me/availability", headers=header, json={"available": True})
    assert "A person from the helpline will reply here." in asks_for_a_person(
        client, "+14155550101"
    )
    token = form_token(browser.get("/console/queue"))
    assert browser.post("/console/logout", data={"csrf_token": token}).status_code == 302
    stored = account(app, "alice")
    assert (stored.available, stored.last_seen_at) == (False, None)
    assert presence_of(client, alice) == "away"
    assert asks_for_a_person(client, "+14155550102").startswith(NOBODY)


def test_a_counsellor_at_their_limit_is_busy(app: Flask, client: FlaskClient) -> None:
    alice = add_counsellor(app, "alice", max_open=1)
    make_present(app, "alice")
    assert presence_of(client, alice) == "available"
    claimed = client.post(f"{API}/conversations/{queue_texter(client)}/claim", headers=alice)
    assert claimed.status_code == 200
    assert presence_of(client, alice) == "busy"


def test_a_deactivated_account_is_never_present(app: Flask) -> None:
    add_counsellor(app, "alice")
    make_present(app, "alice")
    update_account(app, "alice", active=False)
    now = datetime.now(UTC)
    with app.app_context():
        session = get_session()
        assert not presence.someone_free(session, now, timedelta(minutes=2))
        assert presence.with_room(session, now, timedelta(minutes=2)) == ()


def test_the_list_of_present_counsellors_has_only_those_with_room(
    app: Flask, client: FlaskClient
) -> None:
    alice = add_counsellor(app, "alice")
    add_counsellor(app, "bob")
    add_counsellor(app, "full", max_open=0)
    add_counsellor(app, "gone")
    for name in ("bob", "full"):
        make_present(app, name)
    make_present(app, "gone", seen=datetime.now(UTC) - timedelta(hours=1))
    body = client.get(f"{API}/counsellors/present", headers=alice).get_json()
    assert body == {
        "items": [
            {"username": "bob", "role": "counsellor", "open_conversations": 0, "max_open": 3}
        ],
        "someone_free": True,
    }


@pytest.mark.parametrize(
    ("who", "told"),
    [
        ("nobody", "nobody"),  # the switch left on by someone who went home
        ("present", "free"),
        ("full", "nobody"),  # present, but at their limit
    ],
)
def test_texters_are_told_a_person_will_reply_only_when_one_can(
    app: Flask, client: FlaskClient, who: str, told: str
) -> None:
    alice = add_counsellor(app, "alice", max_open=1)
    if who == "nobody":
        make_present(app, "alice", seen=datetime.now(UTC) - timedelta(hours=3))
    else:
        make_present(app, "alice")
    if who == "full":
        client.post(f"{API}/conversations/{queue_texter(client)}/claim", headers=alice)
    reply = asks_for_a_person(client, "+14155550109")
    assert reply.startswith(NOBODY) is (told == "nobody")
    assert ("A person from the helpline will reply here." in reply) is (told == "free")
    # The queue page says the same to any counsellor who looks (bob's switch is off).
    add_counsellor(app, "bob")
    page_client, _ = console_for(app, "bob")
    line = "a counsellor is free." if told == "free" else "nobody is free right now."
    html = page_client.get("/console/queue").get_data(as_text=True)
    assert f'<p id="texters-told" aria-live="polite">Texters are told {line}</p>' in html


@pytest.mark.parametrize(
    ("console", "promised"),
    [("open now", True), ("closed three hours ago", False), ("never opened", False)],
)
def test_a_new_texter_whose_first_message_is_a_crisis_is_promised_only_someone_present(
    app: Flask, client: FlaskClient, console: str, promised: bool
) -> None:
    # alice's switch is on in every case; only an open console makes her there.
    alice = add_counsellor(app, "alice")
    switched = client.put(f"{API}/me/availability", headers=alice, json={"available": True})
    assert switched.status_code == 200
    if console != "never opened":
        ago = timedelta(0) if console == "open now" else timedelta(hours=3)
        make_present(app, "alice", seen=datetime.now(UTC) - ago)

    (reply,) = replies(post_signed(client, sms("i want to kill myself", sender="+14155550177")))

    assert ("A person from the helpline will reply here soon." in reply) is promised
    assert ("Nobody from the helpline is free right now." in reply) is not promised
    assert "In danger now? Emergency: 911" in reply
