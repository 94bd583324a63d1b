"""Asking for a person: joining the queue, honest waits, silence, leaving, reminders, survey."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from responder import policies, services
from responder.channels.transport import Inbound
from responder.conversations import queue
from responder.conversations.hours import load
from responder.conversations.receiving import Policy, receive
from responder.store.db import get_session
from responder.store.models import Conversation, Message
from tests import counsellors
from tests.checkout import ROOT
from tests.console_sessions import session_token, sign_in, update_account
from tests.outbox_rows import opened
from tests.twilio_requests import TEXTER, new_sid, post_signed, replies, sms, whatsapp

EXAMPLE_HOURS = ROOT / "hours.example.toml"


def lang(app: Flask):
    return services.of(app).content.language("en")


def talk(client: FlaskClient, word: str = "TALK") -> str:
    """Ask for a person from the menu: the age question comes first; skip it, return the reply."""
    (question,) = replies(post_signed(client, sms(word)))
    assert question == lang(client.application).messages["age_question"]
    (reply,) = replies(post_signed(client, sms("3")))
    return reply


def add_counsellor(app: Flask, name: str = "sam", available: bool = True) -> None:
    """Create an account through the same code as the CLI; if available, go on duty as the
    console does: signed in, the switch turned on from the page (which also shows them there).
    """
    counsellors.add_counsellor(app, name)
    if available:
        console = app.test_client()
        sign_in(console, name)
        response = console.put(
            "/api/v1/me/availability",
            json={"available": True},
            headers={"X-CSRF-Token": session_token(console)},
        )
        assert response.status_code == 200


def conversation_of(app: Flask, texter: str = TEXTER) -> Conversation:
    keys = services.of(app).keys
    with app.app_context():
        for conversation in get_session().scalars(select(Conversation)).all():
            if keys.decrypt(conversation.contact.address_encrypted) == texter:
                return conversation
    raise AssertionError("no conversation for that texter")


def set_state(app: Flask, conversation_id: int, **values: object) -> None:
    with app.app_context():
        session = get_session()
        conversation = session.get(Conversation, conversation_id)
        for name, value in values.items():
            setattr(conversation, name, value)
        session.commit()


def test_talk_joins_the_queue_and_says_where(app: Flask, client: FlaskClient) -> None:
    add_counsellor(app)
    post_signed(client, sms("hi"))
    reply = talk(client)
    assert "number 1 in the queue" in reply
    assert lang(app).messages["wait_unknown"] in reply
    assert conversation_of(app).state == "waiting"
    second = "+14155550177"
    (other,) = replies(post_signed(client, sms("counsellor", sender=second)))
    assert other.startswith(lang(app).messages["welcome"])
    assert "number 2 in the queue" in other


@pytest.mark.parametrize("word", ["TALK", "talk", "Counsellor", "COUNSELOR", "human!"])
def test_every_talk_word_asks_for_a_person(app: Flask, client: FlaskClient, word: str) -> None:
    add_counsellor(app)
    post_signed(client, sms("hi"))
    talk(client, word)
    assert conversation_of(app).state == "waiting"


def test_main_menu_offers_a_person(app: Flask, client: FlaskClient) -> None:
    add_counsellor(app)
    (menu,) = replies(post_signed(client, sms("hi")))
    number = next(line.split()[0] for line in menu.splitlines() if "Talk to a person" in line)
    reply = talk(client, number)
    assert "in the queue" in reply
    assert conversation_of(app).state == "waiting"


def test_expected_wait_comes_from_recent_claims(app: Flask, client: FlaskClient) -> None:
    add_counsellor(app)
    now = datetime.now(UTC)
    for number, seconds in (("+14155550181", 600), ("+14155550182", 1500), ("+14155550183", 900)):
        post_signed(client, sms("hi", sender=number))
        conversation = conversation_of(app, number)
        set_state(
            app,
            conversation.id,
            state="counsellor",
            claimed_at=now - timedelta(hours=1),
            last_wait_seconds=seconds,
        )
    post_signed(client, sms("hi"))
    reply = talk(client)
    assert "The wait is about 15 minutes." in reply


def test_nobody_available_is_said_honestly(app: Flask, client: FlaskClient) -> None:
    add_counsellor(app, available=False)
    post_signed(client, sms("hi"))
    reply = talk(client)
    messages = lang(app).messages
    assert reply.startswith("Nobody is free to talk right now.")
    assert messages["opens_unknown"] in reply
    # Their own emergency number, not "your local emergency number" (a US texter here).
    assert "In danger now? Emergency: 911" in reply
    assert messages["queued_while_closed"] in reply
    assert conversation_of(app).state == "waiting"


@pytest.mark.parametrize(
    ("texter", "code", "first", "danger"),
    [
        ("+33612345678", "fr", "PARLER", "En danger ? Police: 17"),
        ("+525512345678", "es", "HABLAR", "¿En peligro? Emergencias: 911"),
        # Bosnia has no resource file: what to do instead, in words.
        ("+38761123456", "en", "TALK", "In danger now? Call your local emergency number."),
    ],
)
def test_asking_for_a_person_gives_the_texters_own_emergency_number(
    app: Flask, client: FlaskClient, texter: str, code: str, first: str, danger: str
) -> None:
    """A new texter whose first message asks for a person, with nobody free: the welcome,
    the truth, and the emergency number of their own country in their language."""
    add_counsellor(app, available=False)
    (reply,) = replies(post_signed(client, sms(first, sender=texter)))
    assert reply.startswith(services.of(app).content.language(code).messages["welcome"])
    assert danger in reply


def test_a_texter_waiting_hears_the_truth_once_the_counsellor_has_gone(
    app: Flask, client: FlaskClient
) -> None:
    """The switch stays on, but sam's console stopped checking in: nobody is there now."""
    add_counsellor(app)
    post_signed(client, sms("hi"))
    assert "A person from the helpline will reply here." in talk(client)
    gone = datetime.now(UTC) - timedelta(minutes=5)
    update_account(app, "sam", last_seen_at=gone)
    # The pause between answers to a waiting texter is over.
    set_state(app, conversation_of(app).id, acknowledged_at=gone - timedelta(minutes=10))
    (reply,) = replies(post_signed(client, sms("are you there")))
    assert reply.startswith("We got your message. Nobody is free right now.")
    assert conversation_of(app).state == "waiting"  # still queued for whoever comes


