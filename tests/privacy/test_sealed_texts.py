"""What texters and counsellors write is sealed under the texter's own key, and erasure
takes the key: no readable word is left in the tables, in a dump, or in the files."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select, text, update

from responder import services
from responder.store import sealed
from responder.store.db import Base, get_session
from responder.store.models import Contact, Message
from tests.counsellors import add_counsellor, queue_texter
from tests.twilio_requests import post_signed, replies, sms

SAID = "the guy from the game has my pictures"
REPLY = "thank you for telling me about the pictures"
NOTE = "texter mentions a cousin at the same school"
WORDS = (SAID, REPLY, NOTE)


def dump(app: Flask) -> str:
    """Every row of every table as stored, the way a database dump holds them."""
    with app.app_context():
        session = get_session()
        rows = [
            row for table in Base.metadata.sorted_tables for row in session.execute(table.select())
        ]
    return "\n".join(repr(tuple(row)) for row in rows)


def talk(client: FlaskClient, headers: dict[str, str]) -> int:
    """A texter in a held conversation: their words, a counsellor's reply and a note."""
    conversation = queue_texter(client)
    client.post(f"/api/v1/conversations/{conversation}/claim", headers=headers)
    post_signed(client, sms(SAID))
    path = f"/api/v1/conversations/{conversation}"
    assert client.post(f"{path}/messages", json={"body": REPLY}, headers=headers).status_code == 202
    assert client.post(f"{path}/notes", json={"body": NOTE}, headers=headers).status_code == 201
    return conversation


def test_the_console_reads_what_the_tables_hold_only_sealed(
    app: Flask, client: FlaskClient
) -> None:
    alex = add_counsellor(app, "alex")
    conversation = talk(client, alex)

    shown = client.get(f"/api/v1/conversations/{conversation}", headers=alex).get_json()
    assert {SAID, REPLY} <= {message["body"] for message in shown["messages"]}
    assert [note["body"] for note in shown["notes"]] == [NOTE]
    (held,) = client.get("/api/v1/me/conversations", headers=alex).get_json()["items"]
    assert held["last_message_preview"].startswith("the guy from the game")
    stored = dump(app)
    for words in WORDS:
        assert words not in stored
    assert stored.count(f"'{sealed.PREFIX}") >= 3


def test_a_redelivered_message_gets_its_replies_opened_again(
    app: Flask, client: FlaskClient
) -> None:
    first = sms("hi")
    answered = replies(post_signed(client, first))
    assert replies(post_signed(client, first)) == answered
    assert answered[0].splitlines()[0] not in dump(app)


def test_texts_stored_before_sealing_still_read(app: Flask, client: FlaskClient) -> None:
    alex = add_counsellor(app, "alex")
    conversation = queue_texter(client)
    client.post(f"/api/v1/conversations/{conversation}/claim", headers=alex)
    with app.app_context():
        session = get_session()
        moment = session.scalar(select(Message.created_at).limit(1))
        for words in ("written before texts were sealed", "v1: looks sealed, is not"):
            session.execute(
                insert(Message).values(
                    conversation_id=conversation,
                    direction="in",
                    body=words,
                    media_count=0,
                    created_at=moment,
                )
            )
        session.commit()
    response = client.get(f"/api/v1/conversations/{conversation}", headers=alex)
    assert response.status_code == 200
    shown = [m["body"] for m in response.get_json()["messages"]]
    assert "written before texts were sealed" in shown
    assert sealed.UNREADABLE in shown  # one line says so; the page still opens


def test_a_texter_stored_before_sealing_gets_a_key_when_they_next_write(
    app: Flask, client: FlaskClient
) -> None:
    alex = add_counsellor(app, "alex")
    conversation = queue_texter(client)
    client.post(f"/api/v1/conversations/{conversation}/claim", headers=alex)
    with app.app_context():
        session = get_session()
        # As a database upgraded to 0020 holds them: no key, the texts as written.
        session.execute(update(Contact).values(text_key=None))
        session.execute(update(Message).values(sealed_body="written before"))
        session.commit()
    post_signed(client, sms(SAID))
    with app.app_context():
        assert get_session().scalars(select(Contact.text_key)).one() is not None
    shown = client.get(f"/api/v1/conversations/{conversation}", headers=alex).get_json()
    bodies = [message["body"] for message in shown["messages"]]
    assert set(bodies[:-1]) == {"written before"} and bodies[-1] == SAID
    assert SAID not in dump(app)


def test_after_erasure_no_key_left_opens_the_words_kept_elsewhere(
    app: Flask, client: FlaskClient
) -> None:
    """A backup taken before the erasure still holds the sealed words; nothing after it
    can open them, since the only key that could went with the texter's row."""
    conversation = talk(client, add_counsellor(app, "alex"))
    with app.app_context():
        session = get_session()
        backup = session.scalars(
            select(Message.sealed_body).where(Message.conversation_id == conversation)
        ).all()
    post_signed(client, sms("DELETE"))
    post_signed(client, sms("DELETE"))
    post_signed(client, sms("hi", sender="+447700900456"))  # someone else writes on

    keys = services.of(app).keys
    with app.app_context():
        left = get_session().scalars(select(Contact.text_key)).all()
    openers = [keys.readers, *(Fernet(keys.decrypt(key).encode()) for key in left if key)]
    sealed_words = [token for token in backup if token and token.startswith(sealed.PREFIX)]
    assert len(sealed_words) == len(backup)
    for token in sealed_words:
        for opener in openers:
            try:
                opener.decrypt(token.removeprefix(sealed.PREFIX).encode())
            except InvalidToken:
                continue
            raise AssertionError("a key still in the database opens an erased texter's words")


def test_no_readable_word_is_left_in_the_postgresql_files(postgres_app: Flask) -> None:
    """The table files themselves, read as PostgreSQL writes them, with old row versions."""
    client = postgres_app.test_client()
    talk(client, add_counsellor(postgres_app, "alex"))
    post_signed(client, sms("DELETE"))
    post_signed(client, sms("DELETE"))
    engine = services.of(postgres_app).sessions.kw["bind"]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("CHECKPOINT"))
        files = b"".join(
            connection.scalar(
                text("SELECT pg_read_binary_file(pg_relation_filepath(:table))"),
                {"table": table},
            )
            or b""
            for table in ("messages", "notes", "contacts", "events", "audit_entries")
        )
    assert files  # the files were read
    for words in WORDS:
        assert words.encode() not in files
