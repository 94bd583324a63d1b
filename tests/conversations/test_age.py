"""The age question: asked once, where the answer changes the advice, then the page chosen.

The engine is driven directly with the shipped content; the webhook tests follow a
texter through signed requests to the stored answer and their place in the queue.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from responder import services
from responder.bot.check import check
from responder.bot.content import load
from responder.bot.engine import Age, Context, MenuState, Outcome, step
from responder.bot.language import MAIN
from responder.bot.sms import encode
from responder.store.db import get_session
from responder.store.models import Contact, Message
from tests.checkout import ROOT
from tests.counsellors import (
    add_counsellor,
    conversation,
    latest_conversation,
    make_present,
    queue_texter,
    update_conversation,
)
from tests.twilio_requests import TEXTER, post_signed, replies, sms

SHIPPED = ROOT / "content"
CONTENT = load(SHIPPED)
EN, FR = CONTENT.language("en"), CONTENT.language("fr")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NOT_ASKED, SKIPPED = Age(), Age(asked=True)
UNDER_18, ADULT = Age(asked=True, under_18=True), Age(asked=True, under_18=False)
REMOVAL = str(EN.pages[MAIN].options.index("takedown") + 1)
PERSON = str(EN.pages[MAIN].options.index("talk") + 1)
UK, US, FRANCE = "+447700900123", "+14155550123", "+33612345678"


def send(
    text: str,
    *,
    page: str | None = MAIN,
    asking: str | None = None,
    age: Age = NOT_ASKED,
    country: str | None = "GB",
    language: str = "en",
    ask_age: bool = True,
) -> Outcome:
    """Send one message from a texter on page, a minute after their last one."""
    state = MenuState(page, (), NOW - timedelta(minutes=1), asking)
    context = Context("sms", language, NOW, country=country, age=age, ask_age=ask_age)
    return step(state, text, CONTENT, context)


def is_takedown(reply: str, language: str = "en") -> bool:
    return reply.startswith(CONTENT.language(language).pages["takedown"].title)


# --- The engine ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "chosen"),
    [
        pytest.param(REMOVAL, "takedown", id="removal-from-the-menu"),
        pytest.param("take down my photos", "takedown", id="removal-by-words"),
        pytest.param(PERSON, "talk", id="person-from-the-menu"),
        pytest.param("TALK", "talk", id="TALK"),
    ],
)
def test_choosing_a_page_where_age_matters_asks_first(text: str, chosen: str) -> None:
    """The question comes instead of the page; the texter stays where they were."""
    outcome = step(MenuState(MAIN, (), NOW), text, CONTENT, Context("sms", "en", NOW))
    assert outcome.replies == (EN.messages["age_question"],)
    assert "skip" in outcome.replies[0]
    assert outcome.action is None  # nobody is queued before the answer
    assert outcome.state.age_question_for == chosen
    assert outcome.state.page == MAIN
    assert outcome.age == SKIPPED  # asked now, so never again, even without an answer


def test_reporting_asks_too() -> None:
    outcome = send("1", page="local_help")
    assert outcome.replies == (EN.messages["age_question"],)
    assert outcome.state.age_question_for == "local_report"


def test_under_18_sees_the_child_steps_at_once() -> None:
    """1: Take It Down, Report Remove in the UK, an adult to trust; no adult-only service."""
    outcome = send("1", asking="takedown")
    (reply,) = outcome.replies
    assert is_takedown(reply)
    assert "Take It Down is for photos taken before you were 18" in reply
    assert "Report Remove" in reply
    assert "adult you trust" in reply
    assert "StopNCII" not in reply
    assert outcome.age == UNDER_18
    assert outcome.state == MenuState("takedown", (MAIN,), NOW)


def test_report_remove_is_only_for_the_uk() -> None:
    (reply,) = send("1", asking="takedown", country="US").replies
    assert "takeitdown.ncmec.org" in reply
    assert "Report Remove" not in reply


def test_18_or_over_sees_stopncii() -> None:
    """2: StopNCII, and Take It Down still, for photos taken before 18."""
    outcome = send("2", asking="takedown")
    (reply,) = outcome.replies
    assert is_takedown(reply)
    assert "StopNCII is for photos taken at 18 or over" in reply
    assert "stopncii.org" in reply
    assert "takeitdown.ncmec.org" in reply
    assert "Report Remove" not in reply
    assert outcome.age == ADULT


@pytest.mark.parametrize("text", ["3", "0", "MENU", "BACK", "what?", "", "12"])
def test_any_other_reply_skips_to_the_general_page(text: str) -> None:
    """The general page names both services and says Take It Down works at any age now."""
    outcome = send(text, asking="takedown")
    (reply,) = outcome.replies
    assert is_takedown(reply)
    assert "Take It Down works whatever your age now" in reply
    assert "Report Remove" in reply and "StopNCII" in reply
    assert outcome.age == SKIPPED
    assert outcome.state.age_question_for is None


def test_the_answer_comes_even_after_a_long_silence() -> None:
    """The question was the last thing sent, so a late 1 still answers it."""
    state = MenuState(MAIN, (), NOW - timedelta(hours=3), "takedown")
    outcome = step(state, "1", CONTENT, Context("sms", "en", NOW, country="GB"))
    assert is_takedown(outcome.replies[0])
    assert outcome.age == UNDER_18


@pytest.mark.parametrize(("answer", "age"), [("1", UNDER_18), ("2", ADULT), ("3", SKIPPED)])
def test_an_answer_before_a_person_hands_over(answer: str, age: Age) -> None:
    outcome = send(answer, asking="talk")
    assert (outcome.action, outcome.replies, outcome.age) == ("talk", (), age)


def test_talk_while_asked_skips_to_the_queue() -> None:
    outcome = send("TALK", asking="takedown")
    assert (outcome.action, outcome.age) == ("talk", SKIPPED)


@pytest.mark.parametrize("age", [UNDER_18, ADULT, SKIPPED])
def test_asked_once_only(age: Age) -> None:
    """Once asked (answered or skipped), the pages come straight away, in the texter's version."""
    removal = send(REMOVAL, age=age).replies[0]
    assert is_takedown(removal)
    assert ("Report Remove" in removal) is (age.under_18 is not False)
    assert ("StopNCII" in removal) is (age.under_18 is not True)
    assert send("TALK", age=age).action == "talk"


