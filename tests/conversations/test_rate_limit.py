"""A flood from one number: one notice, then silence; never an error, never a lost message."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from responder import services
from responder.channels.transport import Inbound
from responder.conversations.receiving import Policy, receive
from responder.store.db import get_session
from responder.store.models import Message
from tests.twilio_requests import TEXTER, new_sid, post_signed, replies, sms


def inbound_count(app: Flask) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count(Message.id)).where(Message.direction == "in"))


def test_a_flood_gets_one_notice_then_silence(app: Flask, client: FlaskClient) -> None:
    slow_down = services.of(app).content.language("en").messages["slow_down"]
    slow_down = slow_down.format(emergency="Emergency: 911")
    answers = [replies(post_signed(client, sms(text))) for text in ["hi", *["0"] * 24]]
    assert all(answer for answer in answers[:20])
    assert answers[20] == [slow_down]
    assert answers[21:] == [[], [], [], []]
    assert inbound_count(app) == 25


def test_crisis_words_are_answered_whatever_the_rate(app: Flask, client: FlaskClient) -> None:
    for _ in range(30):
        post_signed(client, sms("0"))
    (reply,) = replies(post_signed(client, sms("i want to die")))
    assert "988" in reply


def test_the_bot_answers_again_once_the_texter_slows_down(app: Flask) -> None:
    content = services.of(app).content
    policy = Policy(keys=services.of(app).keys, rate_limit=3)
    start = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def send(text: str, when: datetime) -> tuple[str, ...]:
        with app.app_context():
            session = get_session()
            result = receive(
                session, Inbound("sms", TEXTER, "+1", text, new_sid()), when, content, policy
            )
            session.commit()
        return result

    answers = [send("0", start + timedelta(seconds=n)) for n in range(5)]
    assert [bool(a) for a in answers] == [True, True, True, True, False]  # 4th is the notice
    assert send("0", start + timedelta(minutes=2)) != ()


def test_a_burst_of_100_from_several_threads_never_errors(app: Flask) -> None:
    def post(number: int) -> int:
        return post_signed(app.test_client(), sms(f"message {number}")).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(post, range(100)))
    assert set(statuses) == {200}
    assert inbound_count(app) == 100
