"""The counsellor API against its own OpenAPI document, with requests Schemathesis generates.

Every operation gets its boundary cases (including methods it does not declare) and a
fixed number of random requests, valid and invalid, with a supervisor's token; invalid
ones include a missing token, and every success is tried again without a token and with
a wrong one. No answer may be a 500 or stray from the document: status codes, content
types, headers and bodies are all checked, with Schemathesis's default checks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from sqlalchemy import select

from responder.staff import auth
from responder.store.db import get_session
from responder.store.models import ApiToken, Counsellor
from responder.web import openapi
from tests.counsellors import add_counsellor, number, queue_texter

WAITING, CLAIMED = 1, 2
# The supervisor's token, fixed so that Schemathesis knows it when it builds the cases.
TOKEN = "supervisor-token-for-the-schema-tests"
NOW = datetime.now(UTC)
# Statuses that answer a well-formed request the state of things refuses: someone else
# has it (409), or the values break a rule the document states in words (422).
REFUSALS = ["2xx", 401, 403, 404, 409, 422]


class AppUnderTest:
    """A WSGI app that passes each request to the app the running test built."""

    app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        assert self.app is not None, "the served fixture sets the app"
        return self.app(environ, start_response)


UNDER_TEST = AppUnderTest()
CONFIG = SchemathesisConfig.from_dict(
    {
        # Fixed, so a run is the same on every machine and a failure can be replayed.
        "seed": 20260101,
        "auth": {"openapi": {"bearer": {"bearer": TOKEN}}},
        # The API refuses NUL and lone surrogates with 400, as the document says in
        # words only; test_api checks those refusals.
        "generation": {"allow-x00": False, "codec": "utf-8"},
        "checks": {"positive_data_acceptance": {"expected-statuses": REFUSALS}},
        "operations": [
            # Cursors are the API's own: a well-formed one it could not have given out
            # (any string for the queue, a number past 32 bits for events) gets 400.
            {
                "include-path": [
                    f"{openapi.PREFIX}/{name}" for name in ("queue", "events", "audit")
                ],
                "checks": {"positive_data_acceptance": {"expected-statuses": [*REFUSALS, 400]}},
            },
            # Query parameters the API does not know are ignored, as OpenAPI allows;
            # unknown fields in a body are refused, and that stays checked.
            {"include-method": "GET", "generation": {"allow-extra-parameters": False}},
        ],
        # Half the ids and usernames are ones that exist, so actions do real work.
        "dictionaries": {
            "conversations": {"values": [WAITING, CLAIMED]},
            "usernames": {"values": ["alice", "sam"]},
        },
        "parameters": {
            "path.conversation_id": {"dictionary": "conversations", "probability": 0.5},
            "body.to": {"dictionary": "usernames", "probability": 0.5},
        },
    }
)
# The document is a constant the app serves as it is (checked below), so the tests
# are known when pytest collects them; the app itself is built per test.
schema = schemathesis.openapi.from_dict(openapi.DOCUMENT, config=CONFIG)
schema.app = UNDER_TEST


@pytest.fixture
def served(app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Serve the app with a supervisor, a counsellor, one waiting and one claimed texter."""
    headers = add_counsellor(app, "sam", role="supervisor")
    add_counsellor(app, "alice")
    with app.app_context():
        session = get_session()
        sam = session.scalars(select(Counsellor).where(Counsellor.username == "sam")).one()
        session.add(
            ApiToken(
                counsellor=sam,
                name="schema",
                token_hash=auth.token_hash(TOKEN),
                created_at=NOW,
                expires_at=NOW + auth.TOKEN_LIFETIME,
            )
        )
        session.commit()
    assert queue_texter(client, number(1)) == WAITING
    assert queue_texter(client, number(2)) == CLAIMED
    assert client.post(f"/api/v1/conversations/{CLAIMED}/claim", headers=headers).status_code == 200
    monkeypatch.setattr(UNDER_TEST, "app", app)


def test_the_served_document_is_the_one_tested(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == json.loads(json.dumps(openapi.DOCUMENT))


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_to_its_document(case: schemathesis.Case, served: None) -> None:
    case.call_and_validate()
