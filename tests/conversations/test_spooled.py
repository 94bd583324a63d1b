"""Messages the database never saw: the static answer, and storing them once it is back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from responder import policies, services
from responder.bot.content import load
from responder.channels.transport import Inbound
from responder.conversations import spooled
from responder.store.db import get_session
from responder.store.models import Message
from responder.store.spool import SET_ASIDE
from tests.checkout import ROOT
from tests.fake_twilio import FakeTwilio
from tests.outage import database_stopped, run_worker, spooled_files, timed_post
from tests.twilio_requests import post_signed, sms

CONTENT = load(ROOT / "content")
NOW = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)


def inbound(text: str, address: str = "+14155550123", **extra: object) -> Inbound:
    return Inbound("sms", address, "+14155550100", text, "SM" + "1" * 32, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("message", "address", "language", "expected"),
    [
        ("hello", "+14155550123", "en", "Emergency: 911"),
        ("i want to kill myself", "+14155550123", "en", "crisis"),
        ("je veux mourir", "+33612345678", "fr", "crisis"),
        ("bonjour", "+33612345678", "fr", "Police: 17"),
        ("STOP", "+14155550123", "en", None),
    ],
)
def test_the_static_answer_follows_the_number_and_the_words(
    message: str, address: str, language: str, expected: str | None
) -> None:
    lang = CONTENT.language(language)
    replies, is_crisis = spooled.answer(CONTENT, inbound(message, address), kept=True)
    if expected is None:
        assert replies == () and not is_crisis
    elif expected == "crisis":
        country = "US" if address.startswith("+1") else "FR"
        assert replies == (lang.crisis_outage(CONTENT.crisis_help(language, country, None)),)
        assert is_crisis
    else:  # the outage reply, ending on the texter's own emergency number
        assert replies == (lang.messages["outage"].format(emergency=expected),)
        assert not is_crisis


def test_a_message_twilio_already_answered_as_stop_gets_nothing_more() -> None:
    replies, _ = spooled.answer(CONTENT, inbound("Stop please", opt_out_type="STOP"), kept=True)
    assert replies == ()


def test_a_spool_that_cannot_be_written_promises_nothing(make_app, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    app = make_app(RESPONDER_SPOOL_DIR=str(blocker / "spool"))
    client = app.test_client()
    en = services.of(app).content.language("en")
    with database_stopped(app):
        (reply,), _ = timed_post(client, "hello")
        (crisis,), _ = timed_post(client, "i want to kill myself")
    assert reply == en.messages["fallback"].format(emergency="Emergency: 911")
    assert "988" in crisis


def count_inbound(app: Flask) -> int:
    with app.app_context():
        session = get_session()
        return session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "in")
        )


def test_a_message_stored_before_the_failure_is_not_stored_again(
    app: Flask, client: FlaskClient
) -> None:
    # The webhook's commit went through, but the database vanished before it could say so.
    form = sms("hello")
    post_signed(client, form)
    spool = policies.spool(app.config, services.of(app))
    message = Inbound("sms", "+14155550123", "+14155550100", "hello", form["MessageSid"])
    spooled.keep(spool, message, NOW, services.of(app).content)
    run_worker(app, FakeTwilio())
    assert count_inbound(app) == 1
    assert spooled_files(app) == []


def test_a_file_that_cannot_be_read_is_set_aside_and_the_rest_stored(
    app: Flask, client: FlaskClient
) -> None:
    with database_stopped(app):
        timed_post(client, "hello")
    (path,) = spooled_files(app)
    path.rename(path.with_name("0" * 64 + ".spool"))
    (path.parent / ("f" * 64 + ".spool")).write_bytes(b"not a spooled message")
    run_worker(app, FakeTwilio())
    assert count_inbound(app) == 1
    assert spooled_files(app) == []
    assert len(list((path.parent / SET_ASIDE).iterdir())) == 1
