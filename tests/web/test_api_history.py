"""The API of the texter's history: who may read it, and flags refused with words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.counselling.test_history import NOTE, REPLY, act, came_back
from tests.counsellors import number, queue_texter, update_conversation

# Stands for the day a year and a day from the test's own today, put in as the test runs.
A_YEAR_AND_A_DAY = "a year and a day from today"


def flags_of(conversation_id: int) -> str:
    return act(conversation_id, "flags")


def add(client: FlaskClient, headers: dict[str, str], conversation_id: int, **body: object):
    return client.post(flags_of(conversation_id), headers=headers, json=body)


def test_every_history_route_needs_a_token(client: FlaskClient, waiting: int) -> None:
    wrong = {"Authorization": "Bearer not-a-token"}
    for headers in ({}, wrong):
        assert client.get(act(waiting, "history"), headers=headers).status_code == 401
        assert add(client, headers, waiting, label="prank").status_code == 401
        assert client.delete(f"{flags_of(waiting)}/1", headers=headers).status_code == 401


def test_another_counsellors_conversation_is_forbidden(
    client: FlaskClient, alice: dict[str, str], bob: dict[str, str], held: int
) -> None:
    flag_id = add(client, alice, held, label="prank").get_json()["id"]

    assert client.get(act(held, "history"), headers=bob).status_code == 403
    assert add(client, bob, held, label="prank").status_code == 403
    assert client.delete(f"{flags_of(held)}/{flag_id}", headers=bob).status_code == 403
    assert client.get(act(held, "history"), headers=alice).get_json()["flags"][0]["id"] == flag_id


def test_no_such_conversation_or_flag_is_not_found(
    client: FlaskClient, alice: dict[str, str], waiting: int
) -> None:
    assert client.get(act(999, "history"), headers=alice).status_code == 404
    assert add(client, alice, 999, label="prank").status_code == 404
    assert client.delete(f"{flags_of(waiting)}/999", headers=alice).status_code == 404
    # Another texter's flag cannot be lifted through this conversation.
    other = queue_texter(client, number(2))
    theirs = add(client, alice, other, label="prank").get_json()["id"]
    response = client.delete(f"{flags_of(waiting)}/{theirs}", headers=alice)
    assert response.status_code == 404
    assert response.get_json()["error"] == f"no flag {theirs} on this texter"
    assert len(client.get(act(other, "history"), headers=alice).get_json()["flags"]) == 1


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"label": ""}, "write a label"),
        ({"label": "x" * 65}, "at most 64 characters"),
        ({"label": "his number is 0770 090 0123"}, "may not hold a phone number"),
        ({"label": "prank", "expires_on": "tomorrow"}, "YYYY-MM-DD"),
        ({"label": "prank", "expires_on": "20270101"}, "YYYY-MM-DD"),
        ({"label": "prank", "expires_on": "2027-02-30"}, "YYYY-MM-DD"),
        ({"label": "prank", "expires_on": "2001-01-01"}, "has passed"),
        ({"label": "prank", "expires_on": A_YEAR_AND_A_DAY}, "at most 365 days"),
    ],
)
def test_a_bad_label_or_expiry_is_refused_with_words(
    client: FlaskClient, alice: dict[str, str], waiting: int, body: dict, words: str
) -> None:
    if body.get("expires_on") == A_YEAR_AND_A_DAY:
        body = {**body, "expires_on": str(datetime.now(UTC).date() + timedelta(days=366))}
    response = add(client, alice, waiting, **body)
    assert response.status_code == 422
    assert words in response.get_json()["error"]
    assert client.get(act(waiting, "history"), headers=alice).get_json()["flags"] == []


@pytest.mark.parametrize(
    "body", [{}, {"label": 7}, {"label": "prank", "expires_on": None}, {"label": "a", "x": 1}]
)
def test_a_malformed_body_is_a_bad_request(
    client: FlaskClient, alice: dict[str, str], waiting: int, body: dict
) -> None:
    assert add(client, alice, waiting, **body).status_code == 400


def test_a_flag_is_added_until_the_end_of_its_day_and_lifted(
    client: FlaskClient, alice: dict[str, str], waiting: int
) -> None:
    last_day = datetime.now(UTC).date() + timedelta(days=10)
    response = add(client, alice, waiting, label=" known to police ", expires_on=str(last_day))

    assert response.status_code == 201
    flag = response.get_json()
    assert flag["label"] == "known to police"
    assert flag["counsellor"] == "alice"
    assert date.fromisoformat(flag["expires_at"][:10]) == last_day + timedelta(days=1)
    assert client.get(act(waiting, "history"), headers=alice).get_json()["flags"] == [flag]
    assert client.delete(f"{flags_of(waiting)}/{flag['id']}", headers=alice).status_code == 204
    assert client.delete(f"{flags_of(waiting)}/{flag['id']}", headers=alice).status_code == 404


def test_an_anonymised_conversation_has_no_history_and_takes_no_flag(
    app: Flask, client: FlaskClient, alice: dict[str, str], sam: dict[str, str]
) -> None:
    first, second = came_back(app, client, alice)
    update_conversation(app, first, contact_id=None)

    assert client.get(act(second, "history"), headers=sam).get_json()["total"] == 0
    seen = client.get(act(first, "history"), headers=sam).get_json()
    assert seen == {"conversation_id": first, "total": 0, "conversations": [], "flags": []}
    assert add(client, sam, first, label="prank").status_code == 409


def test_an_earlier_conversation_is_read_in_full_and_audited(
    app: Flask, client: FlaskClient, alice: dict[str, str], bob: dict[str, str], sam
) -> None:
    first, second = came_back(app, client, alice)
    stranger = queue_texter(client, number(4))
    assert client.post(act(second, "claim"), headers=alice).status_code == 200

    response = client.get(f"{act(second, 'history')}/{first}", headers=alice)

    assert response.status_code == 200
    read = response.get_json()
    assert read["from_conversation"] == second
    assert read["view"]["id"] == first
    assert REPLY in [m["body"] for m in read["view"]["messages"]]
    assert [n["body"] for n in read["view"]["notes"]] == [NOTE]
    assert read["wrap_up"]["categories"][0] == "violence/online_sexual_exploitation"
    (entry,) = [
        e
        for e in client.get("/api/v1/audit", headers=sam).get_json()["items"]
        if e["action"] == "view"
    ]
    assert (entry["counsellor"], entry["conversation_id"], entry["detail"]) == (
        "alice",
        first,
        {"via": second},
    )
    assert client.get(f"{act(second, 'history')}/{first}", headers=bob).status_code == 403
    for other in (stranger, second, 999):
        assert client.get(f"{act(second, 'history')}/{other}", headers=alice).status_code == 404
