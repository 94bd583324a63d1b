"""The close form without JavaScript, and a closed conversation's page."""

from __future__ import annotations

import html

from flask import Flask
from flask.testing import FlaskClient

from tests.console_sessions import session_token, sign_in
from tests.counsellors import conversation
from tests.twilio_requests import post_signed, sms
from tests.web.test_console_pages import page

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
    assert "Closed without a wrap-up, under Adult: info." in text
    assert "no answer" in text
