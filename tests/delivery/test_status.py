"""Status callbacks at /twilio/status: signed, out of order, and only ever forward."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from responder.store.db import get_session
from responder.store.models import Event, Message
from tests.counsellors import add_counsellor
from tests.fake_twilio import FakeTwilio
from tests.outbox_rows import (
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
    ACCOUNT,
    HELPLINE,
    PUBLIC_URL,
    TEXTER,
    post_signed,
    sign,
    sms,
)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(TWILIO_WHATSAPP_TEMPLATE_SID=TEMPLATE)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC))


def callback(sid: str, status: str, error_code: int | None = None, **extra: str) -> dict[str, str]:
    """A status-callback form shaped like Twilio's."""
    form = {
        "AccountSid": ACCOUNT,
        "ApiVersion": "2010-04-01",
        "From": HELPLINE,
        "To": TEXTER,
        "MessageSid": sid,
        "MessageStatus": status,
        "SmsSid": sid,
        "SmsStatus": status,
    }
    if error_code is not None:
        form["ErrorCode"] = str(error_code)
    form.update(extra)
    return form


def report(client: FlaskClient, form: dict[str, str]):
    return post_signed(client, form, path="/twilio/status")


def sent_message(app: Flask, fake: FakeTwilio, clock: Clock, helpline: str = HELPLINE) -> Message:
    """A counsellor message the worker has handed to Twilio."""
    conversation = add_texter(app, helpline=helpline, last_message_at=clock.now)
    (message_id,) = write(app, conversation, "hello", now=clock.now)
    deliver(app, fake, clock)
    return stored(app, message_id)


def events(app: Flask) -> int:
    with app.app_context():
        return get_session().scalar(
            select(func.count()).select_from(Event).where(Event.kind == "delivery")
        )


@pytest.mark.parametrize(
    ("sequence", "final"),
    [
        (["sent", "delivered"], "delivered"),
        (["delivered", "sent"], "delivered"),
        (["sending", "sent", "delivered", "read"], "read"),
        (["read", "delivered", "sent", "sending"], "read"),
        (["sent", "undelivered", "sent"], "undelivered"),
        (["failed", "queued"], "failed"),
        (["receiving"], "queued"),
    ],
)
def test_statuses_only_move_forward(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock, sequence, final: str
) -> None:
    message = sent_message(app, fake, clock)
    for status in sequence:
        response = report(client, callback(message.twilio_sid, status))
        assert response.status_code == 204
        assert response.get_data() == b""
    assert stored(app, message.id).status == final


def test_a_change_is_an_event_and_a_repeat_is_not(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    message = sent_message(app, fake, clock)
    before = events(app)
    report(client, callback(message.twilio_sid, "delivered"))
    assert events(app) == before + 1
    report(client, callback(message.twilio_sid, "delivered"))
    report(client, callback(message.twilio_sid, "sent"))
    assert events(app) == before + 1


def test_failure_code_is_stored_and_shown_in_the_transcript(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    message = sent_message(app, fake, clock)
    report(client, callback(message.twilio_sid, "sent"))
    report(client, callback(message.twilio_sid, "undelivered", 30003))
    failed = stored(app, message.id)
    assert (failed.status, failed.error_code) == ("undelivered", 30003)
    assert failed.error_message == "the texter's phone is unreachable"

    headers = add_counsellor(app, "supervisor", role="supervisor")
    transcript = client.get(f"/api/v1/conversations/{failed.conversation_id}", headers=headers)
    assert transcript.status_code == 200
    (shown,) = [m for m in transcript.get_json()["messages"] if m["id"] == message.id]
    assert (shown["status"], shown["error_code"]) == ("undelivered", 30003)
    assert shown["error_message"] == "the texter's phone is unreachable"


def test_a_late_lower_status_still_brings_its_error_code(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    message = sent_message(app, fake, clock)
    report(client, callback(message.twilio_sid, "read"))
    report(client, callback(message.twilio_sid, "failed", 30008))
    late = stored(app, message.id)
    assert (late.status, late.error_code) == ("read", 30008)


def test_21610_in_a_callback_marks_the_texter_opted_out(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    message = sent_message(app, fake, clock)
    report(client, callback(message.twilio_sid, "failed", 21610))
    assert stored(app, message.id).status == "failed"
    assert contact_of(app).opted_out


def test_63016_in_callbacks_holds_the_texts_and_sends_one_template(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    conversation = add_texter(app, helpline=WHATSAPP_HELPLINE, last_message_at=clock.now)
    first, second = write(app, conversation, "one", "two", now=clock.now)
    deliver(app, fake, clock)
    for message_id in (first, second):
        sid = stored(app, message_id).twilio_sid
        form = callback(sid, "failed", 63016, From=WHATSAPP_HELPLINE, To="whatsapp:" + TEXTER)
        assert report(client, form).status_code == 204
    for message_id in (first, second):
        held = stored(app, message_id)
        assert (held.status, held.error_code) == ("held", 63016)
    clock.now = datetime.now(UTC)  # the callbacks wrote the template at the request's time
    deliver(app, fake, clock)
    assert [s.get("ContentSid") for s in fake.sends] == [None, None, TEMPLATE]
    # A late callback for the old sid no longer applies to the held text.
    report(client, callback(stored(app, first).twilio_sid, "delivered"))
    assert stored(app, first).status == "held"


def test_twilio_status_sending_does_not_look_like_an_interrupted_send(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    message = sent_message(app, fake, clock)
    report(client, callback(message.twilio_sid, "sending"))
    assert stored(app, message.id).status == "sending"
    clock.advance(hours=1)
    assert deliver(app, fake, clock) == 0
    assert len(fake.requests) == 1


def test_an_unknown_sid_is_ignored(app: Flask, client: FlaskClient) -> None:
    response = report(client, callback("SM" + "f" * 32, "delivered"))
    assert response.status_code == 204
    assert outbound(app) == []


def test_an_inbound_message_sid_is_not_touched(app: Flask, client: FlaskClient) -> None:
    form = sms("hi")
    assert post_signed(client, form).status_code == 200
    assert report(client, callback(form["MessageSid"], "delivered")).status_code == 204
    with app.app_context():
        statuses = get_session().scalars(select(Message.status)).all()
    assert set(statuses) == {None}


def test_bad_signature_is_refused(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    message = sent_message(app, fake, clock)
    form = callback(message.twilio_sid, "delivered")
    signature = sign("/twilio/status", form)
    form["MessageStatus"] = "read"
    tampered = client.post(
        "/twilio/status", data=form, headers={"X-Twilio-Signature": signature}, base_url=PUBLIC_URL
    )
    unsigned = client.post("/twilio/status", data=form, base_url=PUBLIC_URL)
    assert (tampered.status_code, unsigned.status_code) == (403, 403)
    assert stored(app, message.id).status == "queued"


@pytest.mark.parametrize(
    "change",
    [{"MessageSid": ""}, {"MessageSid": "nope"}, {"ErrorCode": "bad"}],
)
def test_malformed_callbacks_get_400(app: Flask, client: FlaskClient, change) -> None:
    form = callback("SM" + "a" * 32, "delivered")
    form.update(change)
    response = report(client, form)
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_missing_status_gets_400(client: FlaskClient) -> None:
    form = callback("SM" + "a" * 32, "delivered")
    del form["MessageStatus"], form["SmsStatus"]
    assert report(client, form).status_code == 400
