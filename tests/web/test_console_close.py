"""The close form without JavaScript, and a closed conversation's page."""

from __future__ import annotations

import html

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from responder.counselling import wrapup_lists as lists
from responder.store.db import get_session
from responder.store.models import Message
from responder.web.console import words as catalogue
from tests.console_sessions import session_token, sign_in
from tests.counsellors import conversation
from tests.twilio_requests import post_signed, sms
from tests.web.test_console_pages import page
from tests.web.test_console_words import choose

SEXTORTION_FORM = {
    "contact_type": "about_self",
    "categories": ["sextortion"],
    "first_contact_platform": "instagram",
    "threat_platform": "instagram",
    "money_demanded": "under_100",
    "money_paid": "none",
    "images_shared": "no",
    "deadline_given": "unknown",
    "referrals": ["stopncii", "police"],
    "age_band": "16_to_17",
    "gender": "girl_or_woman",
    "summary": "Threatened <b>after</b> a video call",
    "survey": "on",
}


def close_form(client: FlaskClient, conversation_id: int, **fields):
    data = {"csrf_token": session_token(client), **fields}
    return client.post(f"/console/conversations/{conversation_id}/close", data=data)


def test_without_javascript_the_form_confirms_then_closes(
    app: Flask, client: FlaskClient, held: int
) -> None:
    sign_in(client, "alice")
    confirm = close_form(client, held, **SEXTORTION_FORM)
    assert confirm.status_code == 200
    text = confirm.get_data(as_text=True)
    assert "Close this conversation?" in text
    assert "The texter will receive this question: “Before you go: did this chat help?" in text
    # The answers ride along, so confirming sends them again.
    assert 'value="sextortion" aria-describedby="wrapup-categories-error" checked' in text
    assert conversation(app, held).state == "counsellor"

    closed = close_form(client, held, **SEXTORTION_FORM, confirmed="yes")
    assert closed.status_code == 302
    assert closed.headers["Location"].endswith("/console/queue")
    assert conversation(app, held).state == "closed"
    assert conversation(app, held).survey_pending is True
    assert f"Conversation {held} closed." in page(client, "/console/queue")


def test_without_javascript_each_error_shows_at_its_question(
    app: Flask, client: FlaskClient, held: int
) -> None:
    sign_in(client, "alice")
    fields = {**SEXTORTION_FORM, "confirmed": "yes"}
    del fields["threat_platform"], fields["gender"]
    response = close_form(client, held, **fields)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "2 answers need another look before closing." in text
    assert (
        '<p id="wrapup-threat_platform-error" class="error field-error">Where the threat came'
        " from: answer this for a sextortion contact (Not known is an answer).</p>"
    ) in text
    assert '<p id="wrapup-gender-error" class="error field-error">Gender, as the texter' in text
    assert 'name="threat_platform" aria-describedby="wrapup-threat_platform-error"' in text
    assert 'aria-describedby="wrapup-threat_platform-error" aria-invalid="true"' in text
    # What was answered is kept, the summary as text.
    assert html.escape(SEXTORTION_FORM["summary"], quote=False) in text
    assert conversation(app, held).state == "counsellor"


def test_going_back_shows_the_answers_again(client: FlaskClient, held: int) -> None:
    sign_in(client, "alice")
    response = close_form(client, held, **SEXTORTION_FORM, back="yes")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<div id="close-confirm" class="close-confirm" hidden>' in text
    assert '<option value="instagram" selected>Instagram</option>' in text


def test_another_counsellors_conversation_cannot_be_closed_here(
    app: Flask, client: FlaskClient, bob: dict[str, str], held: int
) -> None:
    sign_in(client, "bob")
    response = close_form(client, held, **SEXTORTION_FORM, confirmed="yes")
    assert response.status_code == 403
    assert conversation(app, held).state == "counsellor"