@pytest.mark.parametrize("age", [NOT_ASKED, UNDER_18, ADULT])
def test_with_the_setting_off_nobody_is_asked_and_pages_are_general(age: Age) -> None:
    removal = send(REMOVAL, age=age, ask_age=False)
    assert removal.replies[0] == EN.render("takedown", "sms", CONTENT.local("en", "GB"))
    assert removal.age == age
    assert send("TALK", age=age, ask_age=False).action == "talk"


@pytest.mark.parametrize("text", ["hi", "TALK", REMOVAL, "take down my photos", "where to report"])
def test_the_question_never_comes_before_the_first_menu(text: str) -> None:
    outcome = send(text, page=None)
    assert EN.messages["age_question"] not in outcome.replies
    assert outcome.state.age_question_for is None
    assert outcome.replies[0].startswith(EN.messages["welcome"])
    assert outcome.age == NOT_ASKED


def test_under_18_report_page_stresses_an_adult_and_the_child_line() -> None:
    (minor,) = send("1", page="local_help", asking="local_report").replies
    assert "adult you trust" in minor
    assert "Childline: 0800 1111" in minor  # the UK's {child} line
    assert "CEOP" in minor
    (adult,) = send("2", page="local_help", asking="local_report").replies
    assert "Revenge Porn Helpline" in adult  # the UK's {adult} line
    assert "Childline" not in adult


def test_french_question_and_child_steps() -> None:
    asked = send(REMOVAL, language="fr", country="FR")
    assert asked.replies == (FR.messages["age_question"],)
    (reply,) = send("1", asking="takedown", language="fr", country="FR").replies
    assert is_takedown(reply, "fr")
    assert "Take It Down : photos prises avant tes 18 ans" in reply
    assert "3018" in reply  # France's removal help for young people
    assert "StopNCII" not in reply
    (adult,) = send("2", asking="takedown", language="fr", country="FR").replies
    assert "stopncii.org" in adult
    assert "3018" not in adult


@pytest.mark.parametrize("code", ["en", "fr", "es"])
def test_the_question_is_one_gsm7_sms(code: str) -> None:
    encoding = encode(CONTENT.language(code).messages["age_question"])
    assert (encoding.name, encoding.segments) == ("GSM-7", 1)


# --- The content check -----------------------------------------------------------


def copy_content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(SHIPPED, root)
    return root


def edit(root: Path, file: str, old: str, new: str) -> None:
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"edit does not apply to {file}: {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems_after(tmp_path: Path, file: str, old: str, new: str) -> list[str]:
    root = copy_content(tmp_path)
    edit(root, file, old, new)
    return [str(p) for p in check(root) if not p.warning]


