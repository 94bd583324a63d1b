"""Alerts first: a crisis alert and the heartbeat never wait behind a long outbox."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from responder import worker
from responder.channels import twilio
from responder.store.db import get_session
from responder.store.models import Heartbeat
from tests.counsellors import number
from tests.fake_twilio import MESSAGES, FakeTwilio
from tests.outbox_rows import Clock, add_texter, write
from tests.twilio_requests import TEXTER, post_signed, sms

ONCALL = "+447700900999"
QUEUED = 1000
SLOW = 0.6  # seconds Twilio takes to answer each send, on the worker's clock


class SlowTwilio(FakeTwilio):
    """Twilio answering each send slowly, with something happening while it does."""

    def __init__(self, clock: Clock, during: Callable[[dict[str, Any]], None]) -> None:
        super().__init__(clock)
        self.worker_clock, self.during = clock, during

    def request(self, method: str, uri: str, *args: Any, **kwargs: Any) -> Any:
        if method == "POST" and uri.endswith(f"{MESSAGES}.json"):
            self.worker_clock.advance(seconds=SLOW)
            data = kwargs.get("data") or (args[1] if len(args) > 1 else {})
            self.during(dict(data or {}))
        return super().request(method, uri, *args, **kwargs)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(RESPONDER_ONCALL_NUMBER=ONCALL, TWILIO_FROM_NUMBER="+14155550199")


def test_a_crisis_alert_leaves_after_at_most_one_message_of_a_thousand_queued(
    app: Flask,
) -> None:
    # A minute ahead of the webhook's real clock: the crisis alert, dated by the webhook,
    # is due at once however long writing the thousand messages took on a busy machine.
    clock = Clock(datetime.now(UTC) + timedelta(minutes=1))
    conversation_id = add_texter(app, last_message_at=clock.now)
    write(app, conversation_id, *(f"message {n}" for n in range(QUEUED)), now=clock.now)
    stop = threading.Event()
    client = app.test_client()
    staleness: list[float] = []

    def during(send: dict[str, Any]) -> None:
        if send.get("To") == ONCALL:
            stop.set()  # the alert is out: no need to send the other messages
            return
        with app.app_context():
            beat = get_session().scalar(select(Heartbeat.beat_at).where(Heartbeat.name == "worker"))
        assert beat is not None
        staleness.append((clock.now - beat).total_seconds())
        if len(staleness) == 3:
            # A new texter's first message is a crisis while the third message is sent.
            assert post_signed(client, sms("i want to kill myself", sender=number(9))).status_code
            assert "kill" not in send["Body"]

    fake = SlowTwilio(clock, during)
    worker.run(app, twilio.rest(app.config, fake), once=True, clock=clock, stop=stop)

    recipients = [send["To"] for send in fake.sends]
    # Three messages, the alert, and nothing more: it did not wait for the other 997.
    assert recipients == [TEXTER, TEXTER, TEXTER, ONCALL]
    assert "crisis words in conversation" in fake.sends[-1]["Body"]
    # The heartbeat kept up while Twilio was slow: never more than two sends old.
    assert max(staleness) <= 2 * SLOW
