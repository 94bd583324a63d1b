"""Retention: text and notes go a month after a conversation ends, the texter after a year."""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from responder import services, worker
from responder.channels import twilio
from responder.cli import cli
from responder.delivery import outbox
from responder.privacy import retention
from responder.store.db import get_session
from responder.store.models import (
    Contact,
    Conversation,
    Erasure,
    Event,
    Heartbeat,
    Message,
    Note,
    TwilioDeletion,
)
from tests.conversations.test_erasure import everything
from tests.counsellors import (
    add_counsellor,
    conversation,
    number,
    queue_texter,
    update_conversation,
)
from tests.fake_twilio import FakeTwilio
from tests.outbox_rows import NOW, Clock, add_texter, deliver
from tests.sqlite_file import app_on_file, log_of
from tests.twilio_requests import TEXTER, post_signed, replies, sms

SECRET = "they sent it to my cousin"
REPLY = "You did the right thing by writing."
NOTE = "texter is 15, school is aware"
DAY = timedelta(days=1)


def run_purge(app: Flask, now: datetime) -> retention.Purged:
    with app.app_context():
        session = get_session()
        done = retention.run(session, now, app.config)
        session.commit()
    return done


def talk_with_counsellor(client: FlaskClient, headers: dict[str, str], sender: str) -> int:
    """A texter asks for a person, a counsellor answers and notes; return the conversation id."""
    conversation_id = queue_texter(client, sender)
    base = f"/api/v1/conversations/{conversation_id}"
    assert client.post(f"{base}/claim", headers=headers).status_code == 200
    post_signed(client, sms(SECRET, sender=sender))
    assert client.post(f"{base}/messages", headers=headers, json={"body": REPLY}).status_code == 202
    assert client.post(f"{base}/notes", headers=headers, json={"body": NOTE}).status_code == 201
    return conversation_id


def close(client: FlaskClient, headers: dict[str, str], conversation_id: int, **extra) -> None:
    response = client.post(
        f"/api/v1/conversations/{conversation_id}/close",
        headers=headers,
        json={"category": "violence/online_sexual_exploitation", **extra},
    )
    assert response.status_code == 200


def texts(app: Flask, conversation_id: int) -> list[str | None]:
    with app.app_context():
        return [
            message.body
            for message in get_session().scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.id)
            )
        ]


def notes(app: Flask, conversation_id: int) -> int:
    with app.app_context():
        return get_session().scalar(
            select(func.count(Note.id)).where(Note.conversation_id == conversation_id)
        )


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(model))


def test_text_and_notes_go_a_month_after_the_end_and_open_conversations_keep_all(
    app: Flask, client: FlaskClient
) -> None:
    alex = add_counsellor(app, "alex")
    now = datetime.now(UTC)
    ended_31, ended_29, talking = (talk_with_counsellor(client, alex, number(i)) for i in (1, 2, 3))
    for conversation_id, sender in ((ended_31, number(1)), (ended_29, number(2))):
        close(client, alex, conversation_id, survey=True)
        post_signed(client, sms("4", sender=sender))
    update_conversation(app, ended_31, closed_at=now - 31 * DAY)
    update_conversation(app, ended_29, closed_at=now - 29 * DAY)
    # Still with the counsellor, and another still waiting, both begun 40 days ago.
    waiting = queue_texter(client, number(4))
    post_signed(client, sms(SECRET, sender=number(4)))
    long_ago = now - 40 * DAY
    for conversation_id in (talking, waiting):
        update_conversation(
            app, conversation_id, started_at=long_ago, queued_at=long_ago, last_message_at=long_ago
        )

    done = run_purge(app, now)

    assert set(texts(app, ended_31)) == {None}
    assert notes(app, ended_31) == 0
    assert conversation(app, ended_31).survey_answer is None
    assert done.notes == 1 and done.surveys == 1
    assert done.texts == len(texts(app, ended_31))
    assert {SECRET, REPLY} <= set(texts(app, ended_29))
    assert notes(app, ended_29) == 1
    assert conversation(app, ended_29).survey_answer == "4"
    assert {SECRET, REPLY} <= set(texts(app, talking))
    assert notes(app, talking) == 1
    assert SECRET in texts(app, waiting)
    assert (conversation(app, talking).state, conversation(app, waiting).state) == (
        "counsellor",
        "waiting",
    )
    # The counsellor still sees what happened, without the words.
    view = client.get(f"/api/v1/conversations/{ended_31}", headers=alex)
    assert view.status_code == 200
    assert {m["body"] for m in view.get_json()["messages"]} == {None}
    assert view.get_json()["notes"] == []
    assert view.get_json()["category"] == "violence/online_sexual_exploitation"


