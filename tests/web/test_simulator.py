"""The phone simulator page, on in development and absent in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from responder import create_app, services
from responder.store.migrate import upgrade


@pytest.fixture
def dev_app(tmp_path: Path) -> Flask:
    app = create_app({"RESPONDER_ENV": "development", "INSTANCE_PATH": str(tmp_path)})
    upgrade(services.of(app).sessions.kw["bind"])
    return app


def test_page_offers_a_phone(dev_app: Flask) -> None:
    page = dev_app.test_client().get("/simulator/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="compose"' in html
    assert "simulator.js" in html


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
