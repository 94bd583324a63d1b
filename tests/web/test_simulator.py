"""The phone simulator page, on in development and absent in production."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from responder import create_app, services
from responder.channels.phone import Delivered, Inbox, Phone
from responder.store.migrate import upgrade
from tests.counsellors import add_counsellor, latest_conversation


@pytest.fixture
def dev_app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app({"RESPONDER_ENV": "development", "INSTANCE_PATH": str(tmp_path)})
    upgrade(services.of(app).sessions.kw["bind"])
    yield app
    services.of(app).sessions.kw["bind"].dispose()


def test_page_offers_a_phone(dev_app: Flask) -> None:
    page = dev_app.test_client().get("/simulator/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="compose"' in html
    assert "simulator.js" in html
    # A page of its own: its own script may run, nothing from elsewhere.
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_texting_from_the_page_gets_the_bot_replies(dev_app: Flask) -> None:
    client = dev_app.test_client()
    first = client.post("/simulator/send", json={"from": "+447700900111", "body": "hi"})
    assert first.status_code == 200
    (reply,) = first.get_json()["replies"]
    assert "1 Right now" in reply
    photo = client.post(
        "/simulator/send", json={"from": "+447700900111", "body": "", "media": True}
    )
    (refusal,) = photo.get_json()["replies"]
    assert "photos" in refusal
    on_whatsapp = client.post(
        "/simulator/send", json={"from": "+447700900112", "channel": "whatsapp", "body": "hi"}
    )
    assert "*Main menu*" in on_whatsapp.get_json()["replies"][0]


@pytest.mark.parametrize(
    "payload",
    [None, {"body": 5}, {"body": "hi", "channel": "fax"}, {"body": "hi", "from": "nope"}],
)
def test_bad_requests_are_explained(dev_app: Flask, payload) -> None:
    response = dev_app.test_client().post("/simulator/send", json=payload)
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_simulator_is_absent_in_production(app: Flask) -> None:
    assert app.test_client().get("/simulator/").status_code == 404


def test_the_chat_inbox_shows_a_counsellors_messages_in_order_once_each(dev_app: Flask) -> None:
    number = "+447700900113"
    phone = Phone(dev_app, number)
    client = dev_app.test_client()
    alex = add_counsellor(dev_app, "alex")
    phone.send("TALK")
    if latest_conversation(dev_app, number).age_question_for is not None:
        phone.send("3")
    base = f"/api/v1/conversations/{latest_conversation(dev_app, number).id}"

    def counsellor(action: str, **body: object) -> None:
        # Closing the response delivers, as the development server does after each one.
        with client.post(f"{base}/{action}", headers=alex, json=body) as response:
            assert response.status_code in (200, 202), response.get_json()

    counsellor("claim")
    counsellor("messages", body="Sent before the chat started.")
    inbox = Inbox.of(dev_app, number)
    elsewhere = Inbox.of(dev_app, "+447700900114")
    assert inbox is not None
    assert elsewhere is not None
    assert inbox.new() == []
    counsellor("messages", body="Hi, I'm Alex.")
    counsellor("messages", body="Take your time.")
    counsellor("release")
    released = services.of(dev_app).content.language("en").messages["released"]
    assert inbox.new() == [
        Delivered("Hi, I'm Alex.", counsellor=True),
        Delivered("Take your time.", counsellor=True),
        Delivered(released, counsellor=False),
    ]
    assert inbox.new() == []
    assert elsewhere.new() == []


def test_the_chat_inbox_is_off_in_production(app: Flask) -> None:
    assert Inbox.of(app, "+447700900113") is None