def test_closed_service_says_when_it_opens(app: Flask) -> None:
    add_counsellor(app)
    content = services.of(app).content
    policy = Policy(keys=services.of(app).keys, hours=load(EXAMPLE_HOURS))
    saturday_night = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)
    with app.app_context():
        session = get_session()
        for text in ("hi", "TALK", "3"):  # 3 skips the age question
            inbound = Inbound("sms", TEXTER, "+1", text, new_sid())
            (reply,) = receive(session, inbound, saturday_night, content, policy)
        session.commit()
    assert "We open again Sunday at 12:00." in reply


def test_two_new_texters_asking_at_the_same_moment_are_told_one_and_two(app: Flask) -> None:
    """A texter whose very first message asks for a person has no saved conversation yet
    when told their place: one queued at the same moment comes first, not level."""
    add_counsellor(app)
    content = services.of(app).content
    policy = Policy(keys=services.of(app).keys)
    now = datetime.now(UTC)
    told = []
    with app.app_context():
        session = get_session()
        for number in ("+14155550181", "+14155550182"):
            (reply,) = receive(
                session, Inbound("sms", number, "+1", "TALK", new_sid()), now, content, policy
            )
            told.append(reply)
        session.commit()
    assert "number 1 in the queue" in told[0]
    assert "number 2 in the queue" in told[1]


def test_closed_service_can_refuse_to_queue(app: Flask) -> None:
    content = services.of(app).content
    policy = Policy(keys=services.of(app).keys, queue_when_closed=False)
    now = datetime.now(UTC)
    with app.app_context():
        session = get_session()
        for text in ("hi", "TALK", "3"):  # 3 skips the age question
            inbound = Inbound("sms", TEXTER, "+1", text, new_sid())
            (reply,) = receive(session, inbound, now, content, policy)
        session.commit()
    assert lang(app).messages["not_queued"] in reply
    assert conversation_of(app).state == "menu"


def test_a_waiting_texter_is_answered_now_and_then_and_menu_leaves(
    app: Flask, client: FlaskClient
) -> None:
    add_counsellor(app)
    post_signed(client, sms("hi"))
    talk(client)
    (heard,) = replies(post_signed(client, sms("they posted it, please help")))
    assert "number 1 in the queue" in heard
    # Within the next 10 minutes messages are kept for the counsellor, each answered by one
    # short line rather than the same paragraph again.
    assert replies(post_signed(client, sms("3"))) == [lang(app).messages["waiting_kept"]]
    (again,) = replies(post_signed(client, sms("TALK")))
    assert "still in the queue, number 1" in again
    (home,) = replies(post_signed(client, sms("MENU")))
    assert home.startswith(lang(app).messages["left_queue"])
    assert "1 Right now" in home
    conversation = conversation_of(app)
    assert conversation.state == "menu"
    assert conversation.queued_at is None
    with app.app_context():
        inbound = select(Message).where(Message.direction == "in").order_by(Message.id)
        kept = [message.body for message in get_session().scalars(inbound)]
    assert "they posted it, please help" in kept


