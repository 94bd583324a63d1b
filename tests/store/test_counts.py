"""Anonymous daily counts: what a texter's path adds, and that nothing takes it away."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Row, select

from responder import services
from responder.cli import cli
from responder.privacy import retention
from responder.store import counts
from responder.store.db import get_session
from responder.store.models import DailyCount
from tests.counsellors import add_counsellor, number, queue_texter, update_conversation
from tests.twilio_requests import TEXTER, post_signed, replies, sms, whatsapp

CRISIS = "I want to kill myself"


def rows(app: Flask) -> list[Row[Any]]:
    """Every figure with its breakdown, its shards summed as every reader sums them."""
    with app.app_context():
        return list(counts.recent(get_session(), datetime.now(UTC).date() + timedelta(days=1), 30))


def totals(app: Flask) -> Counter[tuple[str, str]]:
    """Sum the counts by metric and detail, whatever the day and breakdown."""
    summed: Counter[tuple[str, str]] = Counter()
    for row in rows(app):
        summed[row.metric, row.detail] += row.count
    return summed


def test_walking_the_menu_counts_one_contact_and_each_page_shown(
    app: Flask, client: FlaskClient
) -> None:
    for text in ("hi", "1", "1", "BACK", "0"):
        assert replies(post_signed(client, sms(text)))
    assert totals(app)["contacts", ""] == 1
    # The same contact again by the hour it came in, for the heat map of the week.
    ((hour, started),) = [(r.detail, r.count) for r in rows(app) if r.metric == "contacts_hour"]
    assert started == 1 and hour.isdigit() and 0 <= int(hour) < 24
    assert {r.detail: r.count for r in rows(app) if r.metric == "pages"} == {
        "main": 2,
        "now_stop": 2,
        "now_dont_pay": 1,
    }
    # The breakdown is the conversation's, never the texter's number.
    assert {(r.day, r.country, r.language, r.channel) for r in rows(app)} == {
        (datetime.now(UTC).date(), "US", "en", "sms")
    }


def test_each_episode_and_each_channel_is_counted_where_it_happened(
    app: Flask, client: FlaskClient
) -> None:
    post_signed(client, sms("hi"))
    post_signed(client, sms("hi", sender="+33612345678"))
    post_signed(client, whatsapp("hi", sender=number(7)))
    contacts = {
        (r.country, r.language, r.channel): r.count for r in rows(app) if r.metric == "contacts"
    }
    assert contacts == {("US", "en", "sms"): 1, ("FR", "fr", "sms"): 1, ("US", "en", "whatsapp"): 1}


def test_a_handoff_and_a_claim_count_the_wait(app: Flask, client: FlaskClient) -> None:
    alice = add_counsellor(app, "alice")
    conversation_id = queue_texter(client)
    update_conversation(app, conversation_id, queued_at=datetime.now(UTC) - timedelta(minutes=7))
    assert client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=alice).status_code
    found = totals(app)
    assert (found["handoffs", ""], found["waits", ""]) == (1, 1)
    assert 7 * 60 <= found["wait_seconds", ""] < 8 * 60
    assert found["wait_minutes", "7"] == 1  # the spread of waits, by the minute


def test_a_close_counts_its_category(app: Flask, client: FlaskClient) -> None:
    alice = add_counsellor(app, "alice")
    conversation_id = queue_texter(client)
    base = f"/api/v1/conversations/{conversation_id}"
    client.post(f"{base}/claim", headers=alice)
    closed = client.post(
        f"{base}/close", headers=alice, json={"category": "adult/sextortion"}
    ).status_code
    assert closed == 200
    assert totals(app)["closed", "adult/sextortion"] == 1


def test_a_texter_who_leaves_the_queue_before_an_answer_is_counted(
    app: Flask, client: FlaskClient
) -> None:
    queue_texter(client)
    assert replies(post_signed(client, sms("MENU")))
    found = totals(app)
    assert (found["handoffs", ""], found["left_queue", ""], found["waits", ""]) == (1, 1, 0)


def test_a_wait_the_quiet_gap_ends_is_counted_unanswered(app: Flask, client: FlaskClient) -> None:
    conversation_id = queue_texter(client)
    update_conversation(
        app, conversation_id, last_message_at=datetime.now(UTC) - timedelta(hours=25)
    )
    post_signed(client, sms("hello again"))  # a new episode; the old wait is over
    found = totals(app)
    assert (found["unanswered", ""], found["left_queue", ""], found["contacts", ""]) == (1, 0, 2)


def test_a_survey_answer_is_counted_by_its_score(app: Flask, client: FlaskClient) -> None:
    post_signed(client, sms("hi"))
    conversation_id = queue_texter(client)
    update_conversation(
        app, conversation_id, state="closed", closed_at=datetime.now(UTC), survey_pending=True
    )
    post_signed(client, sms("4"))
    post_signed(client, sms("5"))  # after the answer, a new message: not a second score
    assert {r.detail: r.count for r in rows(app) if r.metric == "survey"} == {"4": 1}


def test_crisis_is_counted_once_per_conversation_with_its_handoff(
    app: Flask, client: FlaskClient
) -> None:
    post_signed(client, sms("hi"))
    post_signed(client, sms(CRISIS))
    post_signed(client, sms(CRISIS))
    found = totals(app)
    assert (found["crisis", ""], found["handoffs", ""]) == (1, 1)


def test_counts_survive_erasure_and_the_purge(app: Flask, client: FlaskClient) -> None:
    post_signed(client, sms("hi"))
    post_signed(client, sms(CRISIS))
    before = totals(app)
    post_signed(client, sms("DELETE"))
    post_signed(client, sms("DELETE"))
    with app.app_context():
        session = get_session()
        retention.run(session, datetime.now(UTC) + timedelta(days=400), app.config)
        session.commit()
    after = totals(app)
    assert after["erasures", ""] == 1
    assert after - Counter({("erasures", ""): 1}) == before
    assert before["contacts", ""] == before["crisis", ""] == 1


def test_counts_added_at_once_from_many_threads_all_land(app: Flask) -> None:
    """The first add of the day races its own insert; none may be lost or fail."""
    threads, each = 8, 25
    barrier = threading.Barrier(threads)
    now = datetime.now(UTC)

    def add(_: int) -> None:
        sessions = services.of(app).sessions
        barrier.wait()
        for _ in range(each):
            with sessions() as session:
                counts.add(session, now, "pages", detail="main", country="GB", language="en")
                session.commit()

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(add, range(threads)))
    (row,) = rows(app)
    assert (row.metric, row.detail, row.country, row.count) == ("pages", "main", "GB", 200)
    # Kept in several rows, one per thread, rather than one row every thread queues on.
    with app.app_context():
        stored = get_session().scalars(select(DailyCount.count)).all()
    assert len(stored) > 1 and sum(stored) == 200


def test_stats_prints_the_counts_without_any_number(app: Flask, client: FlaskClient) -> None:
    post_signed(client, sms("hi"))
    post_signed(client, sms("1"))
    result = app.test_cli_runner().invoke(cli, ["stats", "--days", "7"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "day",
        "metric",
        "detail",
        "country",
        "language",
        "channel",
        "count",
    ]
    today = datetime.now(UTC).date().isoformat()
    assert lines[1].startswith(f"{today}  contacts ")
    printed = [line.split() for line in lines[1:]]
    hour = printed[1][2]  # the hour the contact came in, whatever it is now
    assert printed == [
        [today, "contacts", "-", "US", "en", "sms", "1"],
        [today, "contacts_hour", hour, "US", "en", "sms", "1"],
        [today, "pages", "main", "US", "en", "sms", "1"],
        [today, "pages", "now_stop", "US", "en", "sms", "1"],
    ]
    assert TEXTER.lstrip("+")[-4:] not in result.output


def test_stats_leaves_out_older_days_and_says_when_there_is_nothing(app: Flask) -> None:
    old = datetime.now(UTC) - timedelta(days=10)
    with app.app_context():
        session = get_session()
        counts.add(session, old, "contacts", country="GB", language="en", channel="sms")
        session.commit()
    runner = app.test_cli_runner()
    recent = runner.invoke(cli, ["stats", "--days", "10"])
    assert recent.output == "no counts in the last 10 days\n"
    everything = runner.invoke(cli, ["stats", "--days", "11"])
    assert old.date().isoformat() in everything.output
    assert runner.invoke(cli, ["stats", "--days", "0"]).exit_code == 2