def test_twilio_is_asked_to_delete_its_copy_of_expired_messages(
    app: Flask, client: FlaskClient
) -> None:
    alex = add_counsellor(app, "alex")
    now = datetime.now(UTC)
    expired, kept = (talk_with_counsellor(client, alex, number(i)) for i in (1, 2))
    for conversation_id, days in ((expired, 31), (kept, 29)):
        close(client, alex, conversation_id)
        update_conversation(app, conversation_id, closed_at=now - days * DAY)
    with app.app_context():
        rows = get_session().execute(
            select(Message.twilio_sid, Message.conversation_id).where(
                Message.twilio_sid.is_not(None)
            )
        )
        theirs = {sid for sid, owner in rows if owner == expired}
    assert theirs, "the texter's messages came with Twilio sids"

    run_purge(app, now)
    run_purge(app, now + timedelta(hours=2))

    with app.app_context():
        session = get_session()
        queued = session.scalars(select(TwilioDeletion.message_sid)).all()
        left = session.scalars(
            select(Message.twilio_sid).where(Message.conversation_id == expired)
        ).all()
    assert sorted(queued) == sorted(theirs)
    assert set(left) == {None}


def test_quiet_menu_episodes_are_closed_and_others_left_open(
    app: Flask, client: FlaskClient
) -> None:
    now = datetime.now(UTC)
    post_signed(client, sms("hi", sender=number(1)))
    post_signed(client, sms("hi", sender=number(2)))
    waiting = queue_texter(client, number(3))
    update_conversation(app, 1, last_message_at=now - 25 * timedelta(hours=1))
    update_conversation(app, 2, last_message_at=now - 23 * timedelta(hours=1))
    update_conversation(app, waiting, last_message_at=now - 3 * DAY)

    assert run_purge(app, now).closed == 1

    quiet = conversation(app, 1)
    assert (quiet.state, quiet.closed_at) == ("closed", now)
    assert (conversation(app, 2).state, conversation(app, 2).closed_at) == ("menu", None)
    assert conversation(app, waiting).state == "waiting"
    # Its texter writing again starts a new episode, as after any quiet day.
    post_signed(client, sms("hi", sender=number(1)))
    with app.app_context():
        assert get_session().scalar(select(func.count(Conversation.id))) == 4


def test_a_year_after_the_end_a_conversation_leads_to_nobody(
    app: Flask, client: FlaskClient
) -> None:
    alex = add_counsellor(app, "alex")
    sam = add_counsellor(app, "sam", role="supervisor")
    now = datetime.now(UTC)
    old = talk_with_counsellor(client, alex, TEXTER)
    close(client, alex, old)
    update_conversation(app, old, closed_at=now - 366 * DAY)
    # Another texter has an old conversation and a current one: they are kept.
    older = talk_with_counsellor(client, alex, number(2))
    close(client, alex, older)
    update_conversation(app, older, closed_at=now - 400 * DAY)
    current = queue_texter(client, number(2))

    done = run_purge(app, now)

    assert (done.anonymised, done.contacts) == (2, 1)
    assert conversation(app, old).contact_id is None
    assert conversation(app, older).contact_id is None
    assert conversation(app, current).contact_id is not None
    assert count(app, Contact) == 1
    dump = everything(app)
    assert TEXTER.lstrip("+") not in dump
    assert services.of(app).keys.hash(TEXTER) not in dump
    # Twilio's ids of the messages led to Twilio's log, which has the number.
    assert set(texts(app, old)) == {None}
    with app.app_context():
        sids = get_session().scalars(
            select(Message.twilio_sid).where(Message.conversation_id.in_((old, older)))
        )
        assert set(sids) == {None}

    for headers in (sam, alex):
        view = client.get(f"/api/v1/conversations/{old}", headers=headers)
        assert view.status_code == 200
        body = view.get_json()
        assert (body["state"], body["masked_number"], body["country"]) == ("closed", None, None)
    assert (
        client.get(f"/api/v1/conversations/{current}", headers=sam)
        .get_json()["masked_number"]
        .endswith("002")
    )
    assert client.get("/api/v1/queue", headers=sam).status_code == 200
    assert client.get("/api/v1/me", headers=alex).status_code == 200
    # Writing again, the texter is new to the helpline.
    welcome = services.of(app).content.language("en").messages["welcome"]
    (reply,) = replies(post_signed(client, sms("hi")))
    assert reply.startswith(welcome)


