"""Deleting at Twilio: media as it arrives, every message of a texter who erases themselves."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from responder import services, worker
from responder.channels import twilio
from responder.channels.simulator import Simulator
from responder.delivery import deletions
from responder.store.db import get_session
from responder.store.models import Conversation, TwilioDeletion
from tests.fake_twilio import (
    ACCOUNT,
    MESSAGES,
    FakeTwilio,
    accept,
    connection_error,
    refuse,
)
from tests.outbox_rows import Clock, contact_of, deliver, write
from tests.twilio_requests import TEXTER, new_sid, post_signed, replies, sms

OTHER_TEXTER = "+14155550456"
MEDIA = ["ME" + "1" * 32, "ME" + "2" * 32]
THREADS = 4


def media_url(message_sid: str, media_sid: str) -> str:
    return f"https://api.twilio.com{MESSAGES}/{message_sid}/Media/{media_sid}"


def mms(body: str, *media_sids: str, sender: str = TEXTER) -> dict[str, str]:
    """An MMS webhook form carrying these media items, as Twilio posts it."""
    sid = new_sid("MM")
    extra = {"NumMedia": str(len(media_sids))}
    for index, media_sid in enumerate(media_sids):
        extra[f"MediaContentType{index}"] = "image/jpeg"
        extra[f"MediaUrl{index}"] = media_url(sid, media_sid)
    return sms(body, sender=sender, sid=sid, **extra)


def message_path(sid: str) -> str:
    return f"{MESSAGES}/{sid}.json"


def media_path(sid: str, media_sid: str) -> str:
    return f"{MESSAGES}/{sid}/Media/{media_sid}.json"


def run(app: Flask, fake: FakeTwilio, clock: Clock) -> None:
    """One round of the real worker, through the real twilio client."""
    worker.run(app, twilio.rest(app.config, fake), once=True, clock=clock)


def waiting(app: Flask) -> list[TwilioDeletion]:
    with app.app_context():
        return list(get_session().scalars(select(TwilioDeletion).order_by(TwilioDeletion.id)))


def test_each_media_item_is_deleted_at_twilio_and_never_fetched(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    form = mms("", *MEDIA)
    messages = services.of(app).content.language("en").messages
    assert replies(post_signed(client, form)) == [messages["media"]]
    run(app, fake, clock)

    sid = form["MessageSid"]
    assert [(call["method"], call["uri"]) for call in fake.requests] == [
        ("DELETE", f"https://api.twilio.com{media_path(sid, media)}") for media in MEDIA
    ]
    assert waiting(app) == []


def test_a_redelivered_message_does_not_queue_its_media_twice(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    form = mms("help", *MEDIA)
    first = replies(post_signed(client, form))
    assert replies(post_signed(client, form)) == first
    assert [(row.message_sid, row.media_sid) for row in waiting(app)] == [
        (form["MessageSid"], media) for media in MEDIA
    ]
    run(app, fake, clock)
    assert len(fake.deletes) == 2


@pytest.mark.parametrize(
    "url",
    [
        "",
        "not a url",
        "http://[broken/Messages/MM/Media/" + MEDIA[0][:-1],
        f"https://api.twilio.com{MESSAGES}/MM{'0' * 32}/Media/ME{'x' * 32}",
        f"https://api.twilio.com{MESSAGES}/MM{'0' * 32}/Media/{MEDIA[0]}0",
        f"https://api.twilio.com{MESSAGES}/MM{'0' * 32}/Media/{MEDIA[0]}\n",
        f"https://api.twilio.com{MESSAGES}/MM{'0' * 32}/Pictures/{MEDIA[0]}",
    ],
)
def test_a_media_url_of_another_shape_is_passed_over(
    app: Flask, client: FlaskClient, url: str
) -> None:
    form = sms("", NumMedia="1", MediaUrl0=url)
    assert post_signed(client, form).status_code == 200
    assert waiting(app) == []


def test_media_sids_are_read_from_every_media_url_in_order() -> None:
    sid = "MM" + "a" * 32
    form = {
        "NumMedia": "1",  # Twilio's count is not trusted to find them all
        "MediaUrl10": media_url(sid, MEDIA[1]) + "?x=1",
        "MediaUrl2": media_url(sid, MEDIA[0]),
        "MediaUrl3": media_url(sid, MEDIA[0]),
        "ReferralMediaUrl": media_url(sid, "ME" + "3" * 32),
    }
    assert twilio.media_sids(form) == (MEDIA[0], MEDIA[1])


def test_erasure_deletes_every_message_of_the_texter_and_no_one_elses(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    hello = sms("hello")
    post_signed(client, hello)
    write(app, conversation_of(app, TEXTER), "I'm here.")
    deliver(app, fake, clock)
    (sent,) = fake.messages
    other = sms("hello", sender=OTHER_TEXTER)
    post_signed(client, other)
    ask, confirm = sms("DELETE"), sms("DELETE")
    post_signed(client, ask)
    post_signed(client, confirm)
    fake.requests.clear()
    run(app, fake, clock)

    theirs = [hello["MessageSid"], sent["sid"], ask["MessageSid"], confirm["MessageSid"]]
    assert sorted(fake.deletes) == sorted(message_path(sid) for sid in theirs)
    assert message_path(other["MessageSid"]) not in fake.deletes
    assert waiting(app) == []


def conversation_of(app: Flask, number: str) -> int:
    contact = contact_of(app, number)
    with app.app_context():
        return (
            get_session()
            .scalars(select(Conversation.id).where(Conversation.contact_id == contact.id))
            .one()
        )


def test_a_message_sent_while_the_texter_erases_is_deleted_too(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    post_signed(client, sms("hello"))
    write(app, conversation_of(app, TEXTER), "I'm here.")
    post_signed(client, sms("DELETE"))

    def erase_then_accept(fake: FakeTwilio, data: dict[str, object]):
        # The confirmation arrives while the worker is handing the message to Twilio.
        post_signed(client, sms("DELETE"))
        return accept()(fake, data)

    fake.script = [erase_then_accept]
    run(app, fake, clock)
    run(app, fake, clock)

    (sent,) = fake.messages
    assert message_path(sent["sid"]) in fake.deletes
    assert waiting(app) == []


def test_already_gone_counts_as_done(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    post_signed(client, mms("", MEDIA[0]))
    fake.delete_script = [refuse(404, 20404, "The requested resource was not found")]
    run(app, fake, clock)
    assert len(fake.deletes) == 1
    assert waiting(app) == []


def test_trouble_at_twilio_is_retried_later_until_it_works(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    post_signed(client, mms("", MEDIA[0]))
    fake.delete_script = [refuse(500), refuse(429, 20429), connection_error()]
    run(app, fake, clock)
    (row,) = waiting(app)
    assert (row.attempts, row.error_code) == (1, 500)
    assert row.next_attempt_at == clock.now + deletions.RETRY.first

    run(app, fake, clock)  # not due yet
    assert len(fake.deletes) == 1
    clock.advance(seconds=15)
    run(app, fake, clock)
    (row,) = waiting(app)
    assert (row.attempts, row.error_code) == (2, 20429)
    assert row.next_attempt_at == clock.now + 2 * deletions.RETRY.first
    clock.advance(seconds=30)
    run(app, fake, clock)
    clock.advance(seconds=60)
    run(app, fake, clock)

    assert len(fake.deletes) == 4
    assert len(set(fake.deletes)) == 1
    assert waiting(app) == []


def test_gives_up_after_the_maximum_and_keeps_the_row_for_an_operator(
    app: Flask,
    client: FlaskClient,
    fake: FakeTwilio,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    form = mms("", MEDIA[0])
    post_signed(client, form)
    fake.delete_script = [refuse(503)] * (deletions.RETRY.attempts + 1)
    for _ in range(deletions.RETRY.attempts + 3):
        run(app, fake, clock)
        clock.advance(hours=1)

    assert len(fake.deletes) == deletions.RETRY.attempts
    (row,) = waiting(app)
    assert (row.attempts, row.error_code) == (deletions.RETRY.attempts, 503)
    gave_up = [r for r in caplog.records if "gave up deleting" in r.getMessage()]
    assert len(gave_up) == 1
    assert gave_up[0].levelno == logging.WARNING
    assert f"deletion={row.id}" in gave_up[0].getMessage()
    assert TEXTER.lstrip("+") not in caplog.text


def test_without_twilio_the_rows_are_simply_removed(app: Flask, client: FlaskClient) -> None:
    post_signed(client, mms("", *MEDIA))
    worker.run(app, Simulator(), once=True, clock=Clock())
    assert waiting(app) == []


def test_deletes_use_the_configured_api_base_url(
    make_app: Callable[..., Flask], fake: FakeTwilio, clock: Clock
) -> None:
    app = make_app(TWILIO_API_BASE_URL="http://127.0.0.1:4010/")
    post_signed(app.test_client(), mms("", MEDIA[0]))
    run(app, fake, clock)
    (call,) = fake.requests
    assert call["uri"].startswith(f"http://127.0.0.1:4010/2010-04-01/Accounts/{ACCOUNT}/")


def test_workers_at_once_delete_each_record_exactly_once(app: Flask, clock: Clock) -> None:
    sids = [new_sid("MM") for _ in range(40)]
    with app.app_context():
        session = get_session()
        deletions.queue_messages(session, sids, clock.now)
        session.commit()
    fake = FakeTwilio(clock)
    barrier = threading.Barrier(THREADS)

    def work(_: int) -> int:
        barrier.wait()
        sessions = services.of(app).sessions
        return deletions.delete_due(sessions, twilio.rest(app.config, fake), clock, 100)

    with ThreadPoolExecutor(THREADS) as pool:
        handled = list(pool.map(work, range(THREADS)))

    assert sum(handled) == len(sids)
    assert sorted(fake.deletes) == sorted(message_path(sid) for sid in sids)
    assert waiting(app) == []