def test_with_a_counsellor_everything_is_passed_on(app: Flask, client: FlaskClient) -> None:
    add_counsellor(app)
    post_signed(client, sms("hi"))
    talk(client)
    set_state(app, conversation_of(app).id, state="counsellor", claimed_at=datetime.now(UTC))
    for text in ("MENU", "0", "BACK", "TALK", "hello?"):
        assert replies(post_signed(client, sms(text))) == []
    help_text = lang(app).messages["help"].format(emergency="Emergency: 911")
    assert replies(post_signed(client, sms("HELP"))) == [help_text]
    assert replies(post_signed(client, sms("STOP"))) == []
    assert conversation_of(app).state == "counsellor"


def test_media_while_waiting_is_still_refused(app: Flask, client: FlaskClient) -> None:
    add_counsellor(app)
    post_signed(client, whatsapp("hi"))
    post_signed(client, whatsapp("TALK"))
    post_signed(client, whatsapp("3"))  # skips the age question
    assert conversation_of(app).state == "waiting"
    form = whatsapp("", NumMedia="1", MediaContentType0="image/jpeg")
    form["MediaUrl0"] = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
    assert replies(post_signed(client, form)) == [lang(app).messages["media"]]


@pytest.mark.parametrize(
    ("texter", "minutes", "hour_utc", "expected"),
    [
        ("+447700900123", 9, 12, 0),  # not yet ten minutes
        ("+447700900123", 11, 12, 1),
        ("+447700900123", 21, 12, 2),
        ("+447700900123", 45, 12, 2),  # never more than two
        ("+447700900123", 21, 23, 0),  # 23:00 in London: quiet
        ("+14155550123", 21, 23, 2),  # 15:00 in California
        ("+14155550123", 21, 9, 0),  # 01:00 in California
    ],
)
def test_wait_notices(
    app: Flask, client: FlaskClient, texter: str, minutes: int, hour_utc: int, expected: int
) -> None:
    add_counsellor(app)
    post_signed(client, sms("TALK", sender=texter))
    queued_at = datetime(2026, 12, 2, hour_utc, 0, tzinfo=UTC)
    conversation = conversation_of(app, texter)
    set_state(app, conversation.id, queued_at=queued_at)
    notices = policies.wait_notices(app.config, services.of(app))
    with app.app_context():
        session = get_session()
        for step in range(0, minutes + 1, 2):
            queue.send_wait_notices(session, queued_at + timedelta(minutes=step), notices)
            session.commit()
        notices = opened(
            session.scalars(select(Message).where(Message.status == "pending").order_by(Message.id))
        )
    assert len(notices) == expected
    # With the emergency number of the texter's own country.
    number = "911" if texter.startswith("+1") else "999"
    assert all(n.body.startswith("You are still in the queue.") for n in notices)
    assert all(n.body.endswith(f": {number}") for n in notices)


def test_survey_answer_is_stored_on_the_closed_conversation(
    app: Flask, client: FlaskClient
) -> None:
    post_signed(client, sms("hi"))
    conversation = conversation_of(app)
    now = datetime.now(UTC)
    set_state(app, conversation.id, state="closed", closed_at=now, survey_pending=True)
    (thanks,) = replies(post_signed(client, sms("4")))
    assert thanks == lang(app).messages["survey_thanks"]
    closed = conversation_of(app)
    assert (closed.survey_answer, closed.survey_pending) == ("4", False)


def test_a_new_message_after_close_is_not_taken_as_an_answer(
    app: Flask, client: FlaskClient
) -> None:
    post_signed(client, sms("hi"))
    conversation = conversation_of(app)
    set_state(
        app, conversation.id, state="closed", closed_at=datetime.now(UTC), survey_pending=True
    )
    (welcome,) = replies(post_signed(client, sms("they are back")))
    assert welcome.startswith(lang(app).messages["welcome"])
    (page,) = replies(post_signed(client, sms("4")))
    assert "Tell an adult" in page
    with app.app_context():
        first = get_session().get(Conversation, conversation.id)
    assert first.survey_answer is None
    assert first.survey_pending is False
