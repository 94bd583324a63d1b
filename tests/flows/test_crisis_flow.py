"""Crisis words through the webhook: answered at once, first in the queue, marked for staff."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from responder import services
from tests.checkout import ROOT
from tests.counsellors import add_counsellor, conversation, queue_texter
from tests.twilio_requests import post_signed, replies, sms

US, FR, NOWHERE = "+14155550123", "+33612345678", "+80012345678"
SHIPPED = ROOT / "content"


def crisis_reply(app: Flask, sender: str, text: str, client: FlaskClient) -> list[str]:
    return replies(post_signed(client, sms(text, sender=sender)))


def test_crisis_words_in_the_menu_get_help_and_the_front_of_the_queue(
    app: Flask, client: FlaskClient
) -> None:
    alex = add_counsellor(app, "alex")
    early = queue_texter(client, "+14155550111")
    post_signed(client, sms("hi", sender=US))
    (reply,) = crisis_reply(app, US, "i want to kill myself", client)
    assert "988" in reply and "911" in reply
    assert "kill" not in reply.lower()
    queue = client.get("/api/v1/queue", headers=alex).get_json()["items"]
    first, second = queue
    assert second["id"] == early
    assert first["priority"] == 100
    assert first["crisis_at"] is not None
    kinds = [e["kind"] for e in client.get("/api/v1/events", headers=alex).get_json()["items"]]
    assert "crisis" in kinds


def test_a_new_texters_first_message_in_words_no_list_holds_gets_the_crisis_reply(
    app: Flask, client: FlaskClient
) -> None:
    """The examples' model, not the lists, catches this one (tests/bot/test_crisis_model)."""
    alex = add_counsellor(app, "alex")
    (reply,) = crisis_reply(
        app, US, "by the time anyone sees those pics i will be long gone", client
    )
    assert "988" in reply
    (waiting,) = client.get("/api/v1/queue", headers=alex).get_json()["items"]
    assert waiting["priority"] == 100 and waiting["crisis_at"] is not None


def test_a_new_texter_in_crisis_with_nobody_on_duty_is_never_left_in_silence(
    client: FlaskClient,
) -> None:
    """Told that nobody is free and given numbers, the texter writes again at once, crisis
    words too: every message is answered, each time with a number to call or text now."""
    (reply,) = crisis_reply(client.application, NOWHERE, "i want to kill myself", client)
    assert reply.startswith("Thank you for telling us.") and "Nobody" in reply
    for text in ("allo ?", "i really want to die", "hello", "please i want to die"):
        (kept,) = replies(post_signed(client, sms(text, sender=NOWHERE)))
        assert kept.startswith("We got this message too.")
        assert kept.endswith("Find A Helpline (crisis lines by country): findahelpline.com")


def test_crisis_while_waiting_raises_priority_and_answers(app: Flask, client: FlaskClient):
    add_counsellor(app, "alex")
    waiting = queue_texter(client, US)
    (reply,) = crisis_reply(app, US, "i took 20 pills", client)
    assert "988" in reply
    assert conversation(app, waiting).priority == 100


def test_with_a_counsellor_the_bot_stays_quiet_but_marks_it(app: Flask, client: FlaskClient):
    alex = add_counsellor(app, "alex")
    waiting = queue_texter(client, US)
    assert client.post(f"/api/v1/conversations/{waiting}/claim", headers=alex).status_code == 200
    assert crisis_reply(app, US, "s u i c i d e", client) == []
    view = client.get(f"/api/v1/conversations/{waiting}", headers=alex).get_json()
    assert view["crisis_at"] is not None


def test_after_stop_nothing_is_sent_but_the_mark_is_kept(app: Flask, client: FlaskClient):
    post_signed(client, sms("hi", sender=US))
    post_signed(client, sms("STOP", sender=US))
    assert crisis_reply(app, US, "i want to die", client) == []
    alex = add_counsellor(app, "alex")
    (item,) = client.get("/api/v1/queue", headers=alex).get_json()["items"]
    assert item["crisis_at"] is not None


def test_french_crisis_reply_has_french_lines(app: Flask, client: FlaskClient) -> None:
    post_signed(client, sms("bonjour", sender=FR))
    (reply,) = crisis_reply(app, FR, "je vais en finir ce soir", client)
    assert reply.startswith(services.of(app).content.language("fr").messages["crisis"][:20])
    assert "3114" in reply


def test_a_texter_from_nowhere_gets_the_international_lines(app: Flask, client: FlaskClient):
    post_signed(client, sms("hi", sender=NOWHERE))
    (reply,) = crisis_reply(app, NOWHERE, "kms", client)
    assert "findahelpline.com" in reply
    assert "112" in reply


def test_with_nothing_checked_anywhere_the_reply_says_what_to_do(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    # Content with no international crisis or emergency entry: nothing checked to send.
    root = tmp_path / "content"
    shutil.copytree(SHIPPED, root)
    path = root / "resources" / "international.toml"
    head, *tables = path.read_text().split("[[resources]]")
    kept = [t for t in tables if 'role = "crisis"' not in t and 'role = "emergency"' not in t]
    path.write_text("[[resources]]".join([head, *kept]))
    app = make_app(RESPONDER_CONTENT_DIR=str(root))
    client = app.test_client()
    post_signed(client, sms("hi", sender=NOWHERE))
    (reply,) = crisis_reply(app, NOWHERE, "kms", client)
    messages = services.of(app).content.language("en").messages
    assert messages["none_emergency"] in reply


def test_pressure_raises_priority_without_the_crisis_reply(app: Flask, client: FlaskClient):
    add_counsellor(app, "alex")
    waiting = queue_texter(client, US)
    (reply,) = crisis_reply(app, US, "they said they will post it tonight", client)
    assert "in the queue" in reply
    assert "988" not in reply
    assert conversation(app, waiting).priority == 20
    assert conversation(app, waiting).crisis_at is None
