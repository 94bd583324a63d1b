"""Spanish as a language of its own: who starts in it, how to reach it, crisis words in it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from responder.bot.content import load
from responder.bot.engine import Age, Context, MenuState, match_page, step
from responder.bot.keywords import normalise_keyword
from responder.bot.language import LOCAL_HELP, MAIN
from tests.checkout import ROOT
from tests.counsellors import latest_conversation
from tests.twilio_requests import post_signed, replies, sms, whatsapp

CONTENT = load(ROOT / "content")
ES = CONTENT.language("es")
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MEXICO, SPAIN, ARGENTINA = "+525512345678", "+34612345678", "+5491123456789"
US, FRANCE = "+14155550123", "+33612345678"


def test_spanish_is_a_language_folder_with_the_pages_english_has() -> None:
    assert ES.name == "Espanol"
    assert set(ES.pages) == set(CONTENT.language("en").pages)
    assert ES.require_gsm7


@pytest.mark.parametrize("country", ["MX", "ES", "AR", "CO", "CL", "PE", "PR", "GQ"])
def test_texters_from_spanish_speaking_countries_start_in_spanish(country: str) -> None:
    assert CONTENT.language_for(country) == "es"


@pytest.mark.parametrize("sender", [MEXICO, SPAIN, ARGENTINA])
def test_a_first_message_from_a_spanish_speaking_number_is_answered_in_spanish(
    app: Flask, client: FlaskClient, sender: str
) -> None:
    (reply,) = replies(post_signed(client, sms("hola", sender=sender)))
    assert reply.startswith(ES.messages["welcome"])
    assert ES.pages[MAIN].title in reply
    assert latest_conversation(app, sender).language == "es"


def test_a_us_texter_still_starts_in_english(app: Flask, client: FlaskClient) -> None:
    (reply,) = replies(post_signed(client, sms("hola", sender=US)))
    assert reply.startswith(CONTENT.language("en").messages["welcome"])
    assert latest_conversation(app, US).language == "en"


EVERY_PAGE = [
    (code, page)
    for code in ("en", "fr", "es")
    for page in CONTENT.language(code).pages
    if CONTENT.language(code).pages[page].action is None
]


@pytest.mark.parametrize(("code", "page"), EVERY_PAGE)
@pytest.mark.parametrize("word", ["ESPANOL", "español", "Spanish"])
def test_espanol_switches_to_spanish_from_any_page(code: str, page: str, word: str) -> None:
    state = MenuState(page, (), NOW)
    outcome = step(state, word, CONTENT, Context("sms", code, NOW, age=Age(asked=True)))
    assert outcome.language == "es"
    assert outcome.page == MAIN
    (reply,) = outcome.replies
    assert reply.startswith(ES.messages["language_set"])


@pytest.mark.parametrize("code", ["en", "fr", "es"])
def test_the_language_page_offers_spanish_in_every_language(code: str) -> None:
    lang = CONTENT.language(code)
    options = lang.pages["language"].options
    spanish = [p for p in options if lang.pages[p].action == "language:es"]
    assert len(spanish) == 1
    rendered = lang.render("language", "sms", CONTENT.local(code, "US"))
    assert f"{options.index(spanish[0]) + 1} Español" in rendered


def test_spanish_texters_can_go_back_to_english_or_french() -> None:
    state = MenuState("language", (MAIN, LOCAL_HELP), NOW)
    for choice, code in (("1", "en"), ("2", "fr")):
        outcome = step(state, choice, CONTENT, Context("sms", "es", NOW))
        assert outcome.language == code


def test_a_us_texter_picks_spanish_from_the_language_page(app: Flask, client: FlaskClient) -> None:
    en = CONTENT.language("en")
    post_signed(client, sms("hi", sender=US))
    local_help = en.pages[MAIN].options.index(LOCAL_HELP) + 1
    (reply,) = replies(post_signed(client, sms(str(local_help), sender=US)))
    assert en.pages[LOCAL_HELP].title in reply
    language = en.pages[LOCAL_HELP].options.index("language") + 1
    (reply,) = replies(post_signed(client, sms(str(language), sender=US)))
    assert "3 Español" in reply
    (reply,) = replies(post_signed(client, sms("3", sender=US)))
    assert reply.startswith(ES.messages["language_set"])
    assert ES.pages[MAIN].title in reply
    assert latest_conversation(app, US).language == "es"
    # From now on the menu answers in Spanish, and Spanish words are understood.
    (reply,) = replies(post_signed(client, sms("AYUDA", sender=US)))
    assert reply == ES.messages["help"].format(emergency="Emergencias: 911")


def test_a_texter_can_ask_for_spanish_in_their_own_words() -> None:
    state = MenuState(MAIN, (), NOW)
    outcome = step(state, "spanish please", CONTENT, Context("sms", "en", NOW))
    assert outcome.language == "es"
    outcome = step(state, "en espagnol svp", CONTENT, Context("sms", "fr", NOW))
    assert outcome.language == "es"


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("MENU", "menu"),
        ("ATRAS", "back"),
        ("atrás", "back"),
        ("AYUDA", "help"),
        ("HABLAR", "talk"),
        ("PAIS", "country"),
        ("BORRAR", "delete"),
    ],
)
def test_spanish_command_words(word: str, kind: str) -> None:
    assert normalise_keyword(word) in ES.keywords[kind]


def test_pais_changes_the_country_in_spanish() -> None:
    state = MenuState(MAIN, (), NOW)
    outcome = step(state, "PAIS MX", CONTENT, Context("sms", "es", NOW, country="US"))
    assert outcome.country == "MX"
    assert outcome.page == LOCAL_HELP
    (reply,) = outcome.replies
    assert reply.startswith("OK. Te vamos a mostrar ayuda para")


@pytest.mark.parametrize(
    ("text", "page"),
    [
        ("me estan extorsionando con mis fotos", "now_stop"),
        ("ya le pague y quiere mas", "paid_already"),
        ("como hago capturas de pantalla", "now_save"),
        ("me hackearon la cuenta", "passwords"),
        ("me llego una carta de la policia falsa", "fake_police"),
        ("ya no puedo mas", "too_much"),
        ("me quiero morir, se lo va a mandar a mi mama", "too_much"),
    ],
)
def test_spanish_free_text_finds_its_page(text: str, page: str) -> None:
    assert match_page(ES, text) == page


def test_a_spanish_crisis_message_from_a_new_texter_gets_the_crisis_reply_in_spanish(
    app: Flask, client: FlaskClient
) -> None:
    (reply,) = replies(post_signed(client, sms("me quiero matar", sender=MEXICO)))
    crisis_start = ES.messages["crisis_nobody_free"].split(".")[0]
    assert reply.startswith(crisis_start)
    assert "matar" not in reply
    assert any(ch.isdigit() for ch in reply)
    found = latest_conversation(app, MEXICO)
    assert found.language == "es"
    assert found.crisis_at is not None
    assert found.priority == 100
    assert found.state == "waiting"


def test_spanish_crisis_words_are_read_in_any_language(app: Flask, client: FlaskClient) -> None:
    # A French number writing Spanish: the crisis reply comes in the texter's language.
    post_signed(client, whatsapp("bonjour", sender=FRANCE))
    (reply,) = replies(post_signed(client, whatsapp("ya no quiero vivir", sender=FRANCE)))
    fr = CONTENT.language("fr")
    assert reply.startswith(fr.messages["crisis_nobody_free"].split(".")[0])
    assert latest_conversation(app, FRANCE).crisis_at is not None
