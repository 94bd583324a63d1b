"""Status callbacks that reach /twilio/status before the worker has stored the message's sid."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from twilio.http.response import Response

from responder import services, worker
from responder.channels import twilio
from responder.channels.transport import StatusUpdate
from responder.delivery import status
from responder.store.db import get_session
from responder.store.early_status import EarlyStatusCallback
from tests.counsellors import add_counsellor
from tests.delivery.test_status import callback, report
from tests.fake_twilio import FakeTwilio
from tests.outbox_rows import (
    TEMPLATE,
    WHATSAPP_HELPLINE,
    Clock,
    add_texter,
    contact_of,
    deliver,
    stored,
    write,
)
from tests.twilio_requests import TEXTER, post_signed, sms

Callback = tuple[str, int | None]


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(TWILIO_WHATSAPP_TEMPLATE_SID=TEMPLATE, RESPONDER_EARLY_STATUS_MINUTES=2)


@pytest.fixture
def clock() -> Clock:
    # The webhook stamps callbacks with the real time; the worker's clock starts there.
    return Clock(datetime.now(UTC))


def calling_back_first(
    client: FlaskClient, callbacks: list[Callback], **extra: str
) -> Callable[[FakeTwilio, dict[str, Any]], Response]:
    """Twilio takes the message and reports on it before its answer reaches the worker."""

    def step(fake: FakeTwilio, data: dict[str, Any]) -> Response:
        message = fake.take(data, "queued")
        for state, code in callbacks:
            response = report(client, callback(message["sid"], state, code, **extra))
            assert response.status_code == 204
        return Response(201, json.dumps(message))

    return step


def send_one(app: Flask, fake: FakeTwilio, clock: Clock, helpline: str | None = None) -> int:
    """Write one counsellor message and run the worker's delivery; return its id."""
    options = {} if helpline is None else {"helpline": helpline}
    conversation = add_texter(app, last_message_at=clock.now, **options)
    (message_id,) = write(app, conversation, "hello", now=clock.now)
    deliver(app, fake, clock)
    return message_id


def shown(app: Flask, client: FlaskClient, message_id: int) -> dict[str, Any]:
    """The message as a supervisor reads it in the conversation's transcript."""
    headers = add_counsellor(app, "supervisor", role="supervisor")
    conversation_id = stored(app, message_id).conversation_id
    transcript = client.get(f"/api/v1/conversations/{conversation_id}", headers=headers)
    assert transcript.status_code == 200
    (message,) = [m for m in transcript.get_json()["messages"] if m["id"] == message_id]
    return message


def kept(app: Flask) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(EarlyStatusCallback))


def run_worker_round(app: Flask, fake: FakeTwilio, clock: Clock) -> None:
    jobs = worker.jobs_for(app.config, services.of(app))
    worker.tick(services.of(app).sessions, jobs, twilio.rest(app.config, fake), clock)


@pytest.mark.parametrize(
    ("callbacks", "final", "code"),
    [
        ([("sent", None), ("delivered", None)], "delivered", None),
        ([("delivered", None), ("sent", None)], "delivered", None),
        ([("sent", None), ("undelivered", 30003)], "undelivered", 30003),
        ([("read", None), ("failed", 30008)], "read", 30008),
    ],
)
def test_callbacks_before_the_sid_is_stored_show_once_it_is(
    app: Flask,
    client: FlaskClient,
    fake: FakeTwilio,
    clock: Clock,
    callbacks: list[Callback],
    final: str,
    code: int | None,
) -> None:
    fake.script = [calling_back_first(client, callbacks)]
    message_id = send_one(app, fake, clock)
    message = shown(app, client, message_id)
    assert (message["status"], message["error_code"]) == (final, code)
    assert kept(app) == 0


