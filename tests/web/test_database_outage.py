"""The database stops mid-conversation: every texter message is answered, kept and stored once.

The outage is real on each backend (tests/outage.py): PostgreSQL refuses connections,
SQLite cannot open its file; a stall is a lock held by another connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from responder import services
from responder.store.db import get_session
from responder.store.models import Conversation, Message
from tests.fake_twilio import FakeTwilio
from tests.outage import (
    contact_locked,
    database_stopped,
    run_worker,
    spooled_files,
    table_locked,
    timed_post,
)
from tests.outbox_rows import opened
from tests.twilio_requests import TEXTER, post_signed, whatsapp

# Generous bounds: the answers come in well under a second here, but a loaded machine
# must not make this test fail. What matters is that nothing waits for the database.
ANSWER_WITHIN_SECONDS = 10
HEALTH_WITHIN_SECONDS = 5
CRISIS_WORDS = "i want to kill myself"


def inbound_texts(app: Flask) -> list[str | None]:
    with app.app_context():
        rows = get_session().scalars(
            select(Message).where(Message.direction == "in").order_by(Message.id)
        )
        return [row.body for row in rows]


def test_messages_sent_while_the_database_is_down_are_answered_and_stored_once_in_order(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    en = services.of(app).content.language("en")
    outage = en.messages["outage"].format(emergency="Emergency: 911")
    timed_post(client, "hi")  # the conversation is under way: the texter is in the menu
    fake = FakeTwilio()
    during = ["2", CRISIS_WORDS, "are you there?"]
    with database_stopped(app):
        answers = [timed_post(client, body) for body in during]
        start = time.monotonic()
        health = client.get("/healthz")
        health_took = time.monotonic() - start
        files = spooled_files(app)
        # The worker finds the database still away: its loop logs that and tries again.
        with pytest.raises(OperationalError):
            run_worker(app, fake)
        assert spooled_files(app) == files

    assert all(took < ANSWER_WITHIN_SECONDS for _, took in answers)
    assert [replies for replies, _ in answers] == [
        [outage],
        [en.crisis_outage(services.of(app).content.crisis_help("en", "US", None))],
        [outage],
    ]
    assert "988" in answers[1][0][0]
    assert health.status_code == 503
    assert health.get_json() == {"status": "error", "database": "unreachable"}
    assert health_took < HEALTH_WITHIN_SECONDS
    # One encrypted file per message: neither the number nor any word is readable.
    assert len(files) == 3
    for path in files:
        data = path.read_bytes()
        for secret in (TEXTER, TEXTER[1:], CRISIS_WORDS, "are you there?"):
            assert secret.encode() not in data

    run_worker(app, fake)
    assert inbound_texts(app) == ["hi", *during]
    assert spooled_files(app) == []
    # A second round finds nothing to store.
    run_worker(app, fake)
    assert inbound_texts(app) == ["hi", *during]

    with app.app_context():
        session = get_session()
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.crisis_at is not None and conversation.state == "waiting"
        replies = opened(
            session.scalars(select(Message).where(Message.direction == "out").order_by(Message.id))
        )
    # The transcript shows what the texter really got at the time, and what the bot
    # decided for "2" then went out through the outbox, late but really sent.
    given = [m.body for m in replies if m.status is None and m.in_reply_to_id is not None]
    assert given[-3:] == [reply for replies, _ in answers for reply in replies]
    late = [m for m in replies if m.status is not None]
    assert [m.body for m in late] == [send["Body"] for send in fake.sends]
    assert len(late) == 1 and late[0].status == "queued"
    # The crisis numbers are not sent again: the texter has them, and waits first in line.
    assert not any("988" in send["Body"] for send in fake.sends)


def test_a_row_lock_held_elsewhere_gets_an_answer_in_time_and_the_message_kept(
    make_app, tmp_path: Path
) -> None:
    app = make_app(RESPONDER_DB_STATEMENT_TIMEOUT_SECONDS=1, RESPONDER_DB_LOCK_TIMEOUT_SECONDS=1)
    client = app.test_client()
    timed_post(client, "hi")
    with contact_locked(app):
        (reply,), took = timed_post(client, "1")
        assert took < ANSWER_WITHIN_SECONDS
        outage = services.of(app).content.language("en").messages["outage"]
        assert reply == outage.format(emergency="Emergency: 911")
        assert len(spooled_files(app)) == 1
    run_worker(app, FakeTwilio())
    assert inbound_texts(app) == ["hi", "1"]
    assert spooled_files(app) == []


def test_health_answers_quickly_when_the_database_is_stalled(make_app, database_url) -> None:
    sqlite = database_url.startswith("sqlite")
    # Only the health check's own limit may end the wait on PostgreSQL: the app's are
    # set long. SQLite's one wait, for its write lock, is the app's statement limit.
    limit = 1 if sqlite else 30
    app = make_app(
        RESPONDER_DB_STATEMENT_TIMEOUT_SECONDS=limit, RESPONDER_DB_LOCK_TIMEOUT_SECONDS=limit
    )
    client = app.test_client()
    timed_post(client, "hi")
    with table_locked(app, "heartbeats"):
        start = time.monotonic()
        response = client.get("/healthz")
        took = time.monotonic() - start
    assert took < HEALTH_WITHIN_SECONDS
    if sqlite:
        assert response.status_code == 503
    else:
        # The database answers; the worker's figures, behind the lock, are left out.
        assert response.status_code == 200
        assert response.get_json()["worker_heartbeat"] is None


def test_a_new_texters_first_message_a_crisis_during_an_outage_gets_numbers_and_is_queued(
    make_app: Callable[..., Flask],
) -> None:
    oncall = "+447700900999"
    app = make_app(RESPONDER_ONCALL_NUMBER=oncall, TWILIO_FROM_NUMBER="+14155550199")
    client = app.test_client()
    fake = FakeTwilio()
    with database_stopped(app):
        (replies, took) = timed_post(client, CRISIS_WORDS)
    assert took < ANSWER_WITHIN_SECONDS
    assert len(replies) == 1 and "988" in replies[0]

    run_worker(app, fake)
    with app.app_context():
        conversation = get_session().scalars(select(Conversation)).one()
        assert conversation.crisis_at is not None and conversation.state == "waiting"
    # The on-call phone hears of it once the message is stored, quoting nothing.
    (alert,) = [send["Body"] for send in fake.sends if send["To"] == oncall]
    assert f"conversation {conversation.id}" in alert and "kill" not in alert
    # The texter is not sent the numbers a second time.
    assert [send for send in fake.sends if send["To"] == TEXTER] == []


def test_a_late_reply_goes_from_the_number_the_kept_message_was_written_to(
    make_app: Callable[..., Flask],
) -> None:
    """A WhatsApp texter with a text held for WhatsApp's window writes by SMS while the
    database is away: the reply decided once it is back goes by SMS, from the SMS number.

    Storing the message looks for the held texts through the ORM, which loads the
    conversation as it was on WhatsApp, before the message moves it to SMS.
    """
    app = make_app()
    client = app.test_client()
    post_signed(client, whatsapp("hi"))
    with app.app_context():
        session = get_session()
        conversation = session.scalars(select(Conversation)).one()
        now = datetime.now(UTC)
        session.add(
            Message(
                conversation=conversation,
                direction="out",
                body="a text held for the window",
                status="held",
                created_at=now,
                status_at=now,
            )
        )
        session.commit()
    with database_stopped(app):
        timed_post(client, "2")
    fake = FakeTwilio()
    run_worker(app, fake)

    with app.app_context():
        session = get_session()
        conversation = session.scalars(select(Conversation)).one()
        late = [
            message
            for message in opened(
                session.scalars(
                    select(Message).where(Message.direction == "out", Message.status.is_not(None))
                )
            )
            if message.body != "a text held for the window"
        ]
    assert conversation.channel == "sms"
    assert len(late) == 1
    assert late[0].sender == "+14155550100"