@pytest.mark.parametrize(
    ("file", "old", "new", "says"),
    [
        pytest.param(
            "fr/pages.toml",
            'text_under_18 = """\nTake It Down :',
            'text_minor_unused = """\nTake It Down :',
            "fr/pages.toml: pages.takedown: unknown fields: text_minor_unused",
            id="unknown-field",
        ),
        pytest.param(
            "fr/pages.toml",
            'title = "Retirer les photos"\nasks_age = true\n',
            'title = "Retirer les photos"\nasks_age = false\n',
            "fr/pages.toml: pages.takedown: has text_under_18, text_adult but does not ask",
            id="texts-without-the-question",
        ),
        pytest.param(
            "en/pages.toml",
            'title = "Main menu"\n',
            'title = "Main menu"\nasks_age = true\n',
            "en/pages.toml: pages.main: the main menu cannot ask the age",
            id="main-menu-asks",
        ),
        pytest.param(
            "en/pages.toml",
            'action = "language:en"\n',
            'action = "language:en"\nasks_age = true\n',
            "en/pages.toml: pages.to_en: only pages that are shown, or talk, can ask the age",
            id="language-switch-asks",
        ),
        pytest.param(
            "fr/pages.toml",
            'asks_age = true\ntext = "Une personne',
            'text = "Une personne',
            "fr/pages.toml: pages.talk: asks the age in en/",
            id="french-talk-does-not-ask",
        ),
        pytest.param(
            "en/pages.toml",
            "Ask an adult you trust to help you.",
            "Ask an adult you trust to help you. " + "Please take your time. " * 8,
            "en/pages.toml: pages.takedown.text_under_18: SMS message is 4 segments",
            id="under-18-text-too-long",
        ),
        pytest.param(
            "fr/pages.toml",
            "Demande à un adulte de confiance",
            "Demande à un adulte de confiance \N{RIGHT SINGLE QUOTATION MARK}",
            "fr/pages.toml: pages.takedown.text_under_18: SMS text is not GSM-7",
            id="under-18-text-not-gsm7",
        ),
        pytest.param(
            "resources/gb.toml",
            'audience = "under_18"',
            'audience = "teens"',
            "resources/gb.toml: resources #3: audience must be one of",
            id="unknown-audience",
        ),
    ],
)
def test_age_mistakes_are_named(tmp_path: Path, file: str, old: str, new: str, says: str) -> None:
    problems = problems_after(tmp_path, file, old, new)
    assert any(says in p for p in problems), problems


def test_a_missing_french_version_is_an_error(tmp_path: Path) -> None:
    """French must have the under-18 text English has, or French minors would miss it."""
    root = copy_content(tmp_path)
    path = root / "fr" / "pages.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index('text_under_18 = """\nAvec un adulte')
    end = text.index('"""', start + len('text_under_18 = """')) + 3
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    problems = [str(p) for p in check(root) if not p.warning]
    assert any(
        "fr/pages.toml: pages.local_report: text_under_18 missing; en/ has it" in p
        for p in problems
    ), problems


def test_the_age_question_is_required(tmp_path: Path) -> None:
    root = copy_content(tmp_path)
    path = root / "fr" / "messages.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("age_question =")], encoding="utf-8")
    problems = [str(p) for p in check(root) if not p.warning]
    assert any("fr/messages.toml: messages.age_question: is missing" in p for p in problems)


# --- Through the webhook -----------------------------------------------------------


def chat(client: FlaskClient, sender: str, *texts: str) -> str:
    """Send each text from one number; return the only reply to the last."""
    reply: list[str] = []
    for text in texts:
        reply = replies(post_signed(client, sms(text, sender=sender)))
    (only,) = reply
    return only


def on_duty(app: Flask, name: str) -> dict[str, str]:
    """Add a counsellor who is available with a console open, so the queue is open.

    Returns their headers.
    """
    headers = add_counsellor(app, name)
    response = app.test_client().put(
        "/api/v1/me/availability", json={"available": True}, headers=headers
    )
    assert response.status_code == 200
    make_present(app, name)
    return headers


def stored_contact(app: Flask, sender: str) -> Contact:
    with app.app_context():
        digest = services.of(app).keys.hash(sender)
        contact = get_session().scalars(select(Contact).where(Contact.address_hash == digest))
        return contact.one()