def test_a_closed_conversation_shows_who_closed_it_and_its_wrap_up(
    client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    sign_in(client, "alice")
    close_form(client, held, **SEXTORTION_FORM, confirmed="yes")
    post_signed(client, sms("4"))
    text = page(client, f"/console/conversations/{held}")
    assert '<dd id="closed-by">alice</dd>' in text
    assert "answered 4 (1 is not at all, 5 is a lot)" in text
    for words in (
        "Counselling: about themselves",
        "Sextortion: threatened with sharing sexual images",
        "<dd>Instagram</dd>",
        "Under 100 USD",
        "StopNCII; The police",
        "16 or 17",
        "Girl or woman",
        html.escape(SEXTORTION_FORM["summary"], quote=False),
    ):
        assert words in text
    assert 'id="close-form"' not in text


def test_a_conversation_closed_the_older_way_says_so(
    client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    payload = {"category": "adult/info"}
    client.post(f"/api/v1/conversations/{held}/close", headers=alice, json=payload)
    sign_in(client, "alice")
    text = page(client, f"/console/conversations/{held}")
    assert "Closed without a wrap-up, under Adult: information." in text
    assert "no answer" in text


def french(client: FlaskClient) -> None:
    chosen = choose(client, "fr", "/console/queue")
    assert chosen.status_code == 302


@pytest.mark.parametrize(
    ("withhold", "says"),
    [
        ("stop", "Nothing more is sent to the texter, not even the survey: they sent STOP."),
        ("block", "Nothing more is sent to the texter, not even the survey: they are blocked."),
    ],
)
def test_the_confirm_step_says_a_texter_who_sent_stop_or_is_blocked_gets_no_survey(
    app: Flask, client: FlaskClient, alice: dict[str, str], held: int, withhold: str, says: str
) -> None:
    if withhold == "stop":
        post_signed(client, sms("STOP"))
    else:
        blocked = client.post(
            f"/api/v1/conversations/{held}/block", headers=alice, json={"hours": 24}
        )
        assert blocked.status_code == 200
    sign_in(client, "alice")
    reason = "opted_out" if withhold == "stop" else "blocked"
    # close.js reads why from the form, for the same line.
    assert f'data-survey-withheld="{reason}"' in page(client, f"/console/conversations/{held}")
    confirm = close_form(client, held, **SEXTORTION_FORM).get_data(as_text=True)
    assert f'<p id="close-confirm-text">{html.escape(says)}</p>' in confirm

    closed = close_form(client, held, **SEXTORTION_FORM, confirmed="yes")
    assert closed.status_code == 302
    # And it is true: no survey is queued for them.
    assert conversation(app, held).state == "closed"
    assert conversation(app, held).survey_pending is False
    with app.app_context():
        replies = get_session().scalars(
            select(Message).where(Message.conversation_id == held, Message.direction == "out")
        )
        assert not any("did this chat help" in (reply.body or "") for reply in replies)


def test_without_a_survey_ticked_the_confirm_step_says_nothing_more_is_sent(
    client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    post_signed(client, sms("STOP"))
    sign_in(client, "alice")
    fields = {name: value for name, value in SEXTORTION_FORM.items() if name != "survey"}
    confirm = close_form(client, held, **fields).get_data(as_text=True)
    assert '<p id="close-confirm-text">Nothing more is sent to the texter.</p>' in confirm


def test_a_french_counsellor_closes_with_a_french_form(
    app: Flask, client: FlaskClient, held: int
) -> None:
    sign_in(client, "alice")
    french(client)
    form = page(client, f"/console/conversations/{held}")
    for words in (
        "Clore avec un bilan",
        "<legend>Exploitation et abus sexuels en ligne</legend>",
        ">Sextorsion : menace de diffuser des images sexuelles</label>",
        ">Écoute : pour elle-même</label>",
        ">Moins de 13 ans</label>",
        "Relire et clore",
        '<option value="">Choisissez une plateforme</option>',
    ):
        assert words in form, words
    # Platform names are the helpline's own and are not translated.
    assert '<option value="instagram">Instagram</option>' in form
    assert "Close with a wrap-up" not in form and "Review and close" not in form

    fields = {**SEXTORTION_FORM, "confirmed": "yes"}
    del fields["threat_platform"], fields["gender"]
    wrong = close_form(client, held, **fields)
    assert wrong.status_code == 422
    text = wrong.get_data(as_text=True)
    assert "2 réponses sont à revoir avant de clore." in text
    assert (
        "D&#39;où venait la menace : répondez pour un contact de sextorsion"
        " (« Ne sait pas » est une réponse).</p>"
    ) in text
    assert "Genre, tel que la personne l&#39;a donné : choisissez une réponse.</p>" in text

    confirm = close_form(client, held, **SEXTORTION_FORM).get_data(as_text=True)
    assert "Clore cette conversation ?" in confirm
    assert "La personne qui écrit recevra cette question : « Before you go" in confirm
    closed = close_form(client, held, **SEXTORTION_FORM, confirmed="yes")
    assert closed.status_code == 302
    assert f"Conversation {held} close." in page(client, "/console/queue")


def test_a_french_counsellor_reads_a_closed_conversation_in_french(
    client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    sign_in(client, "alice")
    close_form(client, held, **SEXTORTION_FORM, confirmed="yes")
    post_signed(client, sms("4"))
    french(client)
    text = page(client, f"/console/conversations/{held}")
    assert '<h2 id="closed-heading">Close</h2>' in text
    assert "réponse 4 (1 : pas du tout, 5 : beaucoup)" in text
    for words in (
        "<dt>Type de contact</dt><dd>Écoute : pour elle-même</dd>",
        "<dd>Sextorsion : menace de diffuser des images sexuelles</dd>",
        "<dt>Premier contact sur</dt><dd>Instagram</dd>",
        "<dd>Moins de 100 USD</dd>",
        "<dd>StopNCII; La police</dd>",
        "<dd>16 ou 17 ans</dd>",
        "<dd>Fille ou femme</dd>",
        "<h4>Résumé</h4>",
    ):
        assert words in text, words
    assert "Counselling: about themselves" not in text and "Closed by" not in text


def test_an_english_counsellor_and_the_api_keep_the_english_wrap_up(
    client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    sign_in(client, "alice")
    close_form(client, held, **SEXTORTION_FORM, confirmed="yes")
    french(client)
    view = client.get(f"/api/v1/conversations/{held}", headers=alice).get_json()
    assert view["wrapup"]["contact_type"] == "Counselling: about themselves"
    assert view["wrapup"]["referrals"] == ["StopNCII", "The police"]


def test_the_english_catalogue_says_every_answer_and_problem_as_the_api_does() -> None:
    english = catalogue.load(catalogue.CATALOGUES)["en"]
    tables = {
        "question": lists.QUESTIONS,
        "contact_type": lists.CONTACT_TYPES,
        "category": {c.id: c.words for c in lists.CATEGORIES.values()},
        "category_group": {g.id: g.words for g in lists.CATEGORY_GROUPS},
        "money": lists.MONEY,
        "yes_no": lists.YES_NO,
        "referral": lists.REFERRALS,
        "age_band": lists.AGE_BANDS,
        "gender": lists.GENDERS,
    }
    for table, answers in tables.items():
        for code, said in answers.items():
            assert english[f"wrapup.{table}.{code}"] == said, (table, code)
    for reason, said in lists.PROBLEMS.items():
        assert english[f"script.wrapup.problem.{reason}"] == said, reason
    # Every answer the counts keep has a phrase: none is left to show as a code.
    assert {key for key in english if key.startswith("wrapup.category.")} == {
        f"wrapup.category.{code}" for code in lists.CATEGORIES
    }