def test_an_early_21610_marks_the_texter_opted_out(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    fake.script = [calling_back_first(client, [("failed", 21610)])]
    message_id = send_one(app, fake, clock)
    assert (stored(app, message_id).status, stored(app, message_id).error_code) == (
        "failed",
        21610,
    )
    assert contact_of(app).opted_out


def test_an_early_63016_holds_the_text_and_sends_the_template(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    window = [("failed", 63016)]
    fake.script = [
        calling_back_first(client, window, From=WHATSAPP_HELPLINE, To="whatsapp:" + TEXTER)
    ]
    message_id = send_one(app, fake, clock, helpline=WHATSAPP_HELPLINE)
    held = stored(app, message_id)
    assert (held.status, held.error_code) == ("held", 63016)
    clock.now = datetime.now(UTC)  # the template was written at the callback's time
    deliver(app, fake, clock)
    assert [s.get("ContentSid") for s in fake.sends] == [None, TEMPLATE]


def test_callbacks_for_the_same_sid_at_once_are_all_kept_and_applied(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    statuses = ["sent", "delivered", "sent", "sending"]
    barrier = threading.Barrier(len(statuses))

    def post(sid: str, state: str) -> int:
        barrier.wait()
        return report(app.test_client(), callback(sid, state)).status_code

    def step(fake: FakeTwilio, data: dict[str, Any]) -> Response:
        message = fake.take(data, "queued")
        with ThreadPoolExecutor(len(statuses)) as pool:
            answers = list(pool.map(post, [message["sid"]] * len(statuses), statuses))
        assert answers == [204] * len(statuses)
        assert kept(app) == len(statuses)
        return Response(201, json.dumps(message))

    fake.script = [step]
    message_id = send_one(app, fake, clock)
    assert shown(app, client, message_id)["status"] == "delivered"
    assert kept(app) == 0


def test_callbacks_for_a_sid_that_never_comes_go_after_their_minutes(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    sid = "SM" + "e" * 32
    assert report(client, callback(sid, "delivered")).status_code == 204
    clock.advance(minutes=1)
    run_worker_round(app, fake, clock)
    assert kept(app) == 1
    clock.advance(minutes=1, seconds=30)
    run_worker_round(app, fake, clock)
    assert kept(app) == 0


def test_news_that_can_never_apply_is_not_kept(app: Flask, client: FlaskClient) -> None:
    form = sms("hi")
    assert post_signed(client, form).status_code == 200
    assert report(client, callback(form["MessageSid"], "delivered")).status_code == 204
    assert report(client, callback("SM" + "d" * 32, "receiving")).status_code == 204
    assert kept(app) == 0


def test_beyond_the_limit_callbacks_for_unknown_sids_are_dropped(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(status, "EARLY_LIMIT", 3)
    for n in range(5):
        assert report(client, callback(f"SM{n:032x}", "delivered")).status_code == 204
    assert kept(app) == 3


def test_a_callback_that_commits_after_the_worker_looked_is_applied_next_round(
    postgres_app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    """The race: the callback finds no sid, the worker stores it and finds no kept row.

    Only PostgreSQL lets the two transactions overlap (SQLite takes its write lock at
    BEGIN), so there the callback's row is still uncommitted while the worker commits.
    The next round applies it, even when that round comes after the row's minutes.
    """
    app = postgres_app
    sessions = services.of(app).sessions
    callback_sessions: list[Session] = []

    def step(fake: FakeTwilio, data: dict[str, Any]) -> Response:
        message = fake.take(data, "queued")
        session = sessions()
        update = StatusUpdate(sid=message["sid"], status="delivered")
        assert status.track(session, update, clock.now, None) is False
        callback_sessions.append(session)  # left open: committed after the worker's answer
        return Response(201, json.dumps(message))

    fake.script = [step]
    message_id = send_one(app, fake, clock)
    (late,) = callback_sessions
    late.commit()
    late.close()
    assert stored(app, message_id).status == "queued"
    clock.advance(minutes=15)
    run_worker_round(app, fake, clock)
    assert stored(app, message_id).status == "delivered"
    assert kept(app) == 0
