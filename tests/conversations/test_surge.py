"""A surge of texters joining the queue: supervisors hear of it once, when it begins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select, update

from responder import policies
from responder.conversations import surge
from responder.store.db import get_session
from responder.store.models import Alert, Conversation, Event
from tests.counsellors import number, queue_texter

NOON = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def join(app: Flask, first: int, many: int, at: datetime) -> None:
    """Have many new texters ask for a person, as if they had joined the queue at `at`."""
    client = app.test_client()
    ids = [queue_texter(client, number(first + n)) for n in range(many)]
    with app.app_context():
        session = get_session()
        session.execute(update(Conversation).where(Conversation.id.in_(ids)).values(queued_at=at))
        session.commit()


def look(app: Flask, now: datetime) -> bool:
    with app.app_context():
        session = get_session()
        told = surge.report_if_new(session, now, policies.surge(app.config))
        session.commit()
        return told


def reported(app: Flask) -> tuple[int, int]:
    """How many surge events the feed holds, and how many surge alerts wait to be sent."""
    with app.app_context():
        session = get_session()
        events = session.scalars(select(Event).where(Event.kind == "surge")).all()
        alerts = session.scalars(select(Alert).where(Alert.kind == "surge")).all()
        return len(events), len(alerts)


def test_a_surge_is_reported_once_while_it_lasts_and_again_when_it_comes_back(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(
        RESPONDER_SURGE_CONVERSATIONS=4,
        RESPONDER_SURGE_MINUTES=5,
        RESPONDER_ONCALL_NUMBER="+447700900999",
    )
    join(app, 0, 3, NOON)
    assert look(app, NOON + timedelta(minutes=1)) is False  # three is not a surge
    join(app, 3, 1, NOON + timedelta(minutes=2))
    assert look(app, NOON + timedelta(minutes=2)) is True
    assert reported(app) == (1, 1)
    # Still going a few minutes later, with more joining: no second word.
    join(app, 4, 4, NOON + timedelta(minutes=6))
    assert look(app, NOON + timedelta(minutes=6)) is False
    assert look(app, NOON + timedelta(minutes=10)) is False
    assert reported(app) == (1, 1)
    # Quiet for longer than the window, then a new surge: reported again.
    assert look(app, NOON + timedelta(minutes=12)) is False  # nobody new for five minutes
    join(app, 8, 4, NOON + timedelta(minutes=17))
    assert look(app, NOON + timedelta(minutes=17)) is True
    assert reported(app) == (2, 2)


def test_without_an_oncall_number_the_board_hears_of_it_and_zero_turns_it_off(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(RESPONDER_SURGE_CONVERSATIONS=2)
    join(app, 0, 2, NOON)
    assert look(app, NOON) is True
    assert reported(app) == (1, 0)  # the feed (the board) only

    off = make_app(RESPONDER_SURGE_CONVERSATIONS=0)
    assert look(off, NOON + timedelta(hours=1)) is False
