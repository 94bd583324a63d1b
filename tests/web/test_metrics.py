"""GET /metrics: a monitor with its own token reads counts and the queue; nobody else can."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from responder import create_app, worker
from responder.store.db import get_session
from responder.store.models import Conversation
from tests.checkout import ROOT
from tests.counsellors import latest_conversation, number, queue_texter
from tests.delivery.test_status import callback, report
from tests.fake_twilio import FakeTwilio, accept, refuse
from tests.outbox_rows import Clock, add_texter, deliver, outbound, write
from tests.twilio_requests import PUBLIC_URL, TEXTER, post_signed, settings, sms
from tests.web.test_security_headers import carries_the_baseline

TOKEN = "metrics-token-for-tests"
MONITOR = {"Authorization": f"Bearer {TOKEN}"}
CRISIS = "i want to kill myself"
Figures = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(RESPONDER_METRICS_TOKEN=TOKEN)


def scrape(client: FlaskClient) -> str:
    response = client.get("/metrics", headers=MONITOR)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def figures(client: FlaskClient) -> Figures:
    """Every sample of a scrape, by name and labels."""
    found: Figures = {}
    for family in text_string_to_metric_families(scrape(client)):
        for sample in family.samples:
            found[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return found


def answers(found: Figures, route: str, status: str) -> float:
    return found.get(("responder_responses_total", (("route", route), ("status", status))), 0)


def by_priority(found: Figures, name: str) -> dict[str, float]:
    return {dict(labels)["priority"]: value for (n, labels), value in found.items() if n == name}


def test_metrics_do_not_exist_without_their_own_token(make_app: Callable[..., Flask]) -> None:
    client = make_app().test_client()
    refused = client.get("/metrics", headers={"Authorization": "Bearer anything"})
    assert refused.status_code == 404
    # The same answer as for any path that does not exist: nothing says it is there.
    assert refused.get_json() == client.get("/nothing-here").get_json()


@pytest.mark.parametrize(
    "header",
    [None, "Bearer wrong-token", f"bearer {TOKEN}x", TOKEN, f"Basic {TOKEN}"],
)
def test_a_missing_or_wrong_token_is_refused(app: Flask, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = app.test_client().get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert "responder_" not in response.get_data(as_text=True)


def test_the_scrape_carries_the_security_headers(app: Flask) -> None:
    response = app.test_client().get("/metrics", headers=MONITOR)
    assert response.status_code == 200
    carries_the_baseline(response)
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_webhook_answers_are_counted_by_route_never_by_texter(client: FlaskClient) -> None:
    before = figures(client)
    for words in ("hi", "my secret words"):
        assert post_signed(client, sms(words)).status_code == 200
    after = figures(client)
    assert (
        answers(after, "/twilio/messages", "200") - answers(before, "/twilio/messages", "200") == 2
    )
    latency = ("responder_request_duration_seconds_count", (("route", "/twilio/messages"),))
    assert after[latency] - before.get(latency, 0) == 2
    text = scrape(client)
    assert "secret" not in text
    assert TEXTER.lstrip("+") not in text
    assert "5550123" not in text


def test_paths_matching_no_route_are_counted_together(client: FlaskClient) -> None:
    for path in ("/wp-login.php", "/+14155550123", "/.env"):
        assert client.get(path).status_code == 404
    found = figures(client)
    assert answers(found, "unmatched", "404") == 3
    assert "wp-login" not in scrape(client)


def test_a_bad_signature_is_counted(client: FlaskClient) -> None:
    failures = ("responder_webhook_signature_failures_total", (("route", "/twilio/messages"),))
    assert figures(client).get(failures, 0) == 0
    forged = client.post(
        "/twilio/messages",
        data=sms("hi"),
        headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
        base_url=PUBLIC_URL,
    )
    assert forged.status_code == 403
    assert post_signed(client, sms("hi")).status_code == 200
    found = figures(client)
    assert found[failures] == 1
    assert answers(found, "/twilio/messages", "403") == 1


def test_twilio_error_codes_on_status_callbacks_are_counted(
    app: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    write(app, add_texter(app), "first", "second")
    deliver(app, fake, clock)
    first, second = (message.twilio_sid for message in outbound(app))
    client = app.test_client()
    assert report(client, callback(first, "undelivered", 30007)).status_code == 204
    assert report(client, callback(second, "delivered")).status_code == 204
    found = figures(client)
    codes = {
        dict(labels)["code"]: value
        for (name, labels), value in found.items()
        if name == "responder_twilio_error_codes_total"
    }
    assert codes == {"30007": 1}


def test_queue_figures_match_the_queue(app: Flask, client: FlaskClient) -> None:
    queue_texter(client, number(1))
    older = queue_texter(client, number(2))
    # Someone who has seen the menu is asked their age on the way to the queue.
    assert post_signed(client, sms("hi", sender=number(3))).status_code == 200
    queue_texter(client, number(3), age_reply="1")  # under 18
    assert post_signed(client, sms(CRISIS, sender=number(4))).status_code == 200
    assert latest_conversation(app, number(4)).state == "waiting"
    with app.app_context():
        session = get_session()
        session.execute(
            update(Conversation)
            .where(Conversation.id == older)
            .values(queued_at=datetime.now(UTC) - timedelta(minutes=10))
        )
        session.commit()
    found = figures(client)
    assert by_priority(found, "responder_queue_waiting") == {"0": 2, "10": 1, "100": 1}
    oldest = by_priority(found, "responder_queue_oldest_wait_seconds")
    assert 600 <= oldest["0"] < 3600
    assert 0 <= oldest["100"] < 600
    assert found["responder_crisis_marks_today", ()] == 1
    assert found["responder_database_up", ()] == 1


def test_outbox_and_heartbeat_figures(app: Flask, client: FlaskClient) -> None:
    found = figures(client)
    assert found["responder_outbox_backlog", ()] == 0
    assert found["responder_outbox_oldest_age_seconds", ()] == 0
    assert ("responder_worker_heartbeat_age_seconds", ()) not in found
    now = datetime.now(UTC)
    write(app, add_texter(app, last_message_at=now), "a", "b", "c", now=now - timedelta(minutes=5))
    with app.app_context():
        session = get_session()
        worker.beat(session, now - timedelta(seconds=90))
        session.commit()
    found = figures(client)
    assert found["responder_outbox_backlog", ()] == 3
    assert 300 <= found["responder_outbox_oldest_age_seconds", ()] < 3600
    assert 90 <= found["responder_worker_heartbeat_age_seconds", ()] < 3600


def test_sends_twilio_refused_are_counted_by_error_code(
    app: Flask, client: FlaskClient, fake: FakeTwilio, clock: Clock
) -> None:
    now = datetime.now(UTC)
    write(app, add_texter(app, last_message_at=now), "a", "b", now=now)
    fake.script = [refuse(400, 21211, "The 'To' number is not a valid phone number."), accept()]
    deliver(app, fake, clock)
    found = figures(client)
    failed = {
        dict(labels)["code"]: value
        for (name, labels), value in found.items()
        if name == "responder_messages_failed"
    }
    assert failed == {"21211": 1}


def test_metrics_answer_when_the_database_cannot_be_reached(tmp_path: Path) -> None:
    broken = f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"
    spool = str(tmp_path / "spool")
    app = create_app(settings(broken, RESPONDER_METRICS_TOKEN=TOKEN, RESPONDER_SPOOL_DIR=spool))
    client = app.test_client()
    # A texter writes meanwhile: answered, and kept on disk for the worker.
    assert post_signed(client, sms("hi")).status_code == 200
    found = figures(client)
    assert found["responder_database_up", ()] == 0
    assert not by_priority(found, "responder_queue_waiting")
    assert ("responder_outbox_backlog", ()) not in found
    assert found["responder_spool_waiting", ()] == 1
    assert found["responder_spool_set_aside", ()] == 0


# Each process posts to the fallback (no database needed) and exits; the last one
# only scrapes. Under gunicorn these would be the workers serving one port.
CHILD = """
import sys
from responder import create_app
from tests.twilio_requests import settings
client = create_app(settings(sys.argv[1], RESPONDER_METRICS_TOKEN=sys.argv[2])).test_client()
if sys.argv[3] == "post":
    for _ in range(2):
        assert client.post("/twilio/fallback", data={"Body": "hi"}).status_code == 200
else:
    print(client.get("/metrics", headers={"Authorization": "Bearer " + sys.argv[2]}).text)
"""


def test_counts_from_every_process_add_up_in_the_shared_folder(
    database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "prometheus"  # made by the first process that needs it
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}

    def child(action: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, database_url, TOKEN, action],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    child("post")
    child("post")
    found: Figures = {}
    for family in text_string_to_metric_families(child("scrape")):
        for sample in family.samples:
            found[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    assert answers(found, "/twilio/fallback", "200") == 4
    assert found["responder_database_up", ()] == 1
