"""The outbox worker, sending through the real twilio client to a scripted Twilio."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from requests.exceptions import ReadTimeout
from sqlalchemy import func, select

from responder import create_app, policies, services, worker
from responder.channels import twilio
from responder.channels.simulator import Simulator
from responder.config import ConfigError
from responder.delivery import outbox, sending, status
from responder.store.db import get_session
from responder.store.migrate import upgrade
from responder.store.models import Conversation, Event, Heartbeat, Message
from tests.fake_twilio import (
    ACCOUNT,
    Crash,
    FakeTwilio,
    accept,
    accept_then,
    connection_error,
    fail,
    garbage,
    refuse,
    timeout,
)
from tests.outbox_rows import (
    NOW,
    TEMPLATE,
    WHATSAPP_HELPLINE,
    Clock,
    add_texter,
    contact_of,
    deliver,
    outbound,
    stored,
    write,
)
from tests.twilio_requests import (
    HELPLINE,
    PUBLIC_URL,
    TEXTER,
    post_signed,
    settings,
    sms,
    whatsapp,
)

OTHER_TEXTER = "+447700900456"
OTHER_HELPLINE = "+447700900100"


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(TWILIO_WHATSAPP_TEMPLATE_SID=TEMPLATE)


def test_a_message_goes_to_the_texters_number_from_the_number_they_wrote_to(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    (message_id,) = write(app, add_texter(app), "I'm here. You did the right thing.")
    worker.run(app, twilio.rest(app.config, fake), once=True, clock=clock)

    (sent,) = fake.sends
    assert sent == {
        "To": TEXTER,
        "From": HELPLINE,
        "Body": "I'm here. You did the right thing.",
        "StatusCallback": PUBLIC_URL + "/twilio/status",
    }
    assert fake.requests[0]["uri"] == (
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    )
    message = stored(app, message_id)
    assert (message.status, message.twilio_sid) == ("queued", fake.messages[0]["sid"])
    assert (message.attempts, message.error_code, message.error_message) == (1, None, None)
    assert message.status_at == NOW
    with app.app_context():
        kinds = get_session().scalars(select(Event.kind).order_by(Event.id)).all()
    assert kinds[-1] == "delivery"


def test_whatsapp_goes_with_whatsapp_addresses(app: Flask, fake: FakeTwilio, clock) -> None:
    write(app, add_texter(app, helpline=WHATSAPP_HELPLINE), "hello")
    deliver(app, fake, clock)
    (sent,) = fake.sends
    assert (sent["To"], sent["From"]) == ("whatsapp:" + TEXTER, WHATSAPP_HELPLINE)


@pytest.mark.parametrize(
    ("helpline", "sender_fields"),
    [
        (HELPLINE, {"MessagingServiceSid": "MG" + "a" * 32}),
        (WHATSAPP_HELPLINE, {"From": WHATSAPP_HELPLINE}),
    ],
)
def test_a_messaging_service_sends_sms_only(
    make_app, fake: FakeTwilio, clock: Clock, helpline: str, sender_fields: dict[str, str]
) -> None:
    app = make_app(TWILIO_MESSAGING_SERVICE_SID="MG" + "a" * 32)
    write(app, add_texter(app, helpline=helpline), "hello")
    deliver(app, fake, clock)
    (sent,) = fake.sends
    assert {k: v for k, v in sent.items() if k in ("From", "MessagingServiceSid")} == sender_fields


def test_api_base_url_is_honoured_whatever_the_region_settings(
    make_app, fake: FakeTwilio, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    monkeypatch.setenv("TWILIO_EDGE", "dublin")
    app = make_app(TWILIO_API_BASE_URL="http://127.0.0.1:4010/")
    write(app, add_texter(app), "hello")
    deliver(app, fake, clock)
    assert fake.requests[0]["uri"] == (
        f"http://127.0.0.1:4010/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    )


def test_messages_of_a_conversation_go_in_order_and_others_do_not_wait(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    first = add_texter(app)
    second = add_texter(app, OTHER_TEXTER, OTHER_HELPLINE)
    write(app, first, "one", "two", "three")
    write(app, second, "other")
    fake.script = [refuse(429, 20429)]
    deliver(app, fake, clock)
    # "one" waits to be retried, so "two" and "three" wait behind it; "other" does not.
    assert [s["Body"] for s in fake.sends] == ["one", "other"]
    assert fake.sends[1]["From"] == OTHER_HELPLINE
    assert fake.sends[1]["To"] == OTHER_TEXTER

    clock.advance(minutes=1)
    deliver(app, fake, clock)
    assert [s["Body"] for s in fake.sends] == ["one", "other", "one", "two", "three"]
    assert {m.status for m in outbound(app)} == {"queued"}


@pytest.mark.parametrize(
    ("step", "looked_up"),
    [
        (refuse(500, 20500, "Internal Server Error"), True),
        (refuse(503), True),
        (garbage(502), True),
        (refuse(429, 20429, "Too Many Requests"), False),
        (refuse(400, 63018, "Rate limit exceeded"), False),
        (refuse(400, 21611, "This 'From' number has exceeded the maximum queue size"), False),
        (refuse(400, 30001, "Queue overflow"), False),
        (refuse(401, 20003, "Authenticate"), False),
        (timeout(), True),
        (connection_error(), True),
    ],
)
def test_passing_trouble_is_retried_after_a_backoff(
    app: Flask, fake: FakeTwilio, clock: Clock, step, looked_up: bool
) -> None:
    (message_id,) = write(app, add_texter(app), "hello")
    fake.script = [step]
    deliver(app, fake, clock)
    message = stored(app, message_id)
    # Without a clear answer Twilio may have the message: it stays "sending" to be
    # looked up first. A clear refusal puts it back to "pending".
    assert message.status == ("sending" if looked_up else "pending")
    assert message.next_attempt_at == NOW + sending.RETRY.first
    assert message.error_message.startswith("will try again: ")
    assert TEXTER not in message.error_message

    clock.advance(seconds=sending.RETRY.first.total_seconds() - 1)
    assert deliver(app, fake, clock) == 0
    clock.advance(seconds=1)
    deliver(app, fake, clock)
    message = stored(app, message_id)
    assert (message.status, message.error_code, message.error_message) == ("queued", None, None)
    assert message.twilio_sid == fake.messages[0]["sid"]
    assert len(fake.sends) == 2
    assert len(fake.lookups) == (1 if looked_up else 0)


def test_backoff_doubles_up_to_a_cap_then_gives_up_saying_why(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    (message_id,) = write(app, add_texter(app), "hello")
    fake.script = [refuse(429, 20429)] * sending.RETRY.attempts
    delays = []
    for _ in range(sending.RETRY.attempts - 1):
        deliver(app, fake, clock)
        message = stored(app, message_id)
        assert message.status == "pending"
        delays.append(message.next_attempt_at - clock.now)
        clock.now = message.next_attempt_at
    assert delays == [
        min(sending.RETRY.first * 2**n, sending.RETRY.longest)
        for n in range(sending.RETRY.attempts - 1)
    ]
    assert delays[-1] == sending.RETRY.longest
    deliver(app, fake, clock)
    message = stored(app, message_id)
    assert message.status == "failed"
    assert message.error_code == 20429
    assert message.error_message == (
        f"gave up after {sending.RETRY.attempts} attempts: Twilio asked the helpline to slow down"
    )
    assert len(fake.sends) == sending.RETRY.attempts
    clock.advance(days=1)
    assert deliver(app, fake, clock) == 0


def test_opted_out_at_twilio_marks_the_texter_and_stops_what_follows(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    first, second = write(app, add_texter(app), "one", "two")
    fake.script = [refuse(400, 21610, "Attempt to send to unsubscribed recipient")]
    deliver(app, fake, clock)
    message = stored(app, first)
    assert (message.status, message.error_code) == ("failed", 21610)
    assert "opted out" in message.error_message
    contact = contact_of(app)
    assert (contact.opted_out, contact.opted_out_at) == (True, NOW)
    # The next one is not even offered to Twilio.
    assert len(fake.sends) == 1
    assert stored(app, second).status == "failed"
    assert "opted out" in stored(app, second).error_message


@pytest.mark.parametrize(
    ("http_status", "code", "reason"),
    [
        (400, 21211, "not a valid phone number"),
        (400, 21614, "cannot receive text messages"),
        (400, 21617, "longer than 1600 characters"),
        (400, 21619, "empty"),
        (400, 63015, "not joined the WhatsApp sandbox"),
        (400, 21606, "Twilio answered HTTP 400"),
        (404, None, "Twilio answered HTTP 404"),
        (422, None, "Twilio answered HTTP 422"),
    ],
)
def test_permanent_refusals_fail_at_once_with_the_code_and_a_reason(
    app: Flask, fake: FakeTwilio, clock: Clock, http_status: int, code, reason: str
) -> None:
    (message_id,) = write(app, add_texter(app), "hello")
    fake.script = [refuse(http_status, code, f"The 'To' number {TEXTER} is not valid")]
    deliver(app, fake, clock)
    message = stored(app, message_id)
    assert (message.status, message.error_code) == ("failed", code)
    assert reason in message.error_message
    assert TEXTER not in message.error_message  # Twilio's own text can quote the number
    assert not contact_of(app).opted_out
    clock.advance(days=1)
    assert deliver(app, fake, clock) == 0
    assert len(fake.sends) == 1


def test_whatsapp_after_24_hours_is_held_and_one_template_goes_instead(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    conversation = add_texter(
        app, helpline=WHATSAPP_HELPLINE, last_message_at=NOW - timedelta(hours=25)
    )
    first, second = write(app, conversation, "one", "two")
    deliver(app, fake, clock)
    later = write(app, conversation, "three", now=NOW + timedelta(minutes=5))
    clock.advance(minutes=5)
    deliver(app, fake, clock)

    (sent,) = fake.sends
    assert sent == {
        "To": "whatsapp:" + TEXTER,
        "From": WHATSAPP_HELPLINE,
        "ContentSid": TEMPLATE,
        "StatusCallback": PUBLIC_URL + "/twilio/status",
    }
    for message_id in (first, second, *later):
        message = stored(app, message_id)
        assert message.status == "held"
        assert "24-hour window" in message.error_message
    assert [(m.body, m.status) for m in outbound(app)] == [
        ("one", "held"),
        ("two", "held"),
        (None, "queued"),
        ("three", "held"),
    ]


def test_whatsapp_inside_24_hours_goes_as_text(app: Flask, fake: FakeTwilio, clock) -> None:
    conversation = add_texter(
        app, helpline=WHATSAPP_HELPLINE, last_message_at=NOW - timedelta(hours=23)
    )
    write(app, conversation, "hello")
    deliver(app, fake, clock)
    assert fake.sends[0]["Body"] == "hello"


def test_63016_on_send_holds_the_text_and_sends_the_template(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    (message_id,) = write(app, add_texter(app, helpline=WHATSAPP_HELPLINE), "hello")
    fake.script = [refuse(400, 63016, "Failed to send freeform message outside the window")]
    deliver(app, fake, clock)
    message = stored(app, message_id)
    assert (message.status, message.error_code) == ("held", 63016)
    assert [("Body" in s, s.get("ContentSid")) for s in fake.sends] == [
        (True, None),
        (False, TEMPLATE),
    ]


def test_without_a_template_a_closed_window_fails_and_says_what_to_set(
    make_app, fake: FakeTwilio, clock: Clock
) -> None:
    app = make_app()
    conversation = add_texter(
        app, helpline=WHATSAPP_HELPLINE, last_message_at=NOW - timedelta(days=2)
    )
    (message_id,) = write(app, conversation, "hello")
    deliver(app, fake, clock)
    message = stored(app, message_id)
    assert message.status == "failed"
    assert "TWILIO_WHATSAPP_TEMPLATE_SID" in message.error_message
    assert fake.sends == []


def held_for_the_window(app: Flask, fake: FakeTwilio, clock: Clock, *texts: str) -> int:
    """A WhatsApp texter silent for 30 hours, written texts that are held and the
    template sent instead; their conversation's id. Real time, as the webhook keeps it."""
    clock.now = datetime.now(UTC)
    conversation = add_texter(
        app, helpline=WHATSAPP_HELPLINE, last_message_at=clock.now - timedelta(hours=30)
    )
    write(app, conversation, *texts, now=clock.now)
    deliver(app, fake, clock)
    assert [s.get("ContentSid") for s in fake.sends] == [TEMPLATE]
    return conversation


