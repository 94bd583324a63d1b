"""On-call alerts: crisis words first seen in a conversation text RESPONDER_ONCALL_NUMBER."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from responder import create_app, services, worker
from responder.bot.sms import Encoding, encode
from responder.channels import twilio
from responder.channels.phone import DEFAULT_NUMBER
from responder.channels.simulator import Simulator
from responder.config import ConfigError
from responder.delivery import alerts
from responder.store.db import get_session
from responder.store.migrate import upgrade
from responder.store.models import Alert
from tests.counsellors import number
from tests.fake_twilio import FakeTwilio, refuse
from tests.outbox_rows import Clock
from tests.twilio_requests import HELPLINE, TEXTER, post_signed, settings, sms, whatsapp

ONCALL = "+447700900999"
FROM_NUMBER = "+14155550199"
SERVICE = "MG" + "0123456789abcdef" * 2
CRISIS = "i want to kill myself"
# The worker's clock here runs years ahead of the webhook's, so every crisis would look
# long unclaimed and long unanswered: the follow-up (tests/conversations/
# test_crisis_followup.py) and the late-answer alert (tests/counselling/test_overdue.py)
# are kept out of these tests.
NO_FOLLOWUP = {
    "RESPONDER_CRISIS_FOLLOWUP_SECONDS": 10**9,
    "RESPONDER_OVERDUE_CRISIS_MINUTES": 10**8,
    "RESPONDER_OVERDUE_MINUTES": 10**8,
}


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(RESPONDER_ONCALL_NUMBER=ONCALL, TWILIO_FROM_NUMBER=FROM_NUMBER, **NO_FOLLOWUP)


def run(app: Flask, fake: FakeTwilio, clock: Clock) -> None:
    """One round of the real worker, through the real twilio client."""
    worker.run(app, twilio.rest(app.config, fake), once=True, clock=clock)


def stored(app: Flask) -> list[Alert]:
    with app.app_context():
        return list(get_session().scalars(select(Alert).order_by(Alert.id)))


def test_crisis_words_send_one_sms_to_the_oncall_number_that_quotes_nothing(
    app: Flask, fake: FakeTwilio, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    client = app.test_client()
    post_signed(client, sms("hi"))
    post_signed(client, sms(CRISIS))
    run(app, fake, clock)

    (alert,) = stored(app)
    (sent,) = fake.sends
    assert sent == {
        "To": ONCALL,
        "From": FROM_NUMBER,
        "Body": (
            f"Helpline Responder: crisis words in conversation {alert.conversation_id}. "
            "Please open the console now."
        ),
    }
    assert "kill" not in sent["Body"] and TEXTER.lstrip("+")[-7:] not in sent["Body"]
    assert (alert.status, alert.twilio_sid) == ("queued", fake.messages[0]["sid"])
    assert alert.attempts == 1
    assert ONCALL.lstrip("+") not in caplog.text and TEXTER.lstrip("+") not in caplog.text


def test_a_second_crisis_message_sends_no_second_alert(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    client = app.test_client()
    post_signed(client, sms(CRISIS))
    run(app, fake, clock)
    post_signed(client, sms("i took 20 pills"))
    post_signed(client, sms(CRISIS))
    run(app, fake, clock)
    (alert,) = stored(app)
    assert [send["To"] for send in fake.sends] == [ONCALL]
    # The conversation began with this very message, and the alert still names it.
    assert f"conversation {alert.conversation_id}." in fake.sends[0]["Body"]


def test_without_an_oncall_number_there_are_no_alerts(
    make_app: Callable[..., Flask], fake: FakeTwilio, clock: Clock
) -> None:
    app = make_app(**NO_FOLLOWUP)
    post_signed(app.test_client(), sms(CRISIS))
    run(app, fake, clock)
    assert stored(app) == []
    assert fake.requests == []


@pytest.mark.parametrize(
    ("overrides", "form", "sender"),
    [
        ({"TWILIO_MESSAGING_SERVICE_SID": SERVICE}, sms, {"MessagingServiceSid": SERVICE}),
        (
            {"TWILIO_MESSAGING_SERVICE_SID": SERVICE, "TWILIO_FROM_NUMBER": FROM_NUMBER},
            whatsapp,
            {"MessagingServiceSid": SERVICE},
        ),
        ({}, sms, {"From": HELPLINE}),
    ],
    ids=["messaging-service", "messaging-service-over-number", "number-written-to"],
)
def test_alerts_go_by_sms_from_the_helplines_sender(
    make_app: Callable[..., Flask],
    fake: FakeTwilio,
    clock: Clock,
    overrides: dict[str, str],
    form: Callable[..., dict[str, str]],
    sender: dict[str, str],
) -> None:
    app = make_app(RESPONDER_ONCALL_NUMBER=ONCALL, **overrides, **NO_FOLLOWUP)
    post_signed(app.test_client(), form(CRISIS))
    run(app, fake, clock)
    (sent,) = fake.sends
    assert sent["To"] == ONCALL
    assert {k: v for k, v in sent.items() if k in ("From", "MessagingServiceSid")} == sender


def test_without_an_sms_number_to_send_from_the_alert_fails_and_says_why(
    make_app: Callable[..., Flask],
    fake: FakeTwilio,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app(RESPONDER_ONCALL_NUMBER=ONCALL, **NO_FOLLOWUP)
    post_signed(app.test_client(), whatsapp(CRISIS))
    run(app, fake, clock)
    assert fake.requests == []
    (alert,) = stored(app)
    assert alert.status == "failed"
    assert "set TWILIO_FROM_NUMBER" in caplog.text


def test_an_alert_is_retried_when_twilio_is_in_trouble(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    post_signed(app.test_client(), sms(CRISIS))
    fake.script = [refuse(500), refuse(429, 20429)]
    run(app, fake, clock)
    (alert,) = stored(app)
    assert (alert.status, alert.attempts, alert.error_code) == ("pending", 1, 500)
    run(app, fake, clock)  # not due yet
    clock.advance(seconds=15)
    run(app, fake, clock)
    clock.advance(seconds=30)
    run(app, fake, clock)

    assert len(fake.sends) == 3
    (alert,) = stored(app)
    assert (alert.status, alert.attempts, alert.error_code) == ("queued", 3, None)


def test_an_alert_twilio_refuses_for_good_is_not_retried(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    post_signed(app.test_client(), sms(CRISIS))
    fake.script = [refuse(400, 21211, "The 'To' number is not a valid phone number.")]
    run(app, fake, clock)
    clock.advance(hours=2)
    run(app, fake, clock)
    assert len(fake.sends) == 1
    (alert,) = stored(app)
    assert (alert.status, alert.error_code) == ("failed", 21211)


def test_an_alert_for_an_erased_conversation_names_none(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    client = app.test_client()
    post_signed(client, sms(CRISIS))
    post_signed(client, sms("DELETE"))
    post_signed(client, sms("DELETE"))
    run(app, fake, clock)
    (sent,) = [send for send in fake.sends if send.get("To") == ONCALL]
    assert sent["Body"] == (
        "Helpline Responder: crisis words in a conversation. Please open the console now."
    )


def test_in_development_the_alert_stays_out_of_the_phone_simulator(tmp_path: Path) -> None:
    app = create_app(
        {
            "RESPONDER_ENV": "development",
            "INSTANCE_PATH": str(tmp_path),
            "RESPONDER_ONCALL_NUMBER": ONCALL,
        }
    )
    upgrade(services.of(app).sessions.kw["bind"])
    client = app.test_client()
    cursor = client.get("/simulator/messages").get_json()["cursor"]
    response = client.post("/simulator/send", json={"from": DEFAULT_NUMBER, "body": CRISIS})
    (reply,) = response.get_json()["replies"]
    assert "999" in reply
    # Closing the response runs the development hook: the alert goes to the simulator transport.
    response.close()
    (alert,) = stored(app)
    assert (alert.status, alert.twilio_sid) == ("simulated", None)
    query = {"from": DEFAULT_NUMBER, "after": cursor}
    shown = client.get("/simulator/messages", query_string=query).get_json()
    assert shown["messages"] == []
    assert isinstance(worker.transport_for(app.config), Simulator)


@pytest.mark.parametrize("number", ["07700 900999", "+44 7700 900999", "whatsapp:+447700900999"])
def test_an_oncall_number_not_in_e164_stops_the_app(tmp_path: Path, number: str) -> None:
    with pytest.raises(ConfigError, match="RESPONDER_ONCALL_NUMBER"):
        create_app(settings(f"sqlite:///{tmp_path / 'db.sqlite3'}", RESPONDER_ONCALL_NUMBER=number))


def test_the_alert_text_is_one_gsm_segment() -> None:
    longest = alerts.text(Alert(kind="crisis", conversation_id=10**12))
    assert encode(longest) == Encoding("GSM-7", len(longest), 1, ())


def test_a_flood_of_crises_is_one_text_in_five_minutes_saying_how_many(
    make_app: Callable[..., Flask], fake: FakeTwilio
) -> None:
    app = make_app(RESPONDER_ONCALL_NUMBER=ONCALL, TWILIO_FROM_NUMBER=FROM_NUMBER, **NO_FOLLOWUP)
    client = app.test_client()
    # Sixty numbers at once, each a brand-new texter whose first message is a crisis.
    for index in range(60):
        post_signed(client, sms(CRISIS, sender=number(index)))
    clock = Clock(datetime.now(UTC))
    run(app, fake, clock)
    (first,) = [send["Body"] for send in fake.sends if send["To"] == ONCALL]
    # Sixty joining the queue at once is a surge too: said in the same text.
    assert first.startswith(
        "Helpline Responder: 61 alerts (60 crisis marks, 1 surge) in conversations 1, "
    )
    assert encode(first).segments == 1 and "kill" not in first
    assert {alert.status for alert in stored(app)} == {"queued"}  # all of them went in it

    # More come within the five minutes: held, then one text for all of them.
    for index in range(60, 70):
        post_signed(client, sms(CRISIS, sender=number(index)))
    clock.advance(minutes=4, seconds=59)
    run(app, fake, clock)
    assert len([send for send in fake.sends if send["To"] == ONCALL]) == 1
    clock.advance(seconds=1)
    run(app, fake, clock)
    second = [send["Body"] for send in fake.sends if send["To"] == ONCALL][1:]
    assert len(second) == 1 and second[0].startswith("Helpline Responder: 10 alerts")


def test_a_summary_of_many_alerts_stays_one_segment() -> None:
    batch = [Alert(kind=kind, conversation_id=10**9 + n) for n, kind in enumerate(["crisis"] * 500)]
    batch += [Alert(kind="unclaimed", conversation_id=1), Alert(kind="overdue", conversation_id=2)]
    body = alerts.summary(batch)
    assert body.startswith("Helpline Responder: 502 alerts (500 crisis marks, 1 crisis not taken,")
    assert encode(body) == Encoding("GSM-7", len(body), 1, ())
