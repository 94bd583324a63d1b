"""The queue, transfer, accounts, audit and sign-in pages for a counsellor who reads French."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from responder.counselling.handoff import CATEGORIES
from responder.delivery import reasons
from responder.staff import audit, signin
from responder.store.db import get_session
from responder.store.models import Counsellor, Message
from responder.web.console.records import reason_words
from responder.web.console.words import catalogues
from responder.web.console.wrapup_words import category_words
from tests.console_sessions import form_token, post_password, script_words, sign_in
from tests.counselling.test_history import came_back
from tests.counsellors import add_counsellor, queue_texter
from tests.web.test_console_pages import claim, page
from tests.web.test_console_supervisor import rows

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


def speak(client: FlaskClient, language: str, token_page: str) -> None:
    """Choose the console's language with a form token read from a page of the account's."""
    token = form_token(client.get(token_page))
    chosen = client.post(
        "/console/language", data={"csrf_token": token, "language": language, "next": token_page}
    )
    assert chosen.status_code == 302


def test_a_french_counsellors_queue_is_in_french(
    client: FlaskClient, alice: dict[str, str]
) -> None:
    queue_texter(client)
    sign_in(client, "alice")
    speak(client, "fr", "/console/queue")

    queue = page(client, "/console/queue")

    for words in ("File d&#39;attente", "Votre permanence", "1 personne attend.", "Prendre"):
        assert words in queue, words
    assert "Prendre la conversation" in queue and "Conversations en cours :" in queue
    for english in ("texter is waiting", ">Claim<", "Your shift", ">Channel<", "Priority"):
        assert english not in queue, english
    # The queue's phrases travel to the scripts, which draw the queue again as it changes.
    carried = script_words(queue)
    assert carried["queue.waiting_other"] == "{count} personnes attendent."
    assert carried["wait.under_a_minute"] == "moins d'une minute"


def test_the_english_queue_keeps_its_words(client: FlaskClient, alice: dict[str, str]) -> None:
    queue_texter(client)
    sign_in(client, "alice")
    queue = page(client, "/console/queue")
    assert "1 texter is waiting." in queue and "under a minute" in queue
    assert "Open conversations: <strong>0 of 3</strong>" in queue


def test_a_french_conversation_page_offers_the_transfer_and_delivery_in_french(
    app: Flask, client: FlaskClient, alice: dict[str, str], bob: dict[str, str]
) -> None:
    conversation_id = queue_texter(client)
    claim(client, alice, conversation_id)
    sign_in(client, "alice")
    speak(client, "fr", "/console/queue")

    conversation = page(client, f"/console/conversations/{conversation_id}")

    assert "<h3>Transférer</h3>" in conversation
    assert "À une personne de l&#39;équipe présente et disponible" in conversation
    assert "To a counsellor who is here" not in conversation
    status_words = re.search(r"data-status-words='([^']*)'", conversation)
    assert status_words is not None
    assert json.loads(html.unescape(status_words.group(1)))["delivered"] == "remis"


def test_a_french_admin_manages_accounts_in_french(app: Flask) -> None:
    add_counsellor(app, "ada", "admin")
    add_counsellor(app, "bob")
    client = app.test_client()
    sign_in(client, "ada")
    speak(client, "fr", "/console/accounts")

    accounts = page(client, "/console/accounts")
    for words in ("Ajouter un compte", "Tous les comptes", "Désactiver bob", "Nouveau mot"):
        assert words in accounts, words
    assert "Add an account" not in accounts and ">Deactivate<" not in accounts

    token = form_token(client.get("/console/accounts"))
    client.post(
        "/console/accounts",
        data={"csrf_token": token, "username": "cleo", "role": "counsellor", "password": "x" * 12},
    )
    assert "Compte cleo ajouté." in page(client, "/console/accounts")
    token = form_token(client.get("/console/accounts"))
    client.post(
        "/console/accounts",
        data={"csrf_token": token, "username": "cleo", "role": "counsellor", "password": "x" * 12},
    )
    refused = page(client, "/console/accounts")
    assert "Aucune modification : un compte nommé &#39;cleo&#39; existe déjà." in refused


def test_a_sign_in_refusal_is_in_the_browsers_language_and_english_is_unchanged(
    app: Flask,
) -> None:
    add_counsellor(app, "alice")
    french = app.test_client()
    token = form_token(french.get("/console/login", headers=FRENCH))
    refused = french.post(
        "/console/login",
        data={"csrf_token": token, "username": "alice", "password": "not it"},
        headers=FRENCH,
    )
    assert refused.status_code == 403
    assert "Nom d&#39;utilisateur ou mot de passe incorrect." in refused.get_data(as_text=True)

    english = post_password(app.test_client(), "alice", "not it")
    assert english.status_code == 403
    assert signin.WRONG_PASSWORD in english.get_data(as_text=True)


# The audit log's details of flags and of earlier conversations read


def flags_and_an_earlier_read(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> tuple[int, int]:
    first, second = came_back(app, client, alice)
    claim(client, alice, second)
    added = client.post(
        f"/api/v1/conversations/{second}/flags", headers=alice, json={"label": "prank"}
    )
    assert added.status_code == 201
    flag_id = added.get_json()["id"]
    lifted = client.delete(f"/api/v1/conversations/{second}/flags/{flag_id}", headers=alice)
    assert lifted.status_code == 204
    read = client.get(f"/api/v1/conversations/{second}/history/{first}", headers=alice)
    assert read.status_code == 200
    return first, second


def test_the_audit_log_says_which_flag_and_where_an_earlier_conversation_was_read_from(
    app: Flask, client: FlaskClient, alice: dict[str, str], sam: dict[str, str]
) -> None:
    first, second = flags_and_an_earlier_read(app, client, alice)
    sign_in(client, "sam")

    # Views are folded away by default; these tests read one.
    newest = rows(page(client, "/console/audit?views=1"))[:3]

    assert newest[0].endswith(
        f"alice viewed Conversation {first} "
        f"an earlier conversation, opened from conversation {second}"
    )
    assert newest[1].endswith(
        f"alice lifted a flag on the texter Conversation {second} label: prank"
    )
    assert re.search(
        rf"alice flagged the texter Conversation {second} label: prank, until \d{{4}}-\d\d-\d\d$",
        newest[2],
    )


def test_a_french_supervisor_reads_the_audit_log_in_french(
    app: Flask, client: FlaskClient, alice: dict[str, str], sam: dict[str, str]
) -> None:
    first, second = flags_and_an_earlier_read(app, client, alice)
    sign_in(client, "sam")
    speak(client, "fr", "/console/queue")

    audit = page(client, "/console/audit?views=1")
    newest = rows(audit)[:3]

    assert newest[0].endswith(
        f"alice a consulté Conversation {first} "
        f"une conversation antérieure, ouverte depuis la conversation {second}"
    )
    assert newest[1].endswith("libellé : prank")
    assert "a levé un signalement" in newest[1]
    assert re.search(r"libellé : prank, jusqu&#39;au \d{4}-\d\d-\d\d$", newest[2])
    assert "a signalé la personne qui écrit" in newest[2]
    # The time of each entry in French too, month and all.
    months = "janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc"
    assert re.match(rf"\d\d ({months})\.? \d{{4}}, \d\d:\d\d UTC ", newest[0])
    assert "flagged the texter" not in audit


def test_flag_entries_written_before_labels_and_last_days_were_kept_still_read(
    app: Flask, client: FlaskClient, alice: dict[str, str], sam: dict[str, str]
) -> None:
    conversation_id = queue_texter(client)
    with app.app_context():
        session = get_session()
        who = session.scalars(select(Counsellor).where(Counsellor.username == "alice")).one()
        now = datetime.now(UTC)
        audit.record(session, who, "flag", conversation_id, now, label="prank")
        audit.record(session, who, "unflag", conversation_id, now, flag=7)
        session.commit()
    sign_in(client, "sam")
    lifted, flagged = rows(page(client, "/console/audit"))[:2]
    assert lifted.endswith("flag number 7") and flagged.endswith("label: prank")
    speak(client, "fr", "/console/queue")
    lifted, flagged = rows(page(client, "/console/audit"))[:2]
    assert lifted.endswith("signalement numéro 7") and flagged.endswith("libellé : prank")


def test_the_texters_language_is_named_in_the_counsellors_language(
    client: FlaskClient, alice: dict[str, str]
) -> None:
    conversation_id = queue_texter(client)
    claim(client, alice, conversation_id)
    sign_in(client, "alice")
    shown = f"/console/conversations/{conversation_id}"
    assert "<dd>English (en)</dd>" in page(client, shown)
    speak(client, "fr", shown)
    assert "<dd>anglais (en)</dd>" in page(client, shown)


def test_categories_of_conversations_closed_before_the_wrap_up_are_in_french(app: Flask) -> None:
    for language in ("en", "fr"):
        missing = [
            code
            for code in CATEGORIES
            if f"legacy_category.{code.replace('/', '.')}" not in catalogues()[language]
        ]
        assert missing == [], language
    with app.test_request_context(headers=FRENCH):
        french = [category_words(code) for code in CATEGORIES]
        assert category_words("mental_health/self_harm") == "Santé mentale : automutilation"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        english = [category_words(code) for code in CATEGORIES]
        assert category_words("mental_health/self_harm") == "Mental health: self-harm"
    assert len(set(french)) == len(CATEGORIES)
    assert [pair for pair in zip(english, french, strict=True) if pair[0] == pair[1]] == []


def test_error_pages_speak_french(client: FlaskClient, alice: dict[str, str]) -> None:
    missing = client.get("/console/no-such-page", headers=FRENCH)
    assert missing.status_code == 404
    shown = html.unescape(missing.get_data(as_text=True))
    assert "<h1>Introuvable</h1>" in shown and "Cette page n'existe pas." in shown
    assert "Not Found" not in shown and "requested URL" not in shown

    sign_in(client, "alice")
    speak(client, "fr", "/console/queue")
    expired = client.post("/console/language", data={"csrf_token": "stale", "language": "en"})
    assert expired.status_code == 400
    shown = html.unescape(expired.get_data(as_text=True))
    assert "<h1>Requête incorrecte</h1>" in shown and "Ce formulaire a expiré." in shown
    assert client.get("/console/audit").status_code == 403
    assert "Cette page n'est pas ouverte à votre rôle." in html.unescape(
        client.get("/console/audit").get_data(as_text=True)
    )


def test_why_a_message_stopped_is_said_in_french(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    conversation_id = queue_texter(client)
    claim(client, alice, conversation_id)
    stopped = []
    for status, code, reason in (
        ("failed", 30003, reasons.REASONS[30003]),
        ("pending", 30007, reasons.RETRYING + reasons.REASONS[30007]),
        ("held", 63016, reasons.HELD),
        ("failed", None, "Twilio error 12345"),
    ):
        sent = client.post(
            f"/api/v1/conversations/{conversation_id}/messages", headers=alice, json={"body": "Hi"}
        ).get_json()
        stopped.append((sent["id"], status, code, reason))
    with app.app_context():
        session = get_session()
        for message_id, status, code, reason in stopped:
            message = session.get(Message, message_id)
            assert message is not None
            message.status, message.error_code, message.error_message = status, code, reason
        session.commit()
    sign_in(client, "alice")
    speak(client, "fr", "/console/queue")

    shown = html.unescape(page(client, f"/console/conversations/{conversation_id}"))

    assert ">échec : le téléphone de la personne est injoignable<" in shown
    assert ">en file d'envoi (nouvel essai prévu : l'opérateur a filtré le message)<" in shown
    assert ">retenu : la fenêtre de 24 heures de WhatsApp est fermée ; il partira" in shown
    assert ">échec : Twilio error 12345<" in shown  # a code without words shows as stored
    lines = " ".join(re.findall(r'<p class="delivery [^"]+">([^<]*)</p>', shown))
    for english in ("unreachable", "will try again", "carrier filtered", "held:"):
        assert english not in lines, english


def test_every_reason_the_helpline_names_has_words_in_each_language(app: Flask) -> None:
    for headers in (FRENCH, {"Accept-Language": "en"}):
        with app.test_request_context(headers=headers):
            said = reason_words()
        assert len(said) == 2 * len(reasons.NAMES)
        assert len(set(said.values())) == len(said)
    with app.test_request_context(headers=FRENCH):
        assert set(reason_words().values()).isdisjoint(reasons.NAMES)
