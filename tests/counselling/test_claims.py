"""Claims arriving at the same moment, from real threads, each with its own client."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from responder.counselling import handoff
from responder.store.db import get_session
from responder.store.models import Conversation, Counsellor, Event
from tests.counsellors import add_counsellor, latest_conversation, number, queue_texter
from tests.twilio_requests import TEXTER, post_signed, replies, sms

CLAIMANTS = 20


def claim_at_once(app: Flask, claims: list[tuple[dict[str, str], int]]) -> list[tuple[int, dict]]:
    """Post every (headers, conversation id) claim from its own thread, released together."""
    barrier = threading.Barrier(len(claims))

    def post(claim: tuple[dict[str, str], int]) -> tuple[int, dict]:
        headers, conversation_id = claim
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=headers)
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(len(claims)) as pool:
        return list(pool.map(post, claims))


def test_of_twenty_simultaneous_claims_exactly_one_wins(app: Flask, client: FlaskClient) -> None:
    conversation_id = queue_texter(client)
    headers = [add_counsellor(app, f"counsellor{i}") for i in range(CLAIMANTS)]
    results = claim_at_once(app, [(h, conversation_id) for h in headers])

    assert Counter(status for status, _ in results) == {200: 1, 409: CLAIMANTS - 1}
    (winner,) = [body for status, body in results if status == 200]
    assert all(body["error"] for status, body in results if status == 409)
    with app.app_context():
        session = get_session()
        stored = session.get(Conversation, conversation_id)
        assert stored is not None
        assert stored.state == "counsellor"
        assert stored.counsellor is not None
        assert stored.counsellor.username == winner["counsellor"]
        claimed = select(func.count()).select_from(Event).where(Event.kind == "claimed")
        assert session.scalar(claimed) == 1


def test_one_counsellor_at_their_limit_wins_only_one_of_two_claims(
    app: Flask, client: FlaskClient
) -> None:
    headers = add_counsellor(app, "busy", max_open=2)
    ids = [queue_texter(client, number(i)) for i in range(7)]
    assert client.post(f"/api/v1/conversations/{ids[0]}/claim", headers=headers).status_code == 200
    for round_number in range(3):
        pair = ids[1 + 2 * round_number : 3 + 2 * round_number]
        results = claim_at_once(app, [(headers, conversation_id) for conversation_id in pair])
        assert sorted(status for status, _ in results) == [200, 422]
        with app.app_context():
            open_now = get_session().scalar(
                select(func.count())
                .select_from(Conversation)
                .where(Conversation.state == "counsellor")
            )
        assert open_now == 2
        # Free a place for the next round: close the conversation just won.
        (won,) = [body for status, body in results if status == 200]
        closed = client.post(
            f"/api/v1/conversations/{won['id']}/close",
            headers=headers,
            json={"category": "age_unknown"},
        )
        assert closed.status_code == 200


def test_a_message_arriving_during_a_claim_goes_to_the_counsellor(
    app: Flask, client: FlaskClient
) -> None:
    """The texter's MENU, read while a claim is not yet committed, must not undo the claim."""
    conversation_id = queue_texter(client)
    add_counsellor(app, "quick")
    answers: list[list[str]] = []
    menu = threading.Thread(
        target=lambda: answers.append(replies(post_signed(app.test_client(), sms("MENU"))))
    )
    with app.app_context():
        session = get_session()
        counsellor = session.scalars(select(Counsellor).where(Counsellor.username == "quick")).one()
        handoff.claim(session, conversation_id, counsellor, datetime.now(UTC))
        menu.start()
        # Give the texter's request time to read the conversation before the claim lands.
        time.sleep(0.5)
        session.commit()
    menu.join(timeout=30)

    assert answers == [[]]
    claimed = latest_conversation(app, TEXTER)
    assert (claimed.state, claimed.counsellor_id) == ("counsellor", counsellor.id)
