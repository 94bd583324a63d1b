"""How many SQL statements a texter's message costs: the webhook's throughput rests on it.

Speed itself is measured by bench/, not here; these counts are exact, so they do not
flake, and a change that adds a round trip to every message shows up as a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from responder.store.db import get_session
from tests.twilio_requests import post_signed, replies, sms, whatsapp

# A menu page for a texter already in a conversation: lock the contact, look for the
# sid, lock the conversation, count the page, update the conversation, add the event,
# store the message and its reply (BEGIN and COMMIT not counted).
MENU_PAGE = 8
# Joining the queue (the age answer after TALK) also looks at who is free and counts the
# handoff; a message while waiting looks at who is free and at the texter's place; a
# crisis counts the mark and the handoff and looks at who is free. Each updates the
# conversation once, however often the message changed it.
JOINING, WAITING, CRISIS = 9, 9, 10


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL the app sends while the block runs."""
    with app.app_context():
        engine = get_session().get_bind()
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]).split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def sql_of(app: Flask, client: FlaskClient, form: dict[str, str]) -> list[str]:
    with statements(app) as seen:
        assert replies(post_signed(client, form))
    return [verb for verb in seen if verb not in {"BEGIN", "COMMIT", "PRAGMA"}]


def test_a_menu_page_costs_a_fixed_handful_of_statements(app: Flask, client: FlaskClient) -> None:
    post_signed(client, sms("hi"))
    assert len(sql_of(app, client, sms("2"))) == MENU_PAGE
    assert len(sql_of(app, client, sms("MENU"))) <= MENU_PAGE


def test_a_whatsapp_texter_is_also_checked_for_held_texts(app: Flask, client: FlaskClient) -> None:
    """Held texts exist only on WhatsApp: SMS skips the look, WhatsApp must not."""
    post_signed(client, whatsapp("hi"))
    assert len(sql_of(app, client, whatsapp("2"))) == MENU_PAGE + 1


def test_joining_the_queue_and_waiting_cost_a_fixed_handful(
    app: Flask, client: FlaskClient
) -> None:
    post_signed(client, sms("hi"))
    post_signed(client, sms("TALK"))
    assert len(sql_of(app, client, sms("3"))) == JOINING
    assert len(sql_of(app, client, sms("ok thank you"))) == WAITING


def test_a_crisis_costs_a_fixed_handful(app: Flask, client: FlaskClient) -> None:
    post_signed(client, sms("hi"))
    sent = sql_of(app, client, sms("i want to die"))
    assert len(sent) == CRISIS
    assert sent.count("UPDATE") == 1
