"""A flood from many numbers: one text to the on-call phone, no repeated crisis replies,
no notices to the flood, and a supervisor clearing it from the board in one action."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from responder import policies, services, worker
from responder.channels import twilio
from responder.conversations import queue
from responder.store.db import get_session
from responder.store.models import AuditEntry, Contact, Conversation, Event, Message
from tests.console_sessions import form_token, session_token, sign_in
from tests.counsellors import add_counsellor, latest_conversation, number, queue_texter
from tests.fake_twilio import FakeTwilio
from tests.outbox_rows import Clock
from tests.twilio_requests import post_signed, replies, sms

ONCALL = "+447700900999"
FROM_NUMBER = "+14155550199"
CRISIS = "i want to kill myself"
FLOOD = 200
REAL = "+14155559876"
# The follow-up and late-answer alerts have tests of their own (test_crisis_followup.py,
# test_overdue.py); here the on-call phone hears of crisis marks and the surge only.
QUIET_JOBS = {
    "RESPONDER_CRISIS_FOLLOWUP_SECONDS": 10**9,
    "RESPONDER_OVERDUE_CRISIS_MINUTES": 10**8,
    "RESPONDER_OVERDUE_MINUTES": 10**8,
}


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(RESPONDER_ONCALL_NUMBER=ONCALL, TWILIO_FROM_NUMBER=FROM_NUMBER, **QUIET_JOBS)


def run(app: Flask, fake: FakeTwilio, clock: Clock) -> None:
    worker.run(app, twilio.rest(app.config, fake), once=True, clock=clock)


def to_oncall(fake: FakeTwilio) -> list[str]:
    return [send["Body"] for send in fake.sends if send["To"] == ONCALL]


def act(console: FlaskClient, chosen: list[int], **form: str) -> str:
    """Send the board's flood form as a supervisor would; return the board it leads back to."""
    token = form_token(console.get("/console/board"))
    data = {"csrf_token": token, "conversation": [str(i) for i in chosen], **form}
    response = console.post("/console/board/flood", data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/console/board"
    return console.get("/console/board").get_data(as_text=True)


def waiting_ids(app: Flask) -> list[int]:
    with app.app_context():
        return list(
            get_session().scalars(
                select(Conversation.id).where(Conversation.state == "waiting").order_by("id")
            )
        )


def count(app: Flask, statement) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return get_session().scalar(statement) or 0


def flood(client: FlaskClient) -> dict[str, list[list[str]]]:
    """200 numbers within seconds: half write crisis words three times, half ask for a person."""
    answers: dict[str, list[list[str]]] = {}
    for index in range(FLOOD):
        sender = number(index)
        if index % 2:
            answers[sender] = [
                replies(post_signed(client, sms(CRISIS, sender=sender))) for _ in range(3)
            ]
        else:
            queue_texter(client, sender)
    return answers


def test_a_200_number_flood_is_one_oncall_text_and_is_cleared_in_one_action(
    app: Flask, fake: FakeTwilio
) -> None:
    add_counsellor(app, "sam", role="supervisor")
    client, console = app.test_client(), app.test_client()
    answers = flood(client)
    # A real texter under 18 comes in behind the flood: reads the menu, asks for a person.
    post_signed(client, sms("hi", sender=REAL))
    young = queue_texter(client, REAL, age_reply="1")

    # Each crisis number is answered with the numbers once, however often it writes them,
    # then with the short line; every message is still marked.
    assert all([len(r) for r in each] == [1, 1, 1] for each in answers.values())
    assert all(each[1] == each[2] != each[0] for each in answers.values())
    assert count(app, select(func.count()).where(Event.kind == "crisis")) == 3 * FLOOD // 2

    clock = Clock(datetime.now(UTC))
    run(app, fake, clock)
    (text,) = to_oncall(fake)
    assert text.startswith("Helpline Responder: 101 alerts (100 crisis marks, 1 surge) in ")
    assert "kill" not in text
    clock.advance(minutes=4)
    run(app, fake, clock)
    assert len(to_oncall(fake)) == 1  # still one text to the on-call phone

    # Behind a hundred crises the real texter's place is 101st.
    said = replies(post_signed(client, sms("TALK", sender=REAL)))
    assert said == [
        "You are still in the queue, number 101. A person will reply here. "
        "Reply MENU to leave the queue."
    ]

    sign_in(console, "sam")
    board = console.get("/console/board").get_data(as_text=True)
    assert "Surge: 201 texters joined the queue in the last 5 min." in board
    flooded = [i for i in waiting_ids(app) if i != young]
    assert len(flooded) == FLOOD
    board = act(console, flooded, action="mark")
    assert f"Marked as a flood: {FLOOD}. Left as they were (no longer in the queue): 0." in board
    assert board.count(">Flood</span>") == FLOOD

    # Marked, the flood goes behind the real texter and gets no "still in the queue" text.
    said = replies(post_signed(client, sms("TALK", sender=REAL)))
    assert "number 1." in said[0]
    assert notices_after_eleven_minutes(app) == [young]

    # Cleared as a prank: closed, blocked, each one audited like a close and a block by hand.
    board = act(console, flooded, action="prank", hours="24", sure="yes")
    assert f"Closed as a prank and blocked: {FLOOD}." in board
    assert waiting_ids(app) == [young]
    assert count(app, select(func.count()).where(Contact.blocked_at.is_not(None))) == FLOOD
    closes = select(func.count()).where(AuditEntry.action == "close")
    assert count(app, closes) == FLOOD
    assert count(app, select(func.count()).where(AuditEntry.action == "block")) == FLOOD
    assert count(app, select(func.count()).where(Conversation.state == "closed")) == FLOOD
    with app.app_context():
        detail = get_session().scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "close")
        )
        assert {d["flood"] for d in detail} == {"prank"}


