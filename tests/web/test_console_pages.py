"""The console's queue and conversation pages, as the server renders them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from responder import services
from responder.bot import canned
from responder.bot.problems import Problem
from responder.counselling import wrapup_lists
from responder.store.db import get_session
from responder.store.models import AuditEntry, Message
from tests.console_sessions import sign_in
from tests.counsellors import (
    add_counsellor,
    latest_conversation,
    number,
    queue_texter,
    update_conversation,
)
from tests.twilio_requests import TEXTER, post_signed, sms, whatsapp

SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(1)>"
FRENCH_TEXTER = "+33612345678"


class Markup(HTMLParser):
    """Collect what a Content-Security-Policy without inline code would block."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.inline.append("<script> without src")
        if tag == "style":
            self.inline.append("<style>")
        self.inline += [f"{tag} {name}=" for name in names if name == "style"]
        self.inline += [f"{tag} {name}=" for name in names if name.startswith("on")]


def parsed(html: str) -> Markup:
    markup = Markup()
    markup.feed(html)
    return markup


def claim(client: FlaskClient, headers: dict[str, str], conversation_id: int) -> None:
    response = client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=headers)
    assert response.status_code == 200, response.get_json()


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


@pytest.fixture
def signed_in(client: FlaskClient, alice: dict[str, str]) -> FlaskClient:
    sign_in(client, "alice")
    return client


# The queue page


