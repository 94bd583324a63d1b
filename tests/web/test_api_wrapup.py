"""POST /conversations/{id}/close with a wrap-up, and the closed conversation read back."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from responder.web import openapi
from tests.counselling.test_wrapup import SEXTORTION, SILENT, SUMMARY
from tests.counsellors import conversation
from tests.twilio_requests import post_signed, sms

API = "/api/v1"


def url(conversation_id: int, action: str = "") -> str:
    return f"{API}/conversations/{conversation_id}" + (f"/{action}" if action else "")


def test_a_wrap_up_closes_and_reads_back_in_words(
    app: Flask, client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    payload = {"wrapup": SEXTORTION, "survey": True}
    response = client.post(url(held, "close"), headers=alice, json=payload)
    assert response.status_code == 200
    state = response.get_json()
    assert state["state"] == "closed"
    assert state["category"] == "violence/online_sexual_exploitation"
    assert state["secondary"] == ["mental_health/emotional_distress", "sextortion"]
    post_signed(client, sms("5"))

    view = client.get(url(held), headers=alice).get_json()
    assert view["closed_by"] == "alice"
    assert view["closed_at"] == state["closed_at"]
    assert view["survey_answer"] == "5"
    written = view["wrapup"]
    assert written["contact_type"] == "Counselling: about themselves"
    assert written["categories"] == [
        "Sextortion: threatened with sharing sexual images",
        "Emotional distress",
    ]
    assert written["first_contact_platform"] == "An online game"
    assert written["threat_platform"] == "Snapchat"
    assert written["money_demanded"] == "100 to 1,000 USD"
    assert written["money_paid"] == "None"
    assert written["images_shared"] == "Not known"
    assert written["deadline_given"] == "Yes"
    assert written["referrals"] == ["Take It Down", "The platform's own report"]
    assert (written["age_band"], written["gender"]) == ("13 to 15", "Boy or man")
    assert written["summary"] == SUMMARY


def test_a_supervisor_closing_is_named_as_who_closed(
    client: FlaskClient, alice: dict[str, str], sam: dict[str, str], held: int
) -> None:
    assert client.post(url(held, "close"), headers=sam, json={"wrapup": SILENT}).status_code == 200
    view = client.get(url(held), headers=alice).get_json()
    assert view["closed_by"] == "sam"
    assert view["category"] is None
    assert view["wrapup"]["contact_type"] == "Not counselling: silent"
    assert view["wrapup"]["threat_platform"] is None


def test_an_invalid_wrap_up_is_refused_field_by_field(
    app: Flask, client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    wrapup = {key: value for key, value in SEXTORTION.items() if key != "threat_platform"}
    wrapup["money_paid"] = "lots"
    response = client.post(url(held, "close"), headers=alice, json={"wrapup": wrapup})
    assert response.status_code == 422
    body = response.get_json()
    assert "2 answers" in body["error"]
    assert set(body["fields"]) == {"threat_platform", "money_paid"}
    assert body["fields"]["threat_platform"].startswith("Where the threat came from:")
    assert conversation(app, held).state == "counsellor"


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"wrapup": SILENT, "category": "age_unknown"}, 422),
        ({"wrapup": SILENT, "secondary": ["sextortion"]}, 422),
        ({"wrapup": "silent"}, 400),
        ({"wrapup": None}, 400),
        ({"survey": True}, 400),
    ],
)
def test_a_close_mixing_the_two_ways_or_with_neither_is_refused(
    app: Flask, client: FlaskClient, alice: dict[str, str], held: int, payload, status
) -> None:
    response = client.post(url(held, "close"), headers=alice, json=payload)
    assert response.status_code == status
    assert response.get_json()["error"]
    assert conversation(app, held).state == "counsellor"


def test_the_older_close_still_works_and_keeps_no_wrap_up(
    client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    payload = {"category": "adult/sextortion", "secondary": ["third_party"]}
    assert client.post(url(held, "close"), headers=alice, json=payload).status_code == 200
    view = client.get(url(held), headers=alice).get_json()
    assert (view["category"], view["secondary"]) == ("adult/sextortion", ["third_party"])
    assert view["wrapup"] is None
    assert view["closed_by"] == "alice"


def test_an_open_conversation_has_no_wrap_up_and_nobody_closed_it(
    client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    view = client.get(url(held), headers=alice).get_json()
    assert view["wrapup"] is None and view["closed_by"] is None


def test_the_closed_conversation_keeps_to_the_document(
    client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    client.post(url(held, "close"), headers=alice, json={"wrapup": SEXTORTION})
    view = client.get(url(held), headers=alice).get_json()
    schema = {"$ref": "#/components/schemas/Conversation", **openapi.DOCUMENT}
    Draft202012Validator(schema).validate(view)
    refused = client.post(url(held, "close"), headers=alice, json={"wrapup": {}})
    schema = {"$ref": "#/components/schemas/FieldErrors", **openapi.DOCUMENT}
    Draft202012Validator(schema).validate(refused.get_json())
    assert set(refused.get_json()["fields"]) == {"contact_type", "age_band", "gender"}
