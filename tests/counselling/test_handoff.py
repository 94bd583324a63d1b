"""Counsellor use cases below the API: races the API cannot stage, and what gets logged."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from responder.counselling import handoff
from responder.errors import Conflict
from responder.store.db import get_session
from responder.store.models import Conversation, Counsellor
from tests.counsellors import (
    add_counsellor,
    conversation,
    make_present,
    queue_texter,
    update_conversation,
)
from tests.twilio_requests import TEXTER, post_signed, sms


def test_a_claim_fails_if_the_texter_rejoined_the_queue_since_it_was_read(
    app: Flask, client: FlaskClient
) -> None:
    add_counsellor(app, "alice")
    conversation_id = queue_texter(client)
    with app.app_context():
        session = get_session()
        alice = session.scalars(select(Counsellor)).one()
        stale = session.get(Conversation, conversation_id)
        assert stale is not None
        session.commit()
        # Meanwhile the texter left with MENU and asked again with TALK.
        update_conversation(app, conversation_id, queued_at=stale.queued_at + timedelta(minutes=3))
        with pytest.raises(Conflict):
            handoff.claim(session, conversation_id, alice, datetime.now(UTC))
        session.rollback()
    assert conversation(app, conversation_id).state == "waiting"


def test_the_wait_is_recorded_with_the_claim(app: Flask, client: FlaskClient) -> None:
    headers = add_counsellor(app, "alice")
    conversation_id = queue_texter(client)
    queued_at = datetime.now(UTC) - timedelta(minutes=7)
    update_conversation(app, conversation_id, queued_at=queued_at)
    client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=headers)
    assert 7 * 60 <= conversation(app, conversation_id).last_wait_seconds < 8 * 60


def test_the_categories_are_those_of_the_safeguarding_reference() -> None:
    tops = {category.split("/")[0] for category in handoff.CATEGORIES}
    assert tops == {"violence", "mental_health", "non_counselling", "adult", "age_unknown"}
    assert len(set(handoff.CATEGORIES)) == len(handoff.CATEGORIES)
    assert "sextortion" in handoff.LOCAL_TAGS
    assert "adult/sextortion" in handoff.CATEGORIES


def test_logs_hold_neither_text_nor_numbers(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    alice = add_counsellor(app, "alice")
    add_counsellor(app, "bob")
    make_present(app, "bob")
    conversation_id = queue_texter(client)
    post_signed(client, sms("my secret worry"))
    base = f"/api/v1/conversations/{conversation_id}"
    client.post(f"{base}/claim", headers=alice)
    client.post(f"{base}/messages", headers=alice, json={"body": "a private reply"})
    client.post(f"{base}/notes", headers=alice, json={"body": "a private note"})
    client.post(f"{base}/transfer", headers=alice, json={"to": "bob"})
    client.get(base, headers=alice)
    assert "conversation claimed" in caplog.text
    for secret in ("my secret worry", "a private reply", "a private note", TEXTER, TEXTER[2:]):
        assert secret not in caplog.text
