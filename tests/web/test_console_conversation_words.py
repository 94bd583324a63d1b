"""A French counsellor's conversation page, list of conversations and held list, as rendered."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.console_sessions import form_token, script_words, sign_in
from tests.counsellors import add_counsellor
from tests.twilio_requests import post_signed, sms

CRISIS_WORDS = "i want to kill myself"


def text_of(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def choose(client: FlaskClient, language: str) -> None:
    # Through the language form every signed-in page carries (supervisors have no
    # two-step setup page to take it from).
    token = form_token(client.get("/console/queue"))
    chosen = client.post(
        "/console/language", data={"csrf_token": token, "language": language, "next": "/console/"}
    )
    assert chosen.status_code == 302


def rail_of(page: str) -> str:
    start = page.index('<nav id="caseload"')
    return page[start : page.index("</nav>", start)]


def test_a_french_counsellors_conversation_page_and_list_speak_french(
    app: Flask, client: FlaskClient, held: int
) -> None:
    assert post_signed(client, sms(CRISIS_WORDS)).status_code == 200
    sign_in(client, "alice")
    choose(client, "fr")
    # The list is read on another page first: opening the conversation reads it.
    rail = rail_of(text_of(client, "/console/queue"))
    assert ">Vos conversations</span>" in rail and f">Conversation {held}</a>" in rail
    assert '<strong class="mark mark-crisis">Crise</strong>' in rail
    assert '<span class="mark mark-unread">2 non lus</span>' in rail
    assert 'data-ago="yes">à l&#39;instant</time>' in rail

    page = text_of(client, f"/console/conversations/{held}")
    for french in (
        "<strong>Mots de crise dans cette conversation</strong>, la première fois à <time",
        "Vérifiez d&#39;abord que la personne est en sécurité.",
        '<label for="reply-body">Répondre à la personne</label>',
        ">0 caractères, 1 SMS</p>",
        "À propos de la personne",
        '<dd id="state">avec alice</dd>',
        '<dd id="blocked">Non</dd>',
        "Renvoyer la conversation",
        "Bloquer ce numéro :",
        ">jusqu&#39;à levée</button>",
        "Ajouter une note privée",
        '<span class="author">Personne qui écrit</span>',
    ):
        assert french in page, french
    for english in ("Reply to the texter", "About the texter", "Crisis words", "Block this"):
        assert english not in page, english
    # The scripts' words travel in French too.
    carried = script_words(page)
    assert carried["rail.unread_other"] == "{n} non lus"
    assert carried["conversation.sms_one"] == "{n} caractère, {sms} SMS"


def test_a_french_supervisor_sees_the_conversations_with_counsellors_in_french(
    app: Flask, client: FlaskClient, held: int
) -> None:
    add_counsellor(app, "sam", role="supervisor")
    sign_in(client, "sam")
    choose(client, "fr")
    fragment = text_of(client, "/console/queue/held")
    assert "1 conversation est prise en charge." in fragment
    assert "<dt>Suivie par</dt>" in fragment and "<dt>Numéro</dt>" in fragment
    assert "with a counsellor" not in fragment


def test_an_english_counsellors_conversation_page_keeps_its_words(
    app: Flask, client: FlaskClient, held: int
) -> None:
    sign_in(client, "alice")
    page = text_of(client, f"/console/conversations/{held}")
    assert "<h1>Conversation" in page and "Reply to the texter" in page
    assert ">0 characters, 1 SMS</p>" in page and '<dd id="state">with alice</dd>' in page
