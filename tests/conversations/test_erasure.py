"""DELETE: after a confirmation, nothing in the database leads back to the texter."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from responder import services
from responder.store import sealed
from responder.store.db import Base, get_session
from responder.store.models import Contact, Conversation, Erasure, Message
from tests.counsellors import add_counsellor, queue_texter
from tests.sqlite_file import app_on_file, log_of
from tests.twilio_requests import TEXTER, post_signed, replies, sms

SECRET = "they have my photos from the lake trip"


def everything(app: Flask) -> str:
    with app.app_context():
        session = get_session()
        rows = [
            row for table in Base.metadata.sorted_tables for row in session.execute(select(table))
        ]
    return "\n".join(repr(tuple(row)) for row in rows)


def count(app: Flask, model) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(model))


def test_delete_asks_first_then_erases_everything(app: Flask, client: FlaskClient) -> None:
    messages = services.of(app).content.language("en").messages
    alex = add_counsellor(app, "alex")
    conversation = queue_texter(client)
    client.post(f"/api/v1/conversations/{conversation}/claim", headers=alex)
    client.post(f"/api/v1/conversations/{conversation}/notes", json={"body": "note"}, headers=alex)
    post_signed(client, sms(SECRET))
    assert replies(post_signed(client, sms("DELETE"))) == [messages["delete_confirm"]]
    confirm = sms("delete")
    assert replies(post_signed(client, confirm)) == [messages["erased"]]

    dump = everything(app)
    assert SECRET not in dump
    assert TEXTER.lstrip("+") not in dump
    assert count(app, Contact) == count(app, Conversation) == count(app, Message) == 0
    assert client.get(f"/api/v1/conversations/{conversation}", headers=alex).status_code == 404
    # A redelivery of the confirmation gets the same answer and brings nothing back.
    assert replies(post_signed(client, confirm)) == [messages["erased"]]
    assert count(app, Contact) == 0
    # Writing again starts afresh.
    (welcome,) = replies(post_signed(client, sms("hi")))
    assert welcome.startswith(messages["welcome"])


def test_anything_else_cancels_the_request(app: Flask, client: FlaskClient) -> None:
    messages = services.of(app).content.language("en").messages
    post_signed(client, sms("hi"))
    post_signed(client, sms("DELETE"))
    post_signed(client, sms("MENU"))
    assert replies(post_signed(client, sms("DELETE"))) == [messages["delete_confirm"]]
    assert count(app, Contact) == 1


def test_french_texters_erase_with_supprimer(app: Flask, client: FlaskClient) -> None:
    french = services.of(app).content.language("fr").messages
    sender = "+33612345678"
    post_signed(client, sms("bonjour", sender=sender))
    assert replies(post_signed(client, sms("SUPPRIMER", sender=sender))) == [
        french["delete_confirm"]
    ]
    assert replies(post_signed(client, sms("supprimer", sender=sender))) == [french["erased"]]


def test_after_stop_delete_erases_without_a_word(app: Flask, client: FlaskClient) -> None:
    post_signed(client, sms("hi"))
    post_signed(client, sms("STOP"))
    assert replies(post_signed(client, sms("DELETE"))) == []
    assert count(app, Contact) == 0
    assert count(app, Erasure) == 1


def test_erased_words_and_their_key_do_not_survive_in_the_sqlite_file(tmp_path: Path) -> None:
    """Words are never in the files as written; erasure removes the key that opens them,
    freed pages are overwritten (the app asks for it, as not every SQLite build does),
    and the write-ahead log, which keeps the pages' earlier versions, is emptied at once."""
    path = tmp_path / "erase.sqlite3"

    def on_disk() -> bytes:
        # The database file and its log, as another program could read them right now.
        return b"".join(f.read_bytes() for f in tmp_path.glob("erase.sqlite3*"))

    app = app_on_file(path)
    client = app.test_client()
    post_signed(client, sms("hi"))
    # Enough text to fill pages of their own, which erasure then frees.
    for number in range(40):
        post_signed(client, sms(f"{SECRET} {number} " + "x" * 600))
    with app.app_context():
        key = get_session().scalars(select(Contact.text_key)).one()
    assert key is not None and key.encode() in on_disk()
    assert SECRET.encode() not in on_disk()
    post_signed(client, sms("DELETE"))
    post_signed(client, sms("DELETE"))
    # While the app still runs, its connections open: nothing waits for a restart.
    assert key.encode() not in on_disk()
    services.of(app).sessions.kw["bind"].dispose()
    kept = on_disk()
    assert SECRET.encode() not in kept
    assert key.encode() not in kept


def test_a_reader_holding_the_sqlite_log_does_not_cost_the_texter_their_erasure(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The log cannot be emptied while another connection reads from it: the erasure
    stands, the texter gets its answer, and the operator is told the log kept pages."""
    path = tmp_path / "held.sqlite3"
    app = app_on_file(path, RESPONDER_DB_STATEMENT_TIMEOUT_SECONDS=1)
    client = app.test_client()
    post_signed(client, sms("hi"))
    post_signed(client, sms("DELETE"))
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM contacts").fetchone()
    try:
        (confirmed,) = replies(post_signed(client, sms("DELETE")))
    finally:
        reader.execute("ROLLBACK")
        reader.close()
    assert confirmed == services.of(app).content.language("en").messages["erased"]
    assert count(app, Contact) == 0
    assert "SQLite log not emptied after deleting texters' keys: a reader held it" in caplog.text
    assert TEXTER.lstrip("+") not in caplog.text


def test_an_erasure_rolled_back_leaves_the_sqlite_log_to_its_usual_checkpoints(
    tmp_path: Path,
) -> None:
    """Only keys really deleted make a commit empty SQLite's log: when the transaction
    that was to delete them rolls back, the session's next commit copies nothing."""
    path = tmp_path / "kept.sqlite3"
    app = app_on_file(path)
    post_signed(app.test_client(), sms("hi"))
    log = log_of(path)
    assert log.stat().st_size > 0
    with app.app_context():
        session = get_session()
        # A transaction that changes keys and is marked as deleting them, then fails.
        session.execute(update(Contact).values(text_key=None))
        sealed.forget(session)
        session.rollback()
        session.execute(update(Contact).values(country="GB"))
        session.commit()
    assert log.stat().st_size > 0
