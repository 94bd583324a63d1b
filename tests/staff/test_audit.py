"""The audit log: every counsellor action on a conversation, for supervisors, never text."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from responder.store.db import get_session
from responder.store.models import AuditEntry
from tests.counsellors import add_counsellor, make_present, number, queue_texter
from tests.twilio_requests import TEXTER, post_signed, sms

API = "/api/v1"
REPLY = "Hi, this is Al from the helpline."
NOTE = "Mentions a school in Leeds."


def act(conversation_id: int, action: str) -> str:
    return f"{API}/conversations/{conversation_id}/{action}"


def audit_log(client: FlaskClient, headers: dict[str, str], query: str = "") -> dict:
    response = client.get(f"{API}/audit{query}", headers=headers)
    assert response.status_code == 200
    return response.get_json()


def entry_count(app: Flask) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count(AuditEntry.id)))


def test_every_action_is_logged_with_who_and_which_conversation(
    app: Flask, client: FlaskClient, alice: dict[str, str], sam: dict[str, str]
) -> None:
    bob = add_counsellor(app, "bob")
    make_present(app, "bob")
    first = queue_texter(client)
    second = queue_texter(client, number(7))
    steps = [
        (alice, "claim", first, None),
        (alice, "messages", first, {"body": REPLY}),
        (alice, "notes", first, {"body": NOTE}),
        (alice, "block", first, {"hours": 24}),
        (alice, "unblock", first, None),
        (alice, "transfer", first, {"to": "bob"}),
        (bob, "close", first, {"category": "age_unknown"}),
        (alice, "claim", second, None),
        (sam, "release", second, None),
        (sam, "block", second, {"hours": None}),
    ]
    for headers, action, conversation_id, body in steps:
        response = client.post(act(conversation_id, action), headers=headers, json=body)
        assert response.status_code < 300, (action, response.get_json())

    log = audit_log(client, sam)
    seen = [(e["counsellor"], e["action"], e["conversation_id"], e["detail"]) for e in log["items"]]
    assert seen == [
        ("alice", "claim", first, {}),
        ("alice", "reply", first, {}),
        ("alice", "note", first, {}),
        ("alice", "block", first, {"hours": 24}),
        ("alice", "unblock", first, {}),
        ("alice", "transfer", first, {"to": "bob"}),
        ("bob", "close", first, {}),
        ("alice", "claim", second, {}),
        ("sam", "release", second, {}),
        ("sam", "block", second, {"hours": None}),
    ]
    ids = [e["id"] for e in log["items"]]
    assert ids == sorted(ids)
    assert log["next_cursor"] == str(ids[-1])
    at = [e["at"] for e in log["items"]]
    assert at == sorted(at)

    # Neither what was written nor who wrote in is kept in the log.
    text = json.dumps(log, ensure_ascii=False)
    assert REPLY not in text and NOTE not in text
    digits = re.sub(r"\D", "", text)
    for texter in (TEXTER, number(7)):
        assert texter.lstrip("+") not in digits
        assert texter[-7:] not in text
    with app.app_context():
        stored = get_session().scalars(select(AuditEntry.detail)).all()
    assert REPLY not in repr(stored) and NOTE not in repr(stored)


def test_a_refused_action_leaves_no_entry(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    bob = add_counsellor(app, "bob")
    waiting = queue_texter(client)
    assert client.post(act(waiting, "claim"), headers=alice).status_code == 200
    assert entry_count(app) == 1
    assert client.post(act(waiting, "claim"), headers=bob).status_code == 409
    assert (
        client.post(act(waiting, "messages"), headers=bob, json={"body": "hi"}).status_code == 403
    )
    assert client.post(act(waiting, "block"), headers=bob, json={"hours": 24}).status_code == 403
    assert client.post(act(waiting, "block"), headers=alice, json={"hours": 2}).status_code == 422
    assert entry_count(app) == 1


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_only_supervisors_and_admins_read_the_log(
    app: Flask, client: FlaskClient, alice: dict[str, str], role: str
) -> None:
    refused = client.get(f"{API}/audit", headers=alice)
    assert refused.status_code == 403
    assert "supervisors" in refused.get_json()["error"]
    reader = add_counsellor(app, "reader", role=role)
    assert audit_log(client, reader) == {"items": [], "next_cursor": "0"}


def test_the_log_pages_with_a_cursor(
    client: FlaskClient, alice: dict[str, str], sam: dict[str, str]
) -> None:
    waiting = queue_texter(client)
    client.post(act(waiting, "claim"), headers=alice)
    client.post(act(waiting, "notes"), headers=alice, json={"body": "n"})
    client.post(act(waiting, "release"), headers=alice)
    one = audit_log(client, sam, "?limit=1")
    assert [e["action"] for e in one["items"]] == ["claim"]
    rest = audit_log(client, sam, f"?after={one['next_cursor']}")
    assert [e["action"] for e in rest["items"]] == ["note", "release"]
    quiet = audit_log(client, sam, f"?after={rest['next_cursor']}")
    assert quiet == {"items": [], "next_cursor": rest["next_cursor"]}


@pytest.mark.parametrize("query", ["after=-1", "after=x", "after=1.5", "limit=0", "limit=999"])
def test_bad_log_parameters_get_400(client: FlaskClient, sam: dict[str, str], query: str) -> None:
    response = client.get(f"{API}/audit?{query}", headers=sam)
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_erasure_keeps_the_entries_but_not_the_link(
    app: Flask, client: FlaskClient, alice: dict[str, str], sam: dict[str, str]
) -> None:
    waiting = queue_texter(client)
    other = queue_texter(client, number(8))
    client.post(act(waiting, "claim"), headers=alice)
    client.post(act(waiting, "messages"), headers=alice, json={"body": REPLY})
    client.post(act(waiting, "block"), headers=alice, json={"hours": 168})
    client.post(act(other, "claim"), headers=alice)
    post_signed(client, sms("DELETE"))
    post_signed(client, sms("DELETE"))
    assert client.get(f"{API}/conversations/{waiting}", headers=sam).status_code == 404

    log = audit_log(client, sam)["items"]
    assert [(e["action"], e["conversation_id"]) for e in log] == [
        ("claim", None),
        ("reply", None),
        ("block", None),
        ("claim", other),
    ]
    assert all(e["counsellor"] == "alice" for e in log)


def test_the_document_describes_the_log(client: FlaskClient, sam: dict[str, str]) -> None:
    schemas = client.get(f"{API}/openapi.json").get_json()["components"]["schemas"]
    waiting = queue_texter(client)
    client.post(act(waiting, "claim"), headers=sam)
    page = audit_log(client, sam)
    assert set(page) == set(schemas["AuditPage"]["properties"])
    assert set(page["items"][0]) == set(schemas["AuditEntry"]["properties"])
    action = schemas["AuditEntry"]["properties"]["action"]
    assert action == {"$ref": "#/components/schemas/AuditAction"}
    assert page["items"][0]["action"] in schemas["AuditAction"]["enum"]


def test_a_transcript_read_through_the_api_is_logged_once_a_sitting(
    app: Flask, client: FlaskClient, sam: dict[str, str]
) -> None:
    conversation_id = queue_texter(client)
    for _ in range(3):  # a script following the conversation reads it again and again
        read = client.get(f"/api/v1/conversations/{conversation_id}", headers=sam)
        assert read.status_code == 200
    views = [e for e in audit_log(client, sam, "?limit=200")["items"] if e["action"] == "view"]
    assert [(e["counsellor"], e["conversation_id"]) for e in views] == [("sam", conversation_id)]
    # Ten minutes on, a read is a new sitting.
    with app.app_context():
        session = get_session()
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "view")).one()
        entry.created_at -= timedelta(minutes=11)
        session.commit()
    client.get(f"/api/v1/conversations/{conversation_id}", headers=sam)
    views = [e for e in audit_log(client, sam, "?limit=200")["items"] if e["action"] == "view"]
    assert len(views) == 2