def test_a_minor_asking_for_a_person_goes_ahead_of_an_earlier_adult(
    app: Flask, client: FlaskClient
) -> None:
    alex = on_duty(app, "alex")
    earlier = queue_texter(client, "+14155550111")
    assert conversation(app, earlier).priority == 0
    chat(client, US, "hi")
    question = chat(client, US, PERSON)
    assert question == EN.messages["age_question"]
    queued = chat(client, US, "1")
    assert "number 1 in the queue" in queued  # ahead of the texter who waited longer
    first, second = client.get("/api/v1/queue", headers=alex).get_json()["items"]
    assert (first["priority"], second["id"]) == (10, earlier)
    assert second["priority"] == 0
    # The counsellor who opens them sees who said they are under 18; the earlier
    # texter asked for a person in their first message, before any menu, so was not asked.
    views = [
        client.get(f"/api/v1/conversations/{item['id']}", headers=alex).get_json()
        for item in (first, second)
    ]
    assert [view["under_18"] for view in views] == [True, None]
    contact = stored_contact(app, US)
    assert contact.under_18 is True
    assert contact.age_asked_at is not None


def test_in_french_a_minor_is_asked_once_and_queued_first(app: Flask, client: FlaskClient) -> None:
    on_duty(app, "alex")
    earlier = queue_texter(client, "+14155550111")
    assert chat(client, FRANCE, "bonjour").startswith(FR.messages["welcome"])
    assert chat(client, FRANCE, "PARLER") == FR.messages["age_question"]
    queued = chat(client, FRANCE, "1")
    assert queued.startswith("Merci. Une personne du service va te répondre ici.")
    assert "place 1 dans la file" in queued
    waiting = latest_conversation(app, FRANCE)
    assert waiting.priority == 10
    assert conversation(app, earlier).priority == 0
    # Back in the menu, photo removal shows the young person's steps without asking again.
    chat(client, FRANCE, "MENU")
    removal = chat(client, FRANCE, REMOVAL)
    assert removal.startswith(FR.pages["takedown"].title)
    assert "Take It Down : photos prises avant tes 18 ans" in removal


def test_a_skip_is_kept_and_the_question_not_counted_as_a_page(
    app: Flask, client: FlaskClient
) -> None:
    chat(client, UK, "hi")
    assert chat(client, UK, REMOVAL) == EN.messages["age_question"]
    assert is_takedown(chat(client, UK, "3"))
    contact = stored_contact(app, UK)
    assert (contact.under_18, contact.age_asked_at is not None) == (None, True)
    # Asked once: reporting, later, comes straight away.
    report = chat(client, UK, "MENU", str(EN.pages[MAIN].options.index("local_help") + 1), "1")
    assert report.startswith(EN.pages["local_report"].title)
    with app.app_context():
        asked = EN.messages["age_question"]
        (question,) = [m for m in get_session().scalars(select(Message)) if m.body == asked]
        assert question.page is None


def test_with_the_setting_off_talk_queues_at_once(make_app: Callable[..., Flask]) -> None:
    app = make_app(RESPONDER_ASK_AGE=False)
    client = app.test_client()
    on_duty(app, "alex")
    chat(client, TEXTER, "hi")
    assert "number 1 in the queue" in chat(client, TEXTER, "TALK")
    assert latest_conversation(app, TEXTER).priority == 0
    assert stored_contact(app, TEXTER).age_asked_at is None


def test_crisis_words_while_asked_then_the_answer_is_kept(app: Flask, client: FlaskClient) -> None:
    """Crisis words come first; a 1 sent while waiting still answers the question, and the
    short line that says it arrived gives the youth line first, now the texter is under 18."""
    chat(client, US, "hi")
    assert chat(client, US, REMOVAL) == EN.messages["age_question"]
    assert "988" in chat(client, US, "i want to kill myself")
    (kept,) = replies(post_signed(client, sms("1", sender=US)))
    assert kept.startswith("We got this message too.")
    assert kept.endswith("Childhelp National Child Abuse Hotline: call or text 1-800-422-4453")
    assert stored_contact(app, US).under_18 is True
    waiting = latest_conversation(app, US)
    assert (waiting.state, waiting.priority, waiting.age_question_for) == ("waiting", 100, None)


def test_an_answer_while_waiting_raises_the_priority(app: Flask, client: FlaskClient) -> None:
    """A waiting texter whose question is still open moves up to 10 when they say 1."""
    chat(client, US, "hi")
    chat(client, US, REMOVAL)
    chat(client, US, "i want to kill myself")
    waiting = latest_conversation(app, US)
    # A counsellor judged the crisis mark a false alarm and lowered it by hand.
    update_conversation(app, waiting.id, priority=0)
    post_signed(client, sms("1", sender=US))
    assert conversation(app, waiting.id).priority == 10
