"""A crisis nobody takes: the texter is written to again, and the on-call number told again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from responder import worker
from responder.channels import twilio
from responder.store.db import get_session
from responder.store.models import Alert
from tests.counsellors import add_counsellor, latest_conversation
from tests.fake_twilio import FakeTwilio
from tests.outbox_rows import Clock
from tests.twilio_requests import TEXTER, post_signed, sms

ONCALL = "+447700900999"
FROM_NUMBER = "+14155550199"
CRISIS = "i want to kill myself"


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(RESPONDER_ONCALL_NUMBER=ONCALL, TWILIO_FROM_NUMBER=FROM_NUMBER)


@pytest.fixture
def clock() -> Clock:
    """The worker's clock, starting now: the webhook stamps messages with the real time."""
    return Clock(datetime.now(UTC))


def run(app: Flask, fake: FakeTwilio, clock: Clock) -> None:
    worker.run(app, twilio.rest(app.config, fake), once=True, clock=clock)


def to_texter(fake: FakeTwilio) -> list[str]:
    return [send["Body"] for send in fake.sends if send["To"] == TEXTER]


def to_oncall(fake: FakeTwilio) -> list[str]:
    return [send["Body"] for send in fake.sends if send["To"] == ONCALL]


def kinds(app: Flask, headers: dict[str, str]) -> list[str]:
    items = app.test_client().get("/api/v1/events?limit=200", headers=headers).get_json()
    return [item["kind"] for item in items["items"]]


def test_an_unclaimed_crisis_gets_one_follow_up_and_a_second_alert(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    sam = add_counsellor(app, "sam", role="supervisor")
    post_signed(app.test_client(), sms(CRISIS))
    # Counted from the mark itself, however long the request took on a busy machine.
    crisis_at = latest_conversation(app, TEXTER).crisis_at
    assert crisis_at is not None
    clock.now = crisis_at + timedelta(seconds=1)
    run(app, fake, clock)
    assert to_texter(fake) == []
    assert len(to_oncall(fake)) == 1  # the first alert, at once

    clock.advance(seconds=298)
    run(app, fake, clock)
    assert to_texter(fake) == []

    clock.advance(seconds=2)
    run(app, fake, clock)
    (followup,) = to_texter(fake)
    assert "988" in followup and "911" in followup
    assert "kill" not in followup.lower()
    _, second = to_oncall(fake)
    conversation = latest_conversation(app, TEXTER)
    assert f"nobody has taken the crisis in conversation {conversation.id}" in second
    assert "crisis_unclaimed" in kinds(app, sam)

    # Once only: the texter is not written to every few seconds. (The ordinary "still in
    # the queue" notice may come too, unless it is night where the texter is.)
    clock.advance(minutes=30)
    run(app, fake, clock)
    assert to_texter(fake).count(followup) == 1 and len(to_oncall(fake)) == 2


def test_a_crisis_claimed_in_time_gets_no_follow_up(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    alex = add_counsellor(app, "alex")
    client = app.test_client()
    post_signed(client, sms(CRISIS))
    conversation = latest_conversation(app, TEXTER)
    assert (
        client.post(f"/api/v1/conversations/{conversation.id}/claim", headers=alex).status_code
        == 200
    )
    # Answered too: a crisis left unanswered once claimed is the board's to report.
    answered = client.post(
        f"/api/v1/conversations/{conversation.id}/messages", headers=alex, json={"body": "Hi"}
    )
    assert answered.status_code == 202
    clock.advance(minutes=10)
    run(app, fake, clock)
    assert to_texter(fake) == ["Hi"]  # the counsellor's answer, and nothing else
    assert len(to_oncall(fake)) == 1


def test_a_texter_who_opted_out_is_not_written_to_but_staff_still_hear(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    client = app.test_client()
    post_signed(client, sms("hi"))
    post_signed(client, sms(CRISIS))
    post_signed(client, sms("STOP"))
    clock.advance(minutes=6)
    run(app, fake, clock)
    assert to_texter(fake) == []
    with app.app_context():
        kinds_sent = list(get_session().scalars(select(Alert.kind).order_by(Alert.id)))
    assert kinds_sent == ["crisis", "unclaimed"]


def test_the_follow_up_time_is_a_setting(
    make_app: Callable[..., Flask], fake: FakeTwilio, clock: Clock
) -> None:
    app = make_app(RESPONDER_CRISIS_FOLLOWUP_SECONDS=60)
    post_signed(app.test_client(), sms(CRISIS))
    crisis_at = latest_conversation(app, TEXTER).crisis_at
    assert crisis_at is not None
    clock.now = crisis_at + timedelta(seconds=59)
    run(app, fake, clock)
    assert to_texter(fake) == []
    clock.advance(seconds=2)
    run(app, fake, clock)
    assert len(to_texter(fake)) == 1
