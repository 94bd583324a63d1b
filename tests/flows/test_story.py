"""The whole story: a texter asks for a person, a counsellor answers, the texter goes home.

Through the signed webhook, the counsellor API, the worker sending to a scripted Twilio,
and Twilio's status callbacks, as it happens in production.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from responder import services, worker
from responder.channels import twilio
from tests.counsellors import add_counsellor, make_present
from tests.fake_twilio import FakeTwilio, refuse
from tests.outbox_rows import Clock
from tests.twilio_requests import HELPLINE, PUBLIC_URL, TEXTER, post_signed, replies, sms


def status_callback(client: FlaskClient, sid: str, status: str) -> int:
    form = {
        "AccountSid": "ACe268443e43d93dab7ebef303bbe9642f",
        "From": HELPLINE,
        "To": TEXTER,
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "ApiVersion": "2010-04-01",
    }
    return post_signed(client, form, path="/twilio/status").status_code


def transcript(client: FlaskClient, conversation_id: int, headers: dict[str, str]) -> list[dict]:
    response = client.get(f"/api/v1/conversations/{conversation_id}", headers=headers)
    assert response.status_code == 200
    return response.get_json()["messages"]


def test_texter_to_counsellor_and_back(app: Flask, client: FlaskClient) -> None:
    alex = add_counsellor(app, "alex")
    bea = add_counsellor(app, "bea")
    assert (
        client.put("/api/v1/me/availability", json={"available": True}, headers=alex).status_code
        == 200
    )
    make_present(app, "alex")  # a console page of alex's is open
    clock = Clock()
    fake = FakeTwilio(clock)
    transport = twilio.rest(app.config, fake)
    content = services.of(app).content.language("en").messages

    # The texter asks for a person, is asked their age, answers, and is told their place.
    post_signed(client, sms("hi"))
    (question,) = replies(post_signed(client, sms("TALK")))
    assert question == content["age_question"]
    (queued,) = replies(post_signed(client, sms("2")))
    assert "number 1 in the queue" in queued

    # They are in the queue, with a masked number only.
    (item,) = client.get("/api/v1/queue", headers=alex).get_json()["items"]
    assert item["masked_number"].endswith("123")
    assert "4155550123" not in item["masked_number"]

    # Alex claims it; Bea, a moment later, cannot.
    assert client.post(f"/api/v1/conversations/{item['id']}/claim", headers=alex).status_code == 200
    assert client.post(f"/api/v1/conversations/{item['id']}/claim", headers=bea).status_code == 409

    # Alex writes; Twilio is down for a while, then the message reaches the texter's real number.
    body = "Hi, I'm Alex. You did the right thing by writing. Are you safe right now?"
    sent = client.post(
        f"/api/v1/conversations/{item['id']}/messages", json={"body": body}, headers=alex
    )
    assert sent.status_code == 202
    fake.script += [refuse(500), refuse(429, 20429)]
    for _ in range(3):
        worker.run(app, transport, once=True, clock=clock)
        clock.advance(minutes=15)
    # Two refused attempts, then one accepted: never lost, never sent twice.
    assert [s["Body"] for s in fake.sends] == [body, body, body]
    create = fake.sends[-1]
    assert create["To"] == TEXTER
    assert create["From"] == HELPLINE
    assert create["StatusCallback"] == PUBLIC_URL + "/twilio/status"

    # The texter answers: the bot says nothing, the counsellor sees it.
    assert replies(post_signed(client, sms("yes. they said they will post it tonight"))) == []
    lines = transcript(client, item["id"], alex)
    assert lines[-1]["body"] == "yes. they said they will post it tonight"

    # Twilio reports delivery; the transcript shows it, and a late "sent" changes nothing.
    sid = next(m["sid"] for m in fake.messages if m["body"] == body)
    assert status_callback(client, sid, "delivered") in (200, 204)
    assert status_callback(client, sid, "sent") in (200, 204)
    mine = next(line for line in transcript(client, item["id"], alex) if line["body"] == body)
    assert mine["status"] == "delivered"

    # Alex releases the conversation: the texter is told and is back with the bot.
    assert (
        client.post(f"/api/v1/conversations/{item['id']}/release", headers=alex).status_code == 200
    )
    worker.run(app, transport, once=True, clock=clock)
    assert fake.sends[-1]["Body"] == content["released"]
    (menu,) = replies(post_signed(client, sms("MENU")))
    assert menu.startswith("Main menu")
