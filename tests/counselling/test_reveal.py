"""A supervisor may see a texter's full number, only with a written reason that is logged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.counsellors import add_counsellor, queue_texter, update_conversation
from tests.twilio_requests import TEXTER, post_signed, sms, whatsapp

API = "/api/v1"
REASON = "Police request, ref 4471: texter said they are in danger tonight."
UK = "+447700900123"


def reveal(conversation_id: int) -> str:
    return f"{API}/conversations/{conversation_id}/reveal"


def audit_items(client: FlaskClient, headers: dict[str, str]) -> list[dict]:
    return client.get(f"{API}/audit", headers=headers).get_json()["items"]


def test_a_supervisor_sees_the_number_and_the_reason_is_logged(
    client: FlaskClient, sam: dict[str, str], waiting: int
) -> None:
    response = client.post(reveal(waiting), headers=sam, json={"reason": f"  {REASON}\n"})
    assert response.status_code == 200
    assert response.get_json() == {"address": TEXTER}
    assert response.headers["Cache-Control"] == "no-store"
    (entry,) = audit_items(client, sam)
    assert entry["action"] == "reveal"
    assert entry["counsellor"] == "sam"
    assert entry["conversation_id"] == waiting
    assert entry["detail"] == {"reason": REASON}


@pytest.mark.parametrize("send", [sms, whatsapp])
def test_the_number_is_given_in_e164_whatever_the_channel(
    app: Flask, client: FlaskClient, send
) -> None:
    admin = add_counsellor(app, "ada", role="admin")
    post_signed(client, send("TALK", sender=UK))
    (item,) = client.get(f"{API}/queue", headers=admin).get_json()["items"]
    assert item["channel"] == send.__name__
    response = client.post(reveal(item["id"]), headers=admin, json={"reason": REASON})
    assert response.get_json() == {"address": UK}


def test_a_counsellor_may_not_see_the_number(
    app: Flask, client: FlaskClient, sam: dict[str, str], waiting: int
) -> None:
    alice = add_counsellor(app, "alice")
    assert client.post(f"{API}/conversations/{waiting}/claim", headers=alice).status_code == 200
    response = client.post(reveal(waiting), headers=alice, json={"reason": REASON})
    assert response.status_code == 403
    assert TEXTER.lstrip("+") not in response.get_data(as_text=True)
    assert "supervisors" in response.get_json()["error"]
    assert audit_items(client, sam)[-1]["action"] == "claim"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"reason": ""},
        {"reason": "because"},
        {"reason": "   short   \n\t        "},
        {"reason": "x" * 501},
        {"reason": None},
        {"reason": 1234567890},
        {"reason": ["a reason of sorts"]},
        {"reason": "a NUL \x00 within it"},
        {"reason": REASON, "hours": 24},
        [REASON],
        REASON,
    ],
)
def test_no_good_reason_no_number(
    client: FlaskClient, sam: dict[str, str], waiting: int, payload
) -> None:
    response = client.post(reveal(waiting), headers=sam, json=payload)
    assert response.status_code == 422
    assert "reason" in response.get_json()["error"]
    assert TEXTER.lstrip("+") not in response.get_data(as_text=True)
    assert audit_items(client, sam) == []


def test_a_reason_of_500_characters_is_enough(
    client: FlaskClient, sam: dict[str, str], waiting: int
) -> None:
    response = client.post(reveal(waiting), headers=sam, json={"reason": "y" * 500})
    assert response.status_code == 200


def test_a_body_that_is_not_json_gets_422(
    client: FlaskClient, sam: dict[str, str], waiting: int
) -> None:
    response = client.post(reveal(waiting), headers=sam, data=f"reason={REASON}")
    assert response.status_code == 422
    assert audit_items(client, sam) == []


def test_unknown_erased_and_anonymised_conversations_reveal_nothing(
    app: Flask, client: FlaskClient, sam: dict[str, str], waiting: int
) -> None:
    assert client.post(reveal(9999), headers=sam, json={"reason": REASON}).status_code == 404
    other = queue_texter(client, UK)
    update_conversation(app, other, contact_id=None, state="closed", closed_at=datetime.now(UTC))
    anonymised = client.post(reveal(other), headers=sam, json={"reason": REASON})
    assert anonymised.status_code == 409
    assert "anonymised" in anonymised.get_json()["error"]
    post_signed(client, sms("DELETE"))
    post_signed(client, sms("DELETE"))
    assert client.post(reveal(waiting), headers=sam, json={"reason": REASON}).status_code == 404
    assert audit_items(client, sam) == []


def test_the_document_describes_the_reveal(client: FlaskClient) -> None:
    document = client.get(f"{API}/openapi.json").get_json()
    operation = document["paths"][f"{API}/conversations/{{conversation_id}}/reveal"]["post"]
    assert "Cache-Control" in operation["responses"]["200"]["headers"]
    reason = document["components"]["schemas"]["RevealRequest"]["properties"]["reason"]
    assert (reason["minLength"], reason["maxLength"]) == (10, 500)