def test_a_running_block_keeps_the_contact(app: Flask, client: FlaskClient) -> None:
    alex = add_counsellor(app, "alex")
    now = datetime.now(UTC)
    blocked = talk_with_counsellor(client, alex, number(1))
    lifted = talk_with_counsellor(client, alex, number(2))
    for conversation_id in (blocked, lifted):
        close(client, alex, conversation_id)
        update_conversation(app, conversation_id, closed_at=now - 366 * DAY)
    blocked_id, lifted_id = (conversation(app, c).contact_id for c in (blocked, lifted))
    with app.app_context():
        session = get_session()
        session.get(Contact, blocked_id).blocked_at = now - 400 * DAY
        expired = session.get(Contact, lifted_id)
        expired.blocked_at, expired.blocked_until = now - 400 * DAY, now - 300 * DAY
        session.commit()

    assert run_purge(app, now).contacts == 1
    with app.app_context():
        (kept,) = get_session().scalars(select(Contact)).all()
    assert kept.address_hash == services.of(app).keys.hash(number(1))


def test_unsent_messages_of_an_expired_conversation_are_cancelled_not_sent(
    app: Flask, client: FlaskClient
) -> None:
    clock = Clock(datetime.now(UTC))
    fake = FakeTwilio(clock)
    conversation_id = add_texter(app, last_message_at=clock.now - 40 * DAY)
    with app.app_context():
        session = get_session()
        found = session.get(Conversation, conversation_id)
        held = outbox.enqueue(session, found, REPLY, clock.now - 40 * DAY)
        held.status = "held"
        pending = outbox.enqueue(session, found, "one more", clock.now - 40 * DAY)
        found.state, found.closed_at = "closed", clock.now - 31 * DAY
        session.commit()
        ids = (held.id, pending.id)

    assert run_purge(app, clock.now).cancelled == 2
    # The worker and a new message from the texter send none of them.
    deliver(app, fake, clock)
    post_signed(client, sms("hi"))
    deliver(app, fake, clock)
    assert fake.sends == []
    with app.app_context():
        rows = get_session().scalars(select(Message).where(Message.id.in_(ids))).all()
    assert {(m.status, m.body) for m in rows} == {("canceled", None)}


def test_erasure_receipts_last_a_week_and_events_the_retention_period(
    app: Flask, client: FlaskClient
) -> None:
    now = datetime.now(UTC)
    post_signed(client, sms("hi", sender=number(1)))
    post_signed(client, sms("DELETE"))
    post_signed(client, sms("DELETE"))
    assert count(app, Erasure) == 1
    events = count(app, Event)

    assert (run_purge(app, now + 6 * DAY).erasure_receipts, count(app, Erasure)) == (0, 1)
    done = run_purge(app, now + 8 * DAY)
    assert (done.erasure_receipts, count(app, Erasure), done.events) == (1, 0, 0)
    assert run_purge(app, now + 29 * DAY).events == 0
    done = run_purge(app, now + 31 * DAY)
    assert (done.events, count(app, Event)) == (events, 0)


def test_a_second_purge_finds_nothing_left_to_do(app: Flask, client: FlaskClient) -> None:
    alex = add_counsellor(app, "alex")
    now = datetime.now(UTC)
    for index in (1, 2):
        conversation_id = talk_with_counsellor(client, alex, number(index))
        close(client, alex, conversation_id)
        update_conversation(app, conversation_id, closed_at=now - 400 * DAY)
    post_signed(client, sms("DELETE", sender=number(3)))
    post_signed(client, sms("DELETE", sender=number(3)))

    first = run_purge(app, now + 8 * DAY)
    assert first.texts and first.notes and first.anonymised and first.contacts
    assert first.erasure_receipts == 1
    second = run_purge(app, now + 8 * DAY)
    assert dataclasses.astuple(second) == (0,) * len(dataclasses.fields(second))


def test_purges_at_once_do_the_work_once(app: Flask, client: FlaskClient) -> None:
    alex = add_counsellor(app, "alex")
    now = datetime.now(UTC)
    ended = []
    for index in range(1, 5):
        conversation_id = talk_with_counsellor(client, alex, number(index))
        close(client, alex, conversation_id)
        update_conversation(app, conversation_id, closed_at=now - 400 * DAY)
        ended.append(conversation_id)
    expected = sum(len(texts(app, conversation_id)) for conversation_id in ended)
    barrier = threading.Barrier(2)

    def purge(_: int) -> retention.Purged:
        with services.of(app).sessions() as session:
            barrier.wait()
            done = retention.run(session, now, app.config)
            session.commit()
            return done

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(purge, range(2)))
    assert sum(done.texts for done in results) == expected
    assert sum(done.anonymised for done in results) == 4
    assert sum(done.contacts for done in results) == 4
    assert count(app, Contact) == 0