def test_held_texts_go_in_order_once_the_texter_writes_again(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    held_for_the_window(app, fake, clock, "one", "two")

    # The texter answers the template: the webhook reopens the window.
    response = post_signed(app.test_client(), whatsapp("hi"))
    assert response.status_code == 200
    assert [m.status for m in outbound(app)] == ["pending", "pending", "queued"]
    clock.now = datetime.now(UTC)
    deliver(app, fake, clock)
    assert [s.get("Body") for s in fake.sends[1:]] == ["one", "two"]
    assert all(s["From"] == WHATSAPP_HELPLINE for s in fake.sends)


def test_an_sms_from_the_texter_leaves_held_whatsapp_texts_waiting(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    # Only a WhatsApp message opens WhatsApp's window: sent after an SMS, the held texts
    # would be refused again.
    conversation = held_for_the_window(app, fake, clock, "one")

    assert post_signed(app.test_client(), sms("hi")).status_code == 200
    statuses = [(m.body, m.status) for m in outbound(app) if m.conversation_id == conversation]
    assert statuses == [("one", "held"), (None, "queued")]

    assert post_signed(app.test_client(), whatsapp("hi")).status_code == 200
    statuses = [(m.body, m.status) for m in outbound(app) if m.conversation_id == conversation]
    assert statuses == [("one", "pending"), (None, "queued")]


def test_a_template_not_yet_sent_is_cancelled_when_the_texter_writes(
    app: Flask, clock: Clock
) -> None:
    conversation = add_texter(
        app, helpline=WHATSAPP_HELPLINE, last_message_at=NOW - timedelta(hours=30)
    )
    (held,) = write(app, conversation, "one")
    policy = policies.delivery(app.config, services.of(app))
    with app.app_context():
        session = get_session()
        message = session.get(Message, held)
        status.hold(session, message, NOW, policy.template_sid)
        session.commit()
    with app.app_context():
        session = get_session()
        outbox.release_held(session, session.get(Conversation, conversation).contact_id, NOW)
        session.commit()
    statuses = [(m.body, m.status) for m in outbound(app)]
    assert statuses == [("one", "pending"), (None, "canceled")]


def test_an_interrupted_send_is_looked_up_not_sent_twice(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    (message_id,) = write(app, add_texter(app), "hello")
    fake.script = [accept_then(Crash())]
    with pytest.raises(Crash):
        worker.run(app, twilio.rest(app.config, fake), once=True, clock=clock)
    assert stored(app, message_id).status == "sending"

    # Another worker comes up at once: the lease has not run out, so it waits.
    assert deliver(app, fake, clock) == 0
    clock.advance(minutes=2)
    deliver(app, fake, clock)

    assert len(fake.sends) == 1
    (lookup,) = fake.lookups
    assert (lookup["To"], lookup["From"]) == (TEXTER, HELPLINE)
    assert lookup["DateSent>"] == (NOW - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    message = stored(app, message_id)
    assert (message.status, message.twilio_sid) == ("queued", fake.messages[0]["sid"])


def test_an_interrupted_send_is_looked_up_before_anything_else_is_decided(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    (message_id,) = write(app, add_texter(app), "hello")
    fake.script = [accept_then(Crash())]
    with pytest.raises(Crash):
        deliver(app, fake, clock)
    # The texter sent STOP meanwhile: what Twilio already took is still recorded as sent.
    with app.app_context():
        session = get_session()
        session.get(Message, message_id).conversation.contact.opted_out = True
        session.commit()
    clock.advance(minutes=2)
    deliver(app, fake, clock)
    assert stored(app, message_id).status == "queued"
    assert len(fake.sends) == 1


def test_a_send_interrupted_before_twilio_had_it_is_sent_again(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    (message_id,) = write(app, add_texter(app), "hello")
    fake.script = [fail(Crash())]
    with pytest.raises(Crash):
        deliver(app, fake, clock)
    clock.advance(minutes=2)
    deliver(app, fake, clock)
    assert len(fake.lookups) == 1
    assert len(fake.sends) == 2
    assert len(fake.messages) == 1
    assert stored(app, message_id).twilio_sid == fake.messages[0]["sid"]


def test_an_answer_lost_after_twilio_took_it_is_not_sent_again(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    first, second = write(app, add_texter(app), "ok", "ok")
    fake.script = [accept(), accept_then(ReadTimeout("read timed out"))]
    deliver(app, fake, clock)
    clock.advance(seconds=sending.RETRY.first.total_seconds())
    deliver(app, fake, clock)
    # Both "ok"s are at Twilio; the one already known is not taken for the other.
    assert len(fake.sends) == 2
    sids = {stored(app, first).twilio_sid, stored(app, second).twilio_sid}
    assert sids == {message["sid"] for message in fake.messages}


def test_a_lookup_that_keeps_failing_ends_in_failed(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    (message_id,) = write(app, add_texter(app), "hello")
    fake.script = [timeout()]
    deliver(app, fake, clock)

    fake.list_error = ReadTimeout("read timed out")
    for _ in range(sending.RETRY.attempts):
        clock.advance(minutes=15)
        deliver(app, fake, clock)
    message = stored(app, message_id)
    assert message.status == "failed"
    assert message.error_message.startswith(f"gave up after {sending.RETRY.attempts} attempts")
    assert message.error_message.endswith("it may have been sent")
    assert len(fake.sends) == 1


def test_twilio_sending_status_is_not_mistaken_for_an_interrupted_send(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    (message_id,) = write(app, add_texter(app), "hello")
    fake.script = [accept("sending")]
    deliver(app, fake, clock)
    assert stored(app, message_id).status == "sending"
    clock.advance(hours=1)
    assert deliver(app, fake, clock) == 0
    assert len(fake.requests) == 1


def test_heartbeat_and_the_oldest_unsent_message_show_in_healthz(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    empty = app.test_client().get("/healthz").get_json()
    assert empty["worker_heartbeat"] is None
    assert empty["oldest_unsent_age_seconds"] is None

    clock.now = datetime.now(UTC) - timedelta(seconds=30)
    conversation = add_texter(app)
    write(app, conversation, "hello", now=clock.now - timedelta(minutes=10))
    fake.script = [refuse(503)]
    worker.run(app, twilio.rest(app.config, fake), once=True, clock=clock)
    health = app.test_client().get("/healthz")
    assert health.status_code == 200
    figures = health.get_json()
    assert figures["status"] == "ok"
    assert figures["worker_heartbeat"] == clock.now.isoformat()
    assert 30 <= figures["worker_heartbeat_age_seconds"] < 90
    assert 630 <= figures["oldest_unsent_age_seconds"] < 690


def test_several_workers_share_the_heartbeat(app: Flask) -> None:
    with app.app_context():
        session = get_session()
        worker.beat(session, NOW)
        worker.beat(session, NOW + timedelta(seconds=1))
        session.commit()
        assert session.scalars(select(Heartbeat)).one().beat_at == NOW + timedelta(seconds=1)


def test_development_without_credentials_delivers_to_the_simulator(tmp_path: Path) -> None:
    app = create_app({"RESPONDER_ENV": "development", "INSTANCE_PATH": str(tmp_path)})
    upgrade(services.of(app).sessions.kw["bind"])
    client = app.test_client()
    client.post("/simulator/send", json={"from": TEXTER, "body": "hi"})
    cursor = client.get("/simulator/messages", query_string={"from": TEXTER}).get_json()["cursor"]
    with app.app_context():
        conversation = get_session().scalars(select(Conversation)).one()
    assert isinstance(worker.transport_for(app.config), Simulator)
    (message_id,) = write(app, conversation.id, "A counsellor is here.", now=datetime.now(UTC))

    # The web process delivers once a response has gone: no worker runs in development.
    response = client.get("/simulator/messages", query_string={"from": TEXTER, "after": cursor})
    assert response.get_json()["messages"] == []
    response.close()
    assert stored(app, message_id).status == "simulated"
    shown = client.get("/simulator/messages", query_string={"from": TEXTER, "after": cursor})
    assert shown.get_json()["messages"] == [
        {
            "id": message_id,
            "body": "A counsellor is here.",
            "template": False,
            "counsellor": False,
            "whatsapp": False,
        }
    ]
    others = client.get("/simulator/messages", query_string={"from": OTHER_TEXTER, "after": cursor})
    assert others.get_json()["messages"] == []
    services.of(app).sessions.kw["bind"].dispose()


def test_without_credentials_outside_development_nothing_is_diverted(app: Flask) -> None:
    app.config["TWILIO_ACCOUNT_SID"] = None
    with pytest.raises(ConfigError):
        worker.transport_for(app.config)


def test_sigterm_stops_the_loop_after_the_current_message(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    first, second = write(app, add_texter(app), "one", "two")

    def signalled(fake: FakeTwilio, data):
        os.kill(os.getpid(), signal.SIGTERM)
        return accept()(fake, data)

    fake.script = [signalled]
    previous = signal.getsignal(signal.SIGTERM)
    worker.run(app, twilio.rest(app.config, fake), clock=clock)
    assert signal.getsignal(signal.SIGTERM) is previous
    assert stored(app, first).status == "queued"
    assert stored(app, second).status == "pending"


def test_logs_hold_no_text_or_number(
    app: Flask, fake: FakeTwilio, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    write(app, add_texter(app), "my secret words", "more secret words")
    write(app, add_texter(app, OTHER_TEXTER, helpline=WHATSAPP_HELPLINE), "secret too")
    fake.script = [refuse(500), refuse(400, 21211, f"The 'To' number {TEXTER} is not valid")]
    worker.run(app, twilio.rest(app.config, fake), once=True, clock=clock)
    clock.advance(minutes=1)
    worker.run(app, twilio.rest(app.config, fake), once=True, clock=clock)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "message sent" in logged
    assert "secret" not in logged
    for number in (TEXTER, OTHER_TEXTER, HELPLINE):
        assert number.lstrip("+")[-7:] not in logged


def test_the_worker_command_exits_cleanly_on_sigterm(database_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        **{k: str(v) for k, v in settings(database_url).items()},
        "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
    }
    command = [str(Path(sys.executable).with_name("responder")), "worker"]
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) as process:
        assert process.stderr is not None
        for line in process.stderr:
            if "worker started" in line:
                break
        process.send_signal(signal.SIGTERM)
        rest = process.stderr.read()
        assert process.wait(timeout=30) == 0
    assert "worker stopped" in rest


def _worker_process(url: str, journal: str, start) -> None:
    """One worker process: the real loop, its own fake Twilio writing to a shared journal."""
    app = create_app(settings(url, LOG_LEVEL="WARNING"))
    fake = FakeTwilio(journal=Path(journal))
    start.wait()
    worker.run(app, twilio.rest(app.config, fake), once=True)


def test_two_worker_processes_send_each_of_200_messages_exactly_once(
    postgres_app: Flask, tmp_path: Path
) -> None:
    app = postgres_app
    now = datetime.now(UTC)
    texters = [add_texter(app, f"+1415555{n:04d}", last_message_at=now) for n in range(40)]
    for n in range(200):
        write(app, texters[n % 40], f"message {n}", now=now)

    journal = tmp_path / "sends.jsonl"
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    url = app.config["DATABASE_URL"]
    processes = [
        context.Process(target=_worker_process, args=(url, str(journal), start)) for _ in range(2)
    ]
    for process in processes:
        process.start()
    start.set()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0

    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    sends = [line["data"] for line in lines]
    assert len(sends) == 200
    # Both processes really took part.
    assert len({line["pid"] for line in lines}) == 2
    assert set(Counter(send["Body"] for send in sends).values()) == {1}
    with app.app_context():
        statuses = (
            get_session()
            .execute(
                select(Message.status, func.count())
                .where(Message.direction == "out")
                .group_by(Message.status)
            )
            .all()
        )
    assert [tuple(row) for row in statuses] == [("queued", 200)]
    # Within each conversation the messages went in the order they were written.
    for n in range(40):
        order = [int(s["Body"].split()[1]) for s in sends if s["To"] == f"+1415555{n:04d}"]
        assert order == sorted(order)
        assert len(order) == 5