def notices_after_eleven_minutes(app: Flask) -> list[int]:
    """Run the wait notices as if everyone had joined the queue at noon in California."""
    noon = datetime.now(UTC).replace(hour=20, minute=0, second=0, microsecond=0)
    if noon > datetime.now(UTC):
        noon -= timedelta(days=1)  # the flood flag runs from today: keep the look before now
    with app.app_context():
        session = get_session()
        session.execute(
            Conversation.__table__.update()
            .where(Conversation.state == "waiting")
            .values(queued_at=noon)
        )
        notices = policies.wait_notices(app.config, services.of(app))
        queue.send_wait_notices(session, noon + timedelta(minutes=11), notices)
        session.commit()
        return list(
            session.scalars(
                select(Message.conversation_id).where(
                    Message.direction == "out", Message.status == "pending"
                )
            )
        )


def test_closing_a_flood_needs_the_box_ticked_and_leaves_a_claimed_one_alone(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    add_counsellor(app, "sam", role="supervisor")
    chosen = [queue_texter(client, number(i)) for i in range(3)]
    claimed = client.post(f"/api/v1/conversations/{chosen[0]}/claim", headers=alice)
    assert claimed.status_code == 200
    console = app.test_client()
    sign_in(console, "sam")

    board = act(console, chosen, action="abusive", hours="")
    assert "Nothing was changed: Tick the box that says you checked these are a flood." in board
    assert waiting_ids(app) == chosen[1:]

    board = act(console, chosen, action="abusive", hours="", sure="yes")
    assert (
        "Closed as abusive and blocked: 2. Left as they were (no longer in the queue): 1." in board
    )
    assert waiting_ids(app) == []
    assert latest_conversation(app, number(0)).state == "counsellor"  # alice still has it
    log = console.get("/console/audit?action=close").get_data(as_text=True)
    assert log.count("closed as abusive, with others of a flood") == 2
    with app.app_context():
        blocked = get_session().scalars(select(Contact).where(Contact.blocked_at.is_not(None)))
        assert [c.blocked_until for c in blocked] == [None, None]  # until lifted

    # Blocked: the bot stays silent and the queue shut, but crisis words are still answered.
    assert replies(post_signed(client, sms("TALK", sender=number(1)))) == []
    assert len(replies(post_signed(client, sms(CRISIS, sender=number(1))))) == 1


def test_only_supervisors_act_on_a_flood_and_an_empty_choice_is_refused(
    app: Flask, client: FlaskClient, alice: dict[str, str], sam: dict[str, str]
) -> None:
    chosen = queue_texter(client, number(1))
    console = app.test_client()
    sign_in(console, "alice")
    token = session_token(console)
    refused = console.post(
        "/console/board/flood",
        data={"csrf_token": token, "conversation": str(chosen), "action": "mark"},
    )
    assert refused.status_code == 403
    assert waiting_ids(app) == [chosen]

    supervisor = app.test_client()
    sign_in(supervisor, "sam")
    board = act(supervisor, [], action="mark")
    assert "Nothing was changed: Tick at least one conversation." in board
    board = act(supervisor, [chosen], action="delete everything")
    assert "Nothing was changed: Choose what to do with the ticked conversations." in board
    with app.app_context():
        assert get_session().get(Conversation, chosen).priority == 0  # type: ignore[union-attr]


def answered_earlier(app: Flask, minutes: int) -> None:
    """Move the texter's last answer while waiting back by some minutes."""
    with app.app_context():
        session = get_session()
        row = session.get(Conversation, latest_conversation(app, REAL).id)
        assert row is not None and row.acknowledged_at is not None
        row.acknowledged_at -= timedelta(minutes=minutes)
        session.commit()


def test_a_crisis_reply_is_sent_again_after_ten_minutes(app: Flask, client: FlaskClient) -> None:
    first = replies(post_signed(client, sms(CRISIS, sender=REAL)))
    (again,) = replies(post_signed(client, sms(CRISIS, sender=REAL)))
    # In between, never silence: the short line, with the first number to call now.
    assert len(first) == 1 and again == short_line(app)
    answered_earlier(app, 9)
    assert replies(post_signed(client, sms(CRISIS, sender=REAL))) == [short_line(app)]
    answered_earlier(app, 1)
    assert replies(post_signed(client, sms(CRISIS, sender=REAL))) == first


def test_crisis_words_typed_as_a_flood_get_nothing_past_the_rate_limit(
    app: Flask, client: FlaskClient
) -> None:
    answers = [replies(post_signed(client, sms(CRISIS, sender=REAL))) for _ in range(24)]
    assert answers[0][0].startswith("Thank you for telling us.")
    assert answers[1:20] == [[short_line(app)]] * 19
    assert answers[20:] == [[], [], [], []]


def short_line(app: Flask) -> str:
    """What crisis words from REAL get while the crisis lines were sent a moment ago."""
    content = services.of(app).content
    first = content.crisis_help("en", "US", None).first
    assert "988" in first
    return content.language("en").messages["waiting_kept_crisis"].format(line=first)


def test_the_pause_between_crisis_replies_is_the_waiting_reply_setting(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(RESPONDER_WAITING_REPLY_MINUTES=2)
    client = app.test_client()
    first = replies(post_signed(client, sms(CRISIS, sender=REAL)))
    answered_earlier(app, 2)
    assert replies(post_signed(client, sms(CRISIS, sender=REAL))) == first
