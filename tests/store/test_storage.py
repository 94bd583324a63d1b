"""What the database holds: no plaintext numbers or media, and a schema only migrations make."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from responder import create_app, services, worker
from responder.channels.simulator import Simulator
from responder.channels.transport import Inbound
from responder.conversations.receiving import Policy, receive
from responder.privacy.addresses import Keys, mask
from responder.staff import auth
from responder.store.db import Base, get_session, make_engine
from responder.store.migrate import alembic_config, upgrade
from responder.store.models import Contact, Conversation, Message
from tests.twilio_requests import (
    TEXTER,
    WHATSAPP_IMAGE_BODY,
    fixture_form,
    post_signed,
    settings,
    sms,
    table_names,
    whatsapp,
)

# A sealed text is random base64: a short needle such as "Sam" turns up in it by chance in
# about one run out of a hundred, so needles are looked for in what is left once the sealed
# texts are cut out. What a sealed text holds is checked by opening it, elsewhere.
SEALED = re.compile(r"'v1:[A-Za-z0-9_=-]+'")


def dump(app: Flask) -> str:
    """Every value in every table, as one string to search."""
    with app.app_context():
        session = get_session()
        rows = []
        for table in Base.metadata.sorted_tables:
            rows.extend(session.execute(select(table)).all())
    return "\n".join(repr(tuple(row)) for row in rows)


def test_database_holds_no_plaintext_number_or_media_url(app: Flask, client: FlaskClient) -> None:
    post_signed(client, sms("hi"))
    post_signed(client, sms("1"))
    post_signed(client, whatsapp("MENU"))
    post_signed(client, fixture_form(WHATSAPP_IMAGE_BODY))
    # The media's sid is kept only until the worker has deleted the media at Twilio.
    worker.run(app, Simulator(), once=True)
    everything = dump(app)
    assert "inbound" not in everything  # sanity: the dump has rows, not log text
    assert "'v1:" in everything  # the texts are there, sealed
    assert "Main menu" not in everything
    readable = SEALED.sub("'v1:'", everything)
    assert readable.count("'v1:'") == everything.count("'v1:")
    digits = TEXTER.lstrip("+")
    for needle in (digits, digits[1:], digits[-7:], "Sam", "api.twilio.com", "ME62933a2951"):
        assert needle not in readable


def test_the_number_can_be_read_back_with_the_key_only(app: Flask, client: FlaskClient) -> None:
    post_signed(client, sms("hi"))
    with app.app_context():
        contact = get_session().scalars(select(Contact)).one()
    assert services.of(app).keys.decrypt(contact.address_encrypted) == TEXTER
    other = Keys.from_secret("another deployment's key")
    assert other.hash(TEXTER) != contact.address_hash
    with pytest.raises(ValueError):
        other.decrypt(contact.address_encrypted)


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+14155550123", "+1 •••• ••• 123"),  # one-digit code
        ("+447700900456", "+44 •••• ••• 456"),  # two digits
        ("+2250701234567", "+225 •••• ••• 567"),  # three digits
        ("+390612345678", "+39 •••• ••• 678"),  # Italy keeps its leading zero
        ("+8613912345678", "+86 •••• ••• 678"),
    ],
)
def test_counsellors_see_the_country_code_and_last_three_digits(number: str, masked: str) -> None:
    assert mask(number) == masked


@pytest.mark.parametrize(
    ("number", "country", "language"),
    [
        ("+14155550123", "US", "en"),
        ("+447700900123", "GB", "en"),
        ("+33612345678", "FR", "fr"),
        ("+2250701020304", "CI", "fr"),
        ("+6281234567890", "ID", "en"),
        ("+80012345678", None, "en"),
    ],
)
def test_country_and_language_are_stored(
    app: Flask, client: FlaskClient, number: str, country: str | None, language: str
) -> None:
    assert post_signed(client, sms("hi", sender=number)).status_code == 200
    with app.app_context():
        contact = get_session().scalars(select(Contact)).one()
        conversation = get_session().scalars(select(Conversation)).one()
    assert contact.country == country
    assert conversation.language == language


def test_replies_are_kept_with_the_page_they_showed(app: Flask, client: FlaskClient) -> None:
    post_signed(client, sms("hi"))
    post_signed(client, sms("1"))
    with app.app_context():
        pages = (
            get_session()
            .scalars(select(Message.page).where(Message.direction == "out").order_by(Message.id))
            .all()
        )
    lang = services.of(app).content.language("en")
    assert pages == ["main", lang.pages["main"].options[0]]


def test_quiet_conversation_ends_and_a_new_one_begins(app: Flask) -> None:
    content = services.of(app).content
    policy = Policy(keys=services.of(app).keys)
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)

    def send(body: str, sid: str, when: datetime) -> tuple[str, ...]:
        inbound = Inbound("sms", TEXTER, "+14155550100", body, sid)
        with app.app_context():
            session = get_session()
            result = receive(session, inbound, when, content, policy)
            session.commit()
        return result

    send("hi", "SM" + "1" * 32, start)
    messages = content.language("en").messages
    (later,) = send("1", "SM" + "2" * 32, start + timedelta(hours=23))
    assert later.startswith(messages["welcome_back"])
    (next_day,) = send("1", "SM" + "3" * 32, start + timedelta(hours=47, minutes=1))
    assert next_day.startswith(messages["welcome"])
    with app.app_context():
        conversations = get_session().scalars(select(Conversation).order_by(Conversation.id)).all()
    assert [c.state for c in conversations] == ["closed", "menu"]
    assert conversations[0].closed_at is not None
    assert conversations[0].started_at.tzinfo is not None


def test_what_a_message_writes_shows_in_the_orm_copies_loaded_before_it(app: Flask) -> None:
    """A message's contact and conversation are written with Core: the ORM objects the same
    session loaded before (the worker replaying kept messages does) read the new values."""
    content = services.of(app).content
    policy = Policy(keys=services.of(app).keys)
    now = datetime.now(UTC)
    with app.app_context():
        session = get_session()
        receive(
            session,
            Inbound("sms", TEXTER, "+14155550100", "hi", "SM" + "4" * 32),
            now,
            content,
            policy,
        )
        session.commit()
        conversation = session.scalars(select(Conversation)).one()
        contact = session.scalars(select(Contact)).one()
        assert conversation.page == "main" and contact.erase_requested_at is None
        receive(
            session,
            Inbound("sms", TEXTER, "+14155550100", "DELETE", "SM" + "5" * 32),
            now,
            content,
            policy,
        )
        assert contact.erase_requested_at == now
        receive(
            session,
            Inbound("sms", TEXTER, "+14155550100", "1", "SM" + "6" * 32),
            now,
            content,
            policy,
        )
        assert conversation.page == content.language("en").pages["main"].options[0]
        assert contact.erase_requested_at is None


def test_timestamps_come_back_aware_in_utc(app: Flask, client: FlaskClient) -> None:
    post_signed(client, sms("hi"))
    with app.app_context():
        message = get_session().scalars(select(Message)).first()
    assert message.created_at.utcoffset() == timedelta(0)


def test_migrations_match_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_empty_database_upgrades_to_head(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    assert version == ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert {"contacts", "conversations", "messages"} <= table_names(url)


def test_the_app_never_creates_tables(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'untouched.sqlite3'}"
    app = create_app(settings(url))
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    response = post_signed(client, sms("hi"))
    assert response.status_code == 500
    assert "Traceback" not in response.get_data(as_text=True)
    assert table_names(url) == set()


def test_upgrade_keeps_conversations_of_the_first_release(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO contacts (id, address_hash, address_encrypted, opted_out, created_at)"
                " VALUES (1, 'h', 'e', false, '2026-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO conversations (id, contact_id, channel, helpline_address, state,"
                " language, history, started_at, last_message_at)"
                " VALUES (1, 1, 'sms', '+14155550100', 'menu', 'en', '[]',"
                " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
    upgrade(engine)
    app = create_app(settings(url))
    with app.app_context():
        conversation = get_session().scalars(select(Conversation)).one()
    engine.dispose()
    assert (conversation.priority, conversation.secondary, conversation.survey_pending) == (
        0,
        [],
        False,
    )


def test_tokens_made_before_names_and_expiries_get_both_and_keep_working(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'tokens.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine, "0015")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO counsellors (id, username, role, password_hash, available, max_open,"
                " created_at) VALUES (1, 'ada', 'counsellor', 'x', false, 3, '2026-01-01 00:00:00')"
            )
        )
        for token_id, token in ((1, "old-phone"), (2, "old-laptop")):
            connection.execute(
                text(
                    "INSERT INTO api_tokens (id, counsellor_id, token_hash, created_at)"
                    " VALUES (:id, 1, :hash, '2026-01-01 00:00:00')"
                ),
                {"id": token_id, "hash": auth.token_hash(token)},
            )
    upgrade(engine)
    engine.dispose()
    app = create_app(settings(url))
    with app.app_context():
        session = get_session()
        names = {view.name: view.expires_at for view in auth.tokens(session, 1)}
        assert sorted(names) == ["token-1", "token-2"]
        # The default lifetime, counted from the upgrade.
        for expires_at in names.values():
            assert timedelta(days=89) < expires_at - datetime.now(UTC) <= timedelta(days=90)
    answer = app.test_client().get("/api/v1/queue", headers={"Authorization": "Bearer old-phone"})
    assert answer.status_code == 200