def test_pages_need_a_signed_in_counsellor(client: FlaskClient) -> None:
    for path in ("/console/queue", "/console/conversations/1"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/console/login")


def test_queue_lists_waiting_texters_with_masked_numbers_and_crisis_marks(
    app: Flask, signed_in: FlaskClient
) -> None:
    calm = queue_texter(signed_in)
    urgent = queue_texter(signed_in, "+447700900456")
    update_conversation(app, urgent, priority=100, crisis_at=datetime.now(UTC))

    html = page(signed_in, "/console/queue")

    items = html.split('<li class="queue-item')[1:]
    assert len(items) == 2
    # Crisis first, marked in words, not only in colour.
    assert f'data-claim="{urgent}"' in items[0]
    assert ">Crisis</strong>" in items[0]
    assert "+44 •••• ••• 456" in items[0]
    assert f'data-claim="{calm}"' in items[1]
    assert "Crisis" not in items[1]
    assert "+1 •••• ••• 123" in items[1]
    assert "+14155550123" not in html and "+447700900456" not in html
    assert "2 texters are waiting." in html
    assert ">Claim</button>" in html


def test_queue_shows_availability_and_open_conversations_against_the_limit(
    app: Flask, signed_in: FlaskClient, alice: dict[str, str]
) -> None:
    claim(signed_in, alice, queue_texter(signed_in))
    html = page(signed_in, "/console/queue")
    assert "Open conversations: <strong>1 of 3</strong>" in html
    assert 'id="available" role="switch" disabled>' in html  # not available yet: unchecked
    signed_in.put("/api/v1/me/availability", headers=alice, json={"available": True})
    assert 'id="available" role="switch" checked disabled>' in page(signed_in, "/console/queue")


def test_queue_marks_a_texter_under_18(app: Flask, signed_in: FlaskClient) -> None:
    # The age question comes to a texter who has seen the menu.
    assert post_signed(signed_in, sms("hello")).status_code == 200
    queue_texter(signed_in, age_reply="1")
    assert '<span class="mark mark-young">Under 18</span>' in page(signed_in, "/console/queue")


# The conversation page


def test_texter_text_is_shown_as_text_and_runs_nothing(
    app: Flask, signed_in: FlaskClient, alice: dict[str, str]
) -> None:
    conversation_id = queue_texter(signed_in)
    for body in (SCRIPT, IMAGE):
        assert post_signed(signed_in, sms(body)).status_code == 200
    claim(signed_in, alice, conversation_id)

    html = page(signed_in, f"/console/conversations/{conversation_id}")

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert SCRIPT not in html and IMAGE not in html
    markup = parsed(html)
    assert "img" not in markup.tags
    assert markup.inline == []


def test_pages_have_no_inline_script_or_style(
    app: Flask, signed_in: FlaskClient, alice: dict[str, str]
) -> None:
    conversation_id = queue_texter(signed_in)
    queue_page = page(signed_in, "/console/queue")
    claim(signed_in, alice, conversation_id)
    conversation_page = page(signed_in, f"/console/conversations/{conversation_id}")
    for html in (queue_page, conversation_page):
        markup = parsed(html)
        assert markup.inline == []
        # Only the console's own scripts (console.js, and a page's own such as transfer.js),
        # each by its src.
        assert markup.tags.count("script") == html.count('<script src="/console/static/')
        assert 'src="/console/static/console.js" defer' in html
        assert '<script src="/console/static/theme.js"></script>' in html
        assert 'href="/console/static/pages.css"' in html
    assert 'src="/console/static/close.js" defer' in conversation_page
    assert 'src="/console/static/history.js" defer' in conversation_page


def test_a_counsellor_cannot_open_another_counsellors_conversation(
    app: Flask, client: FlaskClient
) -> None:
    bob = add_counsellor(app, "bob")
    add_counsellor(app, "alice")
    conversation_id = queue_texter(client)
    claim(client, bob, conversation_id)
    sign_in(client, "alice")

    response = client.get(f"/console/conversations/{conversation_id}")

    assert response.status_code == 403
    assert "with another counsellor" in response.get_data(as_text=True)
    assert client.get("/console/conversations/999").status_code == 404
    with app.app_context():
        assert get_session().scalars(select(AuditEntry.action)).all() == ["claim"]


def test_a_waiting_conversation_is_open_to_decide_whether_to_claim_it(
    signed_in: FlaskClient,
) -> None:
    conversation_id = queue_texter(signed_in)
    html = page(signed_in, f"/console/conversations/{conversation_id}")
    assert "Claim this conversation" in html
    assert 'id="reply-form"' not in html  # replies come after the claim


def test_opening_a_conversation_is_audited(
    app: Flask, signed_in: FlaskClient, alice: dict[str, str]
) -> None:
    conversation_id = queue_texter(signed_in)
    claim(signed_in, alice, conversation_id)
    page(signed_in, f"/console/conversations/{conversation_id}")
    with app.app_context():
        entry = get_session().scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None
        assert (entry.action, entry.conversation_id) == ("view", conversation_id)
        assert entry.counsellor.username == "alice"


def test_french_texters_get_french_canned_replies_and_local_help(
    app: Flask, signed_in: FlaskClient, alice: dict[str, str]
) -> None:
    conversation_id = queue_texter(signed_in, FRENCH_TEXTER)
    claim(signed_in, alice, conversation_id)

    html = page(signed_in, f"/console/conversations/{conversation_id}")

    french = services.of(app).content.language("fr").canned
    assert french
    for reply in french:
        assert f">{reply.title}</button>" in html
    assert "Not your fault" not in html  # the English list is not offered
    # France's own emergency number, in French, ready to insert.
    assert 'data-insert="Urgences: 112"' in html
    assert "+33 •••• ••• 678" in html


def test_the_transcript_and_the_pages_read_are_shown(
    app: Flask, signed_in: FlaskClient, alice: dict[str, str]
) -> None:
    sender = number(7)
    assert post_signed(signed_in, sms("hello", sender=sender)).status_code == 200
    assert post_signed(signed_in, sms("1", sender=sender)).status_code == 200
    conversation_id = queue_texter(signed_in, sender)
    claim(signed_in, alice, conversation_id)
    signed_in.post(
        f"/api/v1/conversations/{conversation_id}/messages", headers=alice, json={"body": "Hi"}
    )

    html = page(signed_in, f"/console/conversations/{conversation_id}")

    content = services.of(app).content.language("en")
    first_page = content.pages[content.pages["main"].options[0]].title
    read = html.split('class="pages-read"')[1].split("</ol>")[0]
    assert first_page in read
    assert '<span class="author">Texter</span>' in html
    assert '<span class="author">Bot</span>' in html
    assert '<span class="author">alice</span>' in html
    assert '<p class="delivery delivery-pending">queued</p>' in html


@pytest.mark.parametrize(
    ("status", "code", "reason", "shown"),
    [
        ("delivered", None, None, "delivered"),
        ("queued", None, None, "queued"),
        (
            "failed",
            30003,
            "the texter's phone is unreachable",
            "failed: the texter&#39;s phone is unreachable",
        ),
        (
            "held",
            63016,
            "held: WhatsApp's 24-hour window has closed; it goes when the texter writes again",
            "held: WhatsApp&#39;s 24-hour window has closed; it goes when the texter writes again",
        ),
    ],
)
def test_each_message_shows_its_delivery_in_words(
    app: Flask,
    signed_in: FlaskClient,
    alice: dict[str, str],
    status: str,
    code: int | None,
    reason: str | None,
    shown: str,
) -> None:
    conversation_id = queue_texter(signed_in)
    claim(signed_in, alice, conversation_id)
    sent = signed_in.post(
        f"/api/v1/conversations/{conversation_id}/messages", headers=alice, json={"body": "Hi"}
    ).get_json()
    with app.app_context():
        session = get_session()
        message = session.get(Message, sent["id"])
        assert message is not None
        message.status, message.error_code, message.error_message = status, code, reason
        session.commit()

    html = page(signed_in, f"/console/conversations/{conversation_id}")

    assert f'<p class="delivery delivery-{status}">{shown}</p>' in html


@pytest.mark.parametrize(
    ("hours_ago", "template", "shown"),
    [
        (1, None, "open, 22 h 59 min left"),
        (30, "HX0123456789abcdef0123456789abcdef", "closed: a template will invite them back"),
        (30, None, "closed: replies fail until the texter writes again"),
    ],
)
def test_whatsapp_conversations_show_the_24_hour_window(
    make_app,
    hours_ago: int,
    template: str | None,
    shown: str,
) -> None:
    app = make_app(TWILIO_WHATSAPP_TEMPLATE_SID=template)
    client = app.test_client()
    alice = add_counsellor(app, "alice")
    assert post_signed(client, whatsapp("TALK")).status_code == 200
    conversation_id = latest_conversation(app, TEXTER).id
    claim(client, alice, conversation_id)
    last = datetime.now(UTC) - timedelta(hours=hours_ago)
    update_conversation(app, conversation_id, last_message_at=last)
    sign_in(client, "alice")

    html = page(client, f"/console/conversations/{conversation_id}")

    assert "WhatsApp window" in html
    assert shown in html


def test_sms_conversations_have_no_whatsapp_window(
    signed_in: FlaskClient, alice: dict[str, str]
) -> None:
    conversation_id = queue_texter(signed_in)
    claim(signed_in, alice, conversation_id)
    assert "WhatsApp window" not in page(signed_in, f"/console/conversations/{conversation_id}")


@pytest.mark.parametrize(
    ("priority", "crisis", "shown", "hidden"),
    [
        (20, False, ["Under pressure", "Under 18"], ["Crisis words in this conversation"]),
        (100, True, ["Crisis words in this conversation", "Under 18"], ["Under pressure"]),
        (10, False, ["Under 18"], ["Under pressure", "Crisis words in this conversation"]),
    ],
)
def test_the_page_says_crisis_pressure_and_under_18_in_words_above_the_facts(
    app: Flask,
    signed_in: FlaskClient,
    alice: dict[str, str],
    priority: int,
    crisis: bool,
    shown: list[str],
    hidden: list[str],
) -> None:
    assert post_signed(signed_in, sms("hello")).status_code == 200
    conversation_id = queue_texter(signed_in, age_reply="1")
    claim(signed_in, alice, conversation_id)
    update_conversation(
        app, conversation_id, priority=priority, crisis_at=datetime.now(UTC) if crisis else None
    )

    html = page(signed_in, f"/console/conversations/{conversation_id}")

    side = html[html.index('<div class="banners">') : html.index('<section class="talk"')]
    for words in shown:
        assert f"<strong>{words}</strong>" in side
    for words in hidden:
        assert f"<strong>{words}</strong>" not in side


def test_bot_pages_fold_to_their_title_and_notes_join_the_timeline(
    signed_in: FlaskClient, alice: dict[str, str]
) -> None:
    assert post_signed(signed_in, sms("hello")).status_code == 200
    assert post_signed(signed_in, sms("1")).status_code == 200
    conversation_id = queue_texter(signed_in)
    claim(signed_in, alice, conversation_id)
    note = signed_in.post(
        f"/api/v1/conversations/{conversation_id}/notes", headers=alice, json={"body": "calm now"}
    )
    assert note.status_code == 201

    html = page(signed_in, f"/console/conversations/{conversation_id}")

    timeline = html[
        html.index('id="transcript"') : html.index("</ol>", html.index('id="transcript"'))
    ]
    assert '<span class="fold-title">: Right now: stop replying</span>' in timeline
    assert '<span class="note-mark">Private note</span>' in timeline
    # The note was written last: it closes the timeline.
    assert timeline.rindex("calm now") > timeline.rindex('class="message')


def test_closing_offers_every_category_in_words(
    signed_in: FlaskClient, alice: dict[str, str]
) -> None:
    conversation_id = queue_texter(signed_in)
    claim(signed_in, alice, conversation_id)
    html = page(signed_in, f"/console/conversations/{conversation_id}")
    for category in wrapup_lists.CATEGORIES.values():
        words = escape(category.words)  # "An adult's sextortion" shows its ' as &#39;
        assert f'<label for="wrapup-category-{category.id}">{words}</label>' in html
    assert "<legend>Online sexual exploitation and abuse</legend>" in html
    assert 'id="transfer-to"' in html and 'id="release-form"' in html
    assert 'id="note-form"' in html


# Canned replies in content/


def test_canned_replies_must_stay_in_gsm7_where_the_language_requires_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "canned.toml"
    path.write_text(
        '[[replies]]\ntitle = "Bonjour"\ntext = "Ça va ?"\n'
        '[[replies]]\ntitle = "Merci"\ntext = "Merci à toi."\n',
        encoding="utf-8",
    )
    problems: list[Problem] = []
    replies = canned.read(path, True, problems)
    assert [r.title for r in replies] == ["Merci"]
    assert [p.entry for p in problems] == ["replies #1"]
    assert "'Ç'" in problems[0].message
    assert len(canned.read(path, False, [])) == 2


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[[replies]]\ntitle = 'x'\n", "needs a title and a text"),
        ("[[replies]]\ntitle = ''\ntext = 'y'\n", "must be text"),
        ("title = 'x'\n", "holds only [[replies]] tables"),
        ("[[replies]\n", "not valid TOML"),
    ],
)
def test_canned_reply_problems_are_named(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "canned.toml"
    path.write_text(text, encoding="utf-8")
    problems: list[Problem] = []
    assert canned.read(path, False, problems) == ()
    assert problem in problems[0].message


def test_a_language_without_canned_replies_has_none(tmp_path: Path) -> None:
    problems: list[Problem] = []
    assert canned.read(tmp_path / "canned.toml", True, problems) == ()
    assert problems == []
