"""Contract: every kind of request the worker makes is valid against Twilio's own OpenAPI spec.

.ci/run serves the spec with Prism (twilio.md section 7) and sets TWILIO_PRISM_URL.
The worker sends through the real twilio client and its real HTTP client; Prism
answers 422 to any request that breaks the spec, which the worker would store as
a failure. Prism always answers with the spec's first example (sid SMaaaa...,
status "queued"), so the test checks what was sent, not what came back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

from responder import worker
from responder.channels import twilio
from responder.delivery import alerts, deletions, sending
from responder.store.db import get_session
from responder.store.models import Alert, Conversation, Message, TwilioDeletion
from tests.outbox_rows import (
    NOW,
    TEMPLATE,
    WHATSAPP_HELPLINE,
    Clock,
    add_texter,
    outbound,
    stored,
    write,
)
from tests.twilio_requests import HELPLINE, PUBLIC_URL, TEXTER

PRISM = os.environ.get("TWILIO_PRISM_URL")
pytestmark = pytest.mark.skipif(not PRISM, reason="TWILIO_PRISM_URL is not set (.ci/run sets it)")
SERVICE = "MG" + "0123456789abcdef" * 2
ONCALL = "+447700900999"


class Recording(TwilioHttpClient):
    """The real HTTP client, keeping what it sent and what came back."""

    def __init__(self) -> None:
        super().__init__(timeout=twilio.HTTP_TIMEOUT)
        self.exchanges: list[tuple[str, dict[str, Any], dict[str, Any], int]] = []

    def request(self, method: str, url: str, params=None, data=None, **kwargs: Any) -> Response:
        response = super().request(method, url, params=params, data=data, **kwargs)
        self.exchanges.append((method, dict(params or {}), dict(data or {}), response.status_code))
        return response


@pytest.fixture
def prism_app(make_app: Callable[..., Flask]) -> Callable[..., Flask]:
    def build(**overrides: object) -> Flask:
        return make_app(
            TWILIO_API_BASE_URL=PRISM, TWILIO_WHATSAPP_TEMPLATE_SID=TEMPLATE, **overrides
        )

    return build


def run_worker(app: Flask, clock: Clock) -> Recording:
    """Run one round of the real worker loop against Prism."""
    http = Recording()
    worker.run(app, twilio.rest(app.config, http), once=True, clock=clock)
    return http


@pytest.mark.parametrize(
    ("helpline", "settings", "hours_quiet", "sent"),
    [
        (HELPLINE, {}, 0, {"To": TEXTER, "From": HELPLINE, "Body": "hello"}),
        (HELPLINE, {"TWILIO_MESSAGING_SERVICE_SID": SERVICE}, 0, {"MessagingServiceSid": SERVICE}),
        (WHATSAPP_HELPLINE, {}, 1, {"To": "whatsapp:" + TEXTER, "From": WHATSAPP_HELPLINE}),
        (WHATSAPP_HELPLINE, {}, 30, {"ContentSid": TEMPLATE, "From": WHATSAPP_HELPLINE}),
    ],
    ids=["sms", "sms-messaging-service", "whatsapp-text", "whatsapp-template"],
)
def test_every_kind_of_send_meets_twilios_spec(
    prism_app, helpline: str, settings: dict[str, str], hours_quiet: int, sent: dict[str, str]
) -> None:
    app = prism_app(**settings)
    clock = Clock()
    conversation = add_texter(
        app, helpline=helpline, last_message_at=NOW - timedelta(hours=hours_quiet)
    )
    write(app, conversation, "hello")
    http = run_worker(app, clock)

    posts = [exchange for exchange in http.exchanges if exchange[0] == "POST"]
    assert [status for *_, status in posts] == [201]
    (_, _, data, _) = posts[0]
    assert sent.items() <= data.items()
    assert data["StatusCallback"] == PUBLIC_URL + "/twilio/status"
    taken = outbound(app)[-1]
    assert (taken.status, taken.error_code, taken.error_message) == ("queued", None, None)
    assert taken.twilio_sid.startswith("SM")


def test_the_crash_recovery_lookup_meets_twilios_spec(prism_app) -> None:
    app = prism_app()
    clock = Clock()
    (message_id,) = write(app, add_texter(app), "hello")
    # A worker died after marking the message "sending"; its lease has run out.
    with app.app_context():
        session = get_session()
        message = session.get(Message, message_id)
        message.status, message.send_started_at = "sending", NOW - sending.LEASE
        message.next_attempt_at = NOW
        session.commit()
    http = run_worker(app, clock)

    (lookup, send) = http.exchanges
    assert lookup[0] == "GET"
    assert lookup[1]["To"] == TEXTER
    assert "DateSent>" in lookup[1]
    assert lookup[3] == 200
    # Prism's example messages are not ours, so the message is sent.
    assert (send[0], send[3]) == ("POST", 201)
    assert stored(app, message_id).status == "queued"


def test_deleting_a_texters_media_and_messages_meets_twilios_spec(prism_app) -> None:
    app = prism_app()
    message_sid, media_sid = "MM" + "0123456789abcdef" * 2, "ME" + "fedcba9876543210" * 2
    with app.app_context():
        session = get_session()
        deletions.queue_media(session, message_sid, [media_sid], NOW)
        deletions.queue_messages(session, [message_sid, "SM" + "0" * 32], NOW)
        session.commit()
    http = run_worker(app, Clock())

    assert [(method, status) for method, *_, status in http.exchanges] == [("DELETE", 204)] * 3
    with app.app_context():
        assert get_session().scalars(select(TwilioDeletion)).all() == []


@pytest.mark.parametrize(
    ("settings", "sender"),
    [
        ({"TWILIO_FROM_NUMBER": HELPLINE}, {"From": HELPLINE}),
        ({"TWILIO_MESSAGING_SERVICE_SID": SERVICE}, {"MessagingServiceSid": SERVICE}),
    ],
    ids=["number", "messaging-service"],
)
def test_the_oncall_alert_meets_twilios_spec(
    prism_app, settings: dict[str, str], sender: dict[str, str]
) -> None:
    app = prism_app(RESPONDER_ONCALL_NUMBER=ONCALL, **settings)
    conversation = add_texter(app)
    with app.app_context():
        session = get_session()
        alerts.queue(session, session.get(Conversation, conversation), NOW, alerts.CRISIS)
        session.commit()
    http = run_worker(app, Clock())

    ((method, _, data, status),) = http.exchanges
    assert (method, status) == ("POST", 201)
    assert sender.items() <= data.items()
    assert (data["To"], "StatusCallback" in data) == (ONCALL, False)
    with app.app_context():
        alert = get_session().scalars(select(Alert)).one()
    assert (alert.status, alert.error_code) == ("queued", None)
    assert alert.twilio_sid.startswith("SM")