def test_responder_purge_prints_what_it_did_in_numbers(app: Flask, client: FlaskClient) -> None:
    alex = add_counsellor(app, "alex")
    conversation_id = talk_with_counsellor(client, alex, TEXTER)
    close(client, alex, conversation_id)
    update_conversation(app, conversation_id, closed_at=datetime.now(UTC) - 31 * DAY)
    messages = len(texts(app, conversation_id))

    result = app.test_cli_runner().invoke(cli, ["purge"])

    assert result.exit_code == 0, result.output
    assert f"message texts deleted: {messages}\n" in result.output
    assert "notes deleted: 1\n" in result.output
    assert "conversations anonymised: 0\n" in result.output
    assert all(line.split(": ")[1].isdigit() for line in result.output.splitlines())
    assert set(texts(app, conversation_id)) == {None}
    with app.app_context():
        assert get_session().get(Heartbeat, retention.HEARTBEAT) is not None


def test_the_worker_purges_at_most_once_an_hour(app: Flask) -> None:
    clock = Clock()
    transport = twilio.rest(app.config, FakeTwilio(clock))
    sessions, jobs = services.of(app).sessions, worker.jobs_for(app.config, services.of(app))
    worker.tick(sessions, jobs, transport, clock)
    quiet = add_texter(app, last_message_at=NOW - 2 * DAY)
    update_conversation(app, quiet, state="menu")

    clock.advance(minutes=59)
    worker.tick(sessions, jobs, transport, clock)
    assert conversation(app, quiet).state == "menu"
    clock.advance(minutes=1)
    worker.tick(sessions, jobs, transport, clock)
    assert (conversation(app, quiet).state, conversation(app, quiet).closed_at) == (
        "closed",
        clock.now,
    )
    with app.app_context():
        assert get_session().get(Heartbeat, retention.HEARTBEAT).beat_at == clock.now


def test_of_two_workers_due_at_once_one_purges(app: Flask) -> None:
    def turn(now: datetime, barrier: threading.Barrier) -> bool:
        with services.of(app).sessions() as session:
            barrier.wait()
            done = retention.run_if_due(session, now, app.config)
            session.commit()
            return done is not None

    def both(now: datetime) -> list[bool]:
        barrier = threading.Barrier(2)
        with ThreadPoolExecutor(2) as pool:
            return sorted(pool.map(turn, (now, now), (barrier, barrier)))

    # The very first purge, then the next one an hour later, each by one worker only.
    assert both(NOW) == [False, True]
    assert both(NOW + timedelta(minutes=59)) == [False, False]
    assert both(NOW + timedelta(hours=1)) == [False, True]


def test_a_purged_texter_key_leaves_the_sqlite_log_at_once(tmp_path: Path) -> None:
    """On SQLite the write-ahead log keeps pages' earlier versions; the purge empties it, so
    a deleted texter's key is gone from disk while the helpline runs on."""
    path = tmp_path / "purge.sqlite3"
    app = app_on_file(path)
    client = app.test_client()
    post_signed(client, sms("hi"))
    with app.app_context():
        key = get_session().scalars(select(Contact.text_key)).one()

    def on_disk() -> bytes:
        return b"".join(f.read_bytes() for f in tmp_path.glob("purge.sqlite3*"))

    assert key is not None and key.encode() in on_disk()
    now = datetime.now(UTC)
    # The first purge closes the quiet episode; a year on, the next leads it to nobody.
    assert run_purge(app, now + 2 * DAY).closed == 1
    assert run_purge(app, now + 400 * DAY).contacts == 1
    assert key.encode() not in on_disk()


def test_an_hour_with_nothing_to_purge_leaves_the_sqlite_log_alone(tmp_path: Path) -> None:
    """Emptying the log waits for readers and copies pages: the purge asks for it only when
    words or keys went."""
    path = tmp_path / "quiet.sqlite3"
    app = app_on_file(path)
    post_signed(app.test_client(), sms("hi"))
    log = log_of(path)
    assert log.stat().st_size > 0
    purged = run_purge(app, datetime.now(UTC))
    assert (purged.texts, purged.contacts) == (0, 0)
    assert log.stat().st_size > 0
