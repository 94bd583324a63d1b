"""At DEBUG, a whole conversation leaves neither the texter's number nor any text in the logs."""

from __future__ import annotations

import logging
from collections.abc import Callable

import phonenumbers
import pytest
from flask import Flask
from flask.testing import FlaskClient

from responder import services, worker
from responder.channels import twilio
from tests.counsellors import add_counsellor
from tests.fake_twilio import FakeTwilio
from tests.twilio_requests import HELPLINE, post_signed, replies, sms

SENDER = "+14155550177"
# Words no log line has any reason to hold, one set per message.
FIRST = "hello, my name is Quillon Marsh"
PAGE_WORDS = "what do I do about the zephyrine photos"
REPLY = "I'm here with you. Tell me about the marmalade account"
ANSWER = "they gave me until tangerinefog tonight"
NOTE = "texter mentioned a cousin named Orlavesh"
CRISIS = "i want to kill myself because of velvetcomet"


def secrets() -> list[str]:
    """The number in every way it is written, and each message's distinctive words."""
    parsed = phonenumbers.parse(SENDER)
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    numbers = [SENDER, SENDER.lstrip("+"), str(parsed.national_number), national]
    words = ["Quillon", "zephyrine", "marmalade", "tangerinefog", "Orlavesh", "velvetcomet"]
    return numbers + words


def logged(records: list[logging.LogRecord]) -> str:
    """Every record as a handler could write it: message, raw args, traceback and stack."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(
        f"{formatter.format(record)} {record.msg!r} {record.args!r}" for record in records
    )


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(LOG_LEVEL="DEBUG")


def test_a_whole_conversation_logs_no_number_and_no_text(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    # Every logger at DEBUG, as an operator chasing a fault might set them. SQLAlchemy
    # keeps its own at WARNING unless told otherwise; at INFO it writes every statement
    # with its parameters, and those hold message text.
    for name in (None, "sqlalchemy", "werkzeug", "twilio"):
        caplog.set_level(logging.DEBUG, logger=name)
    fake = FakeTwilio()
    transport = twilio.rest(app.config, fake)
    alex = add_counsellor(app, "alex")
    messages = services.of(app).content.language("en").messages

    def text(body: str) -> list[str]:
        response = post_signed(client, sms(body, sender=SENDER))
        assert response.status_code == 200
        return replies(response)

    assert text(FIRST)
    assert text("1")
    assert text(PAGE_WORDS)
    assert text("TALK")
    assert text("2")  # 18 or over, if asked; otherwise a menu choice, and TALK again queues
    text("TALK")
    (item,) = client.get("/api/v1/queue", headers=alex).get_json()["items"]
    url = f"/api/v1/conversations/{item['id']}"
    assert client.post(f"{url}/claim", headers=alex).status_code == 200
    assert client.post(f"{url}/messages", json={"body": REPLY}, headers=alex).status_code == 202
    assert client.post(f"{url}/notes", json={"body": NOTE}, headers=alex).status_code == 201
    worker.run(app, transport, once=True)
    (sent,) = fake.messages
    assert (sent["to"], sent["body"]) == (SENDER, REPLY)
    status = {"MessageSid": sent["sid"], "MessageStatus": "delivered", "To": SENDER}
    form = {**status, "From": HELPLINE, "AccountSid": sent["account_sid"]}
    assert post_signed(client, form, path="/twilio/status").status_code in (200, 204)
    assert text(ANSWER) == []
    text(CRISIS)  # with a counsellor the bot stays silent; the conversation is marked
    assert client.get(url, headers=alex).get_json()["crisis_at"] is not None
    text("STOP")
    text("START")
    assert text("DELETE") == [messages["delete_confirm"]]
    assert text("DELETE") == [messages["erased"]]
    worker.run(app, transport, once=True)

    output = logged(caplog.records)
    # The story was logged, by ids: the test would pass on an empty log otherwise.
    assert "conversation claimed" in output
    assert "crisis words" in output
    assert "INSERT INTO messages" in output  # SQL logging was on
    for secret in secrets():
        assert secret not in output, secret
