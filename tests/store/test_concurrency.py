"""Duplicate deliveries arriving at the same moment, from real threads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from flask import Flask
from sqlalchemy import func, select

from responder import services
from responder.store.db import get_session
from responder.store.models import Contact, Conversation, Erasure, Message
from tests.twilio_requests import post_signed, sms

THREADS = 4


def deliver_at_once(app: Flask, form: dict[str, str]) -> list[tuple[int, bytes]]:
    """Post the same form from several threads released together."""
    barrier = threading.Barrier(THREADS)

    def post(_: int) -> tuple[int, bytes]:
        client = app.test_client()
        barrier.wait()
        response = post_signed(client, form)
        return response.status_code, response.get_data()

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(post, range(THREADS)))


def counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        session = get_session()
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (Contact, Conversation, Message)
        )


def test_simultaneous_first_deliveries_make_one_contact_and_one_answer(app: Flask) -> None:
    for round_number in range(3):
        form = sms("hi", sender=f"+1415555020{round_number}")
        results = deliver_at_once(app, form)
        assert {status for status, _ in results} == {200}
        assert len({body for _, body in results}) == 1
    # Three texters, one conversation each, one message in and one reply each.
    assert counts(app) == (3, 3, 6)


def test_simultaneous_redeliveries_change_the_menu_once(app: Flask) -> None:
    client = app.test_client()
    post_signed(client, sms("hi"))
    for choice in ("1", "1", "1"):
        results = deliver_at_once(app, sms(choice))
        assert {status for status, _ in results} == {200}
        assert len({body for _, body in results}) == 1
    assert counts(app) == (1, 1, 8)
    with app.app_context():
        conversation = get_session().scalars(select(Conversation)).one()
    lang = services.of(app).content.language("en")
    # Three "1"s walked three steps down the right-now path, no more.
    page = "main"
    for _ in range(3):
        page = lang.pages[page].options[0]
    assert conversation.page == page


def test_simultaneous_deliveries_of_the_confirming_delete_erase_once(app: Flask) -> None:
    """The deliveries that lose the race find the contact gone and must not bring it back."""
    client = app.test_client()
    post_signed(client, sms("hi"))
    post_signed(client, sms("DELETE"))
    results = deliver_at_once(app, sms("DELETE"))
    assert {status for status, _ in results} == {200}
    assert len({body for _, body in results}) == 1
    assert counts(app) == (0, 0, 0)
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(Erasure)) == 1
