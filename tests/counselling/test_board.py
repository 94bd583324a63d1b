"""The supervisors' board: every open conversation, its risk in words, its wait, who is there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from responder import policies
from responder.counselling import board
from responder.errors import NotPermitted
from responder.store.db import get_session
from responder.store.models import Counsellor
from tests.counsellors import (
    latest_conversation,
    make_present,
    number,
    queue_texter,
    update_conversation,
)
from tests.twilio_requests import post_signed, sms

CRISIS = "i want to kill myself"


def read(app: Flask, name: str, now: datetime | None = None) -> board.Board:
    with app.app_context():
        session = get_session()
        actor = session.query(Counsellor).filter_by(username=name).one()
        return board.read(
            session,
            actor,
            now or datetime.now(UTC),
            policies.presence(app.config),
            policies.overdue(app.config),
            policies.surge(app.config),
        )


def row(found: board.Board, conversation_id: int) -> board.BoardRow:
    (match,) = [r for r in found.rows if r.id == conversation_id]
    return match


def claim(client: FlaskClient, headers: dict[str, str], conversation_id: int) -> None:
    claimed = client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=headers)
    assert claimed.status_code == 200


def test_the_board_shows_every_open_conversation_with_its_risk_in_words(
    app: Flask, client: FlaskClient, alice: dict[str, str], sam: dict[str, str]
) -> None:
    # A brand-new texter whose very first message is a crisis.
    post_signed(client, sms(CRISIS, sender=number(1)))
    crisis = latest_conversation(app, number(1)).id
    post_signed(client, sms("hi", sender=number(2)))  # seen the menu: asked their age
    young = queue_texter(client, number(2), age_reply="1")
    pressed = queue_texter(client, number(3))
    post_signed(client, sms("they want 500 by tonight", sender=number(3)))
    plain = queue_texter(client, number(4))
    claim(client, alice, plain)
    post_signed(client, sms("hi", sender=number(5)))  # on the menu: not open to a counsellor

    found = read(app, "sam")
    assert {r.id for r in found.rows} == {crisis, young, pressed, plain}
    risks = {r.id: (r.crisis, r.pressure, r.under_18) for r in found.rows}
    assert risks == {
        crisis: (True, False, False),
        young: (False, False, True),
        pressed: (False, True, False),
        plain: (False, False, False),
    }
    assert row(found, plain).state == "counsellor" and row(found, crisis).state == "waiting"
    assert found.waiting == 3 and found.overdue == 0


def test_a_wait_counts_from_the_queue_then_from_the_first_message_not_answered(
    app: Flask, client: FlaskClient, alice: dict[str, str], sam: dict[str, str]
) -> None:
    post_signed(client, sms("hi", sender=number(1)))  # the bot answered this one
    conversation_id = queue_texter(client, number(1))
    queued_at = latest_conversation(app, number(1)).queued_at
    assert row(read(app, "sam"), conversation_id).waiting_since == queued_at

    claim(client, alice, conversation_id)
    # Claimed but not yet answered: still waiting since the queue, not since "hi".
    assert row(read(app, "sam"), conversation_id).waiting_since == queued_at
    sent = client.post(
        f"/api/v1/conversations/{conversation_id}/messages", headers=alice, json={"body": "Hello"}
    )
    assert sent.status_code == 202
    assert row(read(app, "sam"), conversation_id).waiting_since is None

    post_signed(client, sms("are you there", sender=number(1)))
    post_signed(client, sms("hello??", sender=number(1)))
    found = row(read(app, "sam"), conversation_id)
    first = latest_conversation(app, number(1)).last_message_at
    assert found.waiting_since is not None and found.waiting_since < first  # the first of two


def test_a_crisis_is_late_after_five_minutes_and_anyone_else_after_ten(
    app: Flask, client: FlaskClient, sam: dict[str, str]
) -> None:
    post_signed(client, sms(CRISIS, sender=number(1)))
    crisis = latest_conversation(app, number(1))
    other = queue_texter(client, number(2))
    assert crisis.queued_at is not None
    start = crisis.queued_at

    found = read(app, "sam", start + timedelta(minutes=4, seconds=59))
    assert found.overdue == 0
    found = read(app, "sam", start + timedelta(minutes=5, seconds=1))
    assert (row(found, crisis.id).overdue, row(found, other).overdue) == (True, False)
    # The second texter queued a little later; on a busy machine, more than a second later.
    other_start = latest_conversation(app, number(2)).queued_at
    assert other_start is not None
    found = read(app, "sam", other_start + timedelta(minutes=10, seconds=1))
    assert [r.id for r in found.rows] == [crisis.id, other] and found.overdue == 2


def test_late_answers_come_first_then_crises_then_the_longest_waits(
    app: Flask, client: FlaskClient, sam: dict[str, str]
) -> None:
    first = queue_texter(client, number(1))
    second = queue_texter(client, number(2))
    post_signed(client, sms(CRISIS, sender=number(3)))
    crisis = latest_conversation(app, number(3)).id
    now = datetime.now(UTC) + timedelta(minutes=1)
    update_conversation(app, first, queued_at=now - timedelta(minutes=12))
    update_conversation(app, second, queued_at=now - timedelta(minutes=11))
    update_conversation(app, crisis, queued_at=now - timedelta(minutes=1))
    # Nobody late yet: the crisis first, then the longest wait.
    earlier = now - timedelta(minutes=3)
    assert [r.id for r in read(app, "sam", earlier).rows] == [crisis, first, second]
    # Two waits past ten minutes come before a crisis that has not reached five.
    assert [r.id for r in read(app, "sam", now).rows] == [first, second, crisis]


def test_counsellors_show_with_their_presence_and_load(
    app: Flask, client: FlaskClient, alice: dict[str, str], bob: dict[str, str], sam: dict[str, str]
) -> None:
    make_present(app, "alice")
    make_present(app, "bob")
    for index in range(1, 4):
        claim(client, alice, queue_texter(client, number(index)))
    found = read(app, "sam")
    team = {h.username: (h.presence, h.load, h.max_open) for h in found.counsellors}
    assert team == {
        "alice": ("busy", 3, 3),
        "bob": ("available", 0, 3),
        "sam": ("away", 0, 3),  # signed in through a token only: no console page seen
    }
    assert [h.username for h in found.counsellors] == ["bob", "alice", "sam"]
    assert all(r.holder is not None and r.holder.username == "alice" for r in found.rows)
    assert found.rows[0].holder == board.Holder("alice", "busy", 3, 3)


def test_only_supervisors_and_admins_read_the_board(app: Flask, alice: dict[str, str]) -> None:
    with pytest.raises(NotPermitted):
        read(app, "alice")
