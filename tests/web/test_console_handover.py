"""Deactivating an account that holds conversations: the admin says where they go first."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from responder import services
from responder.store.db import get_session
from responder.store.models import AuditEntry, Event, Message, Note
from tests.console_sessions import account, form_token, sign_in
from tests.counsellors import add_counsellor, conversation, make_present, queue_texter
from tests.twilio_requests import post_signed, sms

API = "/api/v1"
CRISIS_WORDS = "I want to kill myself"


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    add_counsellor(app, "ada", "admin")
    client = app.test_client()
    sign_in(client, "ada")
    return client


@pytest.fixture
def two_held(client: FlaskClient, alice: dict[str, str]) -> list[int]:
    """Two conversations alice holds; the second came with crisis words."""
    held = []
    for sender in ("+14155550141", "+14155550142"):
        conversation_id = queue_texter(client, sender)
        assert client.post(f"{API}/conversations/{conversation_id}/claim", headers=alice)
        held.append(conversation_id)
    return held


def deactivate(admin: FlaskClient, app: Flask, name: str, **fields: str) -> str:
    """Send the deactivate form of an account; return the accounts page it leads back to."""
    account_id = account(app, name).id
    token = form_token(admin.get("/console/accounts"))
    response = admin.post(
        f"/console/accounts/{account_id}/deactivate", data={"csrf_token": token, **fields}
    )
    assert response.status_code == 302
    return admin.get("/console/accounts").get_data(as_text=True)


def test_the_page_shows_the_count_and_asks_where_they_go(
    app: Flask, admin: FlaskClient, bob: dict[str, str], two_held: list[int]
) -> None:
    make_present(app, "bob")
    add_counsellor(app, "carl")  # not signed in: not offered
    html = admin.get("/console/accounts").get_data(as_text=True)
    alice_id = account(app, "alice").id
    assert "alice has 2 open conversations. Before deactivating, move them to</label>" in html
    assert f'<select id="handover-{alice_id}" name="handover" required>' in html
    assert '<option value="queue">the queue (priority and crisis mark kept)</option>' in html
    assert '<option value="bob">bob (0 of 3 open)</option>' in html
    assert '<option value="carl">' not in html
    bob_id = account(app, "bob").id
    assert f'id="handover-{bob_id}"' not in html  # bob holds nothing: nothing to ask


def test_without_a_choice_nothing_changes(
    app: Flask, admin: FlaskClient, two_held: list[int]
) -> None:
    html = deactivate(admin, app, "alice")
    assert "Not changed: alice has 2 open conversations: choose whether they go" in html
    assert account(app, "alice").active
    assert all(conversation(app, c).state == "counsellor" for c in two_held)


def test_to_the_queue_they_keep_their_priority_and_crisis_mark(
    app: Flask, client: FlaskClient, admin: FlaskClient, two_held: list[int]
) -> None:
    calm, crisis = two_held
    post_signed(client, sms(CRISIS_WORDS, sender="+14155550142"))
    before = conversation(app, crisis)
    assert before.crisis_at is not None and before.priority == 100
    started = datetime.now(UTC)

    html = deactivate(admin, app, "alice", handover="queue")

    assert "Deactivated" in html and "Its open conversations have been moved." in html
    assert not account(app, "alice").active
    for conversation_id in two_held:
        moved = conversation(app, conversation_id)
        assert (moved.state, moved.counsellor_id) == ("waiting", None)
        assert moved.queued_at >= started
    after = conversation(app, crisis)
    assert (after.priority, after.crisis_at) == (100, before.crisis_at)
    ada = account(app, "ada").id
    queue = client.get(f"{API}/queue", headers=add_counsellor(app, "reader")).get_json()
    assert [item["id"] for item in queue["items"]] == [crisis, calm]  # crisis first
    with app.app_context():
        session = get_session()
        requeues = session.scalars(
            select(AuditEntry.conversation_id).where(AuditEntry.action == "requeue")
        ).all()
        assert sorted(requeues) == sorted(two_held)
        assert [
            n.body for n in session.scalars(select(Note).where(Note.conversation_id == calm))
        ] == [
            "ada (admin) moved this conversation back to the queue: alice's account was deactivated"
        ]
        kinds = session.execute(
            select(Event.kind, Event.actor_id).where(Event.conversation_id == calm)
        ).all()
        # Queued by the admin, then the texter's notice written by nobody in particular.
        assert kinds[-2:] == [("queued", ada), ("message", None)]


def test_to_a_counsellor_who_is_here_with_room(
    app: Flask, client: FlaskClient, admin: FlaskClient, bob: dict[str, str], two_held: list[int]
) -> None:
    make_present(app, "bob")
    deactivate(admin, app, "alice", handover="bob")
    assert not account(app, "alice").active
    mine = client.get(f"{API}/me", headers=bob).get_json()["open_conversations"]
    assert mine == sorted(two_held)
    note = client.get(f"{API}/conversations/{two_held[0]}", headers=bob).get_json()["notes"][-1]
    assert note["body"] == (
        "ada (admin) transferred this conversation to bob: alice's account was deactivated"
    )


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        ("away", "bob is not signed in"),
        ("small", "bob has no room for 2 more (room for 1): 0 of 1 open"),
    ],
)
def test_to_a_counsellor_who_cannot_take_them_is_refused(
    app: Flask, admin: FlaskClient, two_held: list[int], setup: str, words: str
) -> None:
    add_counsellor(app, "bob", max_open=1)
    if setup == "small":
        make_present(app, "bob")
    html = deactivate(admin, app, "alice", handover="bob")
    assert f"Not changed: {words}." in html
    assert account(app, "alice").active
    assert all(conversation(app, c).state == "counsellor" for c in two_held)


def test_an_account_holding_nothing_is_deactivated_as_before(
    app: Flask, admin: FlaskClient, alice: dict[str, str]
) -> None:
    html = deactivate(admin, app, "alice")
    assert "Deactivated: the account is signed out and cannot sign in." in html
    assert not account(app, "alice").active


def test_texters_moved_to_the_queue_are_told_unless_they_said_stop(
    app: Flask, client: FlaskClient, admin: FlaskClient, two_held: list[int]
) -> None:
    told, stopped = two_held
    post_signed(client, sms("STOP", sender="+14155550142"))
    before = {c: texts_to(app, c) for c in two_held}

    deactivate(admin, app, "alice", handover="queue")

    english = services.of(app).content.language("en").messages
    assert texts_to(app, told) == [*before[told], english["requeued"]]
    assert english["requeued"].startswith("The person you were chatting with had to stop.")
    assert texts_to(app, stopped) == before[stopped]


def test_texters_handed_to_a_colleague_are_not_greeted_again(
    app: Flask, admin: FlaskClient, bob: dict[str, str], two_held: list[int]
) -> None:
    make_present(app, "bob")
    before = {c: texts_to(app, c) for c in two_held}
    deactivate(admin, app, "alice", handover="bob")
    assert {c: texts_to(app, c) for c in two_held} == before


def texts_to(app: Flask, conversation_id: int) -> list[str]:
    """What the helpline has written to the texter of a conversation, oldest first."""
    with app.app_context():
        return [
            message.body
            for message in get_session().scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.direction == "out")
                .order_by(Message.id)
            )
        ]
