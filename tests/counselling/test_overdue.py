"""A texter left too long without an answer: one event per wait, and the on-call for a crisis."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from responder import worker
from responder.channels import twilio
from responder.store.db import get_session
from responder.store.models import Alert, Event
from tests.counsellors import add_counsellor, latest_conversation, queue_texter
from tests.fake_twilio import FakeTwilio
from tests.outbox_rows import Clock
from tests.twilio_requests import TEXTER, post_signed, sms

ONCALL = "+447700900999"
CRISIS = "i want to kill myself"


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(RESPONDER_ONCALL_NUMBER=ONCALL, TWILIO_FROM_NUMBER="+14155550199")


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC))


def run(app: Flask, fake: FakeTwilio, clock: Clock) -> None:
    worker.run(app, twilio.rest(app.config, fake), once=True, clock=clock)


def overdue_events(app: Flask) -> list[int | None]:
    with app.app_context():
        return list(
            get_session().scalars(
                select(Event.conversation_id).where(Event.kind == "overdue").order_by(Event.id)
            )
        )


def alert_kinds(app: Flask) -> list[str]:
    with app.app_context():
        return list(get_session().scalars(select(Alert.kind).order_by(Alert.id)))


def to_oncall(fake: FakeTwilio) -> list[str]:
    return [send["Body"] for send in fake.sends if send["To"] == ONCALL]


def test_a_wait_past_ten_minutes_raises_one_event_and_no_text(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    conversation_id = queue_texter(client)
    queued_at = latest_conversation(app, TEXTER).queued_at
    assert queued_at is not None
    clock.now = queued_at + timedelta(minutes=9, seconds=59)
    run(app, fake, clock)
    assert overdue_events(app) == []
    clock.advance(seconds=2)
    run(app, fake, clock)
    assert overdue_events(app) == [conversation_id]
    clock.advance(minutes=20)
    run(app, fake, clock)
    assert overdue_events(app) == [conversation_id]  # once per wait, not every round
    assert to_oncall(fake) == []  # not a crisis: the board shows it, nobody is woken


def test_a_crisis_left_unanswered_with_a_counsellor_texts_the_on_call_each_wait(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    alice = add_counsellor(app, "alice")
    post_signed(client, sms(CRISIS))  # the texter's very first message
    conversation = latest_conversation(app, TEXTER)
    conversation_id, queued_at = conversation.id, conversation.queued_at
    assert queued_at is not None
    claimed = client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=alice)
    assert claimed.status_code == 200
    # The crisis alert is due as the message is queued: it goes at once, on its own. The
    # worker's clock is that moment, not the wall clock a loaded machine may have moved
    # on from, or the next alert would fall within five minutes of it and wait.
    clock.now = queued_at
    run(app, fake, clock)
    assert alert_kinds(app) == ["crisis"] and len(to_oncall(fake)) == 1

    # Claimed at once, but alice never writes: five minutes from the queue, the board and
    # the on-call phone hear of it.
    clock.now = queued_at + timedelta(minutes=5, seconds=1)
    run(app, fake, clock)
    assert overdue_events(app) == [conversation_id]
    assert alert_kinds(app) == ["crisis", "overdue"]
    last = to_oncall(fake)[-1]
    assert f"waited too long for an answer in conversation {conversation_id}" in last
    assert "kill" not in last and TEXTER not in last

    # Alice answers; the texter writes again and waits once more: a second wait, reported.
    sent = client.post(
        f"/api/v1/conversations/{conversation_id}/messages", headers=alice, json={"body": "Hi"}
    )
    assert sent.status_code == 202
    post_signed(client, sms("please answer"))
    clock.now = datetime.now(UTC) + timedelta(minutes=5, seconds=1)
    run(app, fake, clock)
    assert overdue_events(app) == [conversation_id, conversation_id]
    assert alert_kinds(app) == ["crisis", "overdue", "overdue"]


def test_a_crisis_in_the_queue_is_texted_once_by_the_unclaimed_follow_up(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    post_signed(client, sms(CRISIS))
    conversation = latest_conversation(app, TEXTER)
    assert conversation.crisis_at is not None and conversation.queued_at is not None
    clock.now = max(conversation.crisis_at, conversation.queued_at) + timedelta(minutes=5)
    run(app, fake, clock)
    # The board's event comes, but the on-call number is not texted twice for one wait.
    assert overdue_events(app) == [conversation.id]
    assert alert_kinds(app) == ["crisis", "unclaimed"]


def test_the_limits_are_settings(
    make_app: Callable[..., Flask], fake: FakeTwilio, clock: Clock
) -> None:
    app = make_app(RESPONDER_OVERDUE_MINUTES=2, RESPONDER_OVERDUE_CRISIS_MINUTES=1)
    conversation_id = queue_texter(app.test_client())
    queued_at = latest_conversation(app, TEXTER).queued_at
    assert queued_at is not None
    clock.now = queued_at + timedelta(minutes=1, seconds=59)
    run(app, fake, clock)
    assert overdue_events(app) == []
    clock.advance(seconds=2)
    run(app, fake, clock)
    assert overdue_events(app) == [conversation_id]


def test_a_texter_who_leaves_the_queue_is_not_reported(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    queue_texter(client)
    post_signed(client, sms("MENU"))  # leaves the queue for the menu
    clock.advance(minutes=30)
    run(app, fake, clock)
    assert overdue_events(app) == []
