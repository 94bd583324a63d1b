"""The history panel's forms without the script: flags added and lifted by plain posts."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.console_sessions import form_token, sign_in
from tests.counselling.test_history import came_back
from tests.web.test_console_words import choose

# The line shown, not hidden, while the texter has no flag.
NO_FLAGS = '<p id="flags-none" class="hint">No flags.</p>'


def test_a_flag_is_added_and_lifted_by_plain_form_posts(
    client: FlaskClient, alice: dict[str, str], waiting: int
) -> None:
    sign_in(client, "alice")
    page = f"/console/conversations/{waiting}"
    token = form_token(client.get(page))

    added = client.post(
        f"{page}/flags",
        data={"csrf_token": token, "label": "repeat threats", "expires_on": "2099-01-01"},
    )
    assert added.status_code == 302 and added.headers["Location"] == page
    # Over a year ahead: refused with words, nothing added.
    shown = client.get(page).get_data(as_text=True)
    assert "Flag not changed. A flag lasts at most 365 days" in shown
    assert NO_FLAGS in shown and 'class="flag"' not in shown

    client.post(f"{page}/flags", data={"csrf_token": token, "label": "repeat threats"})
    shown = client.get(page).get_data(as_text=True)
    assert "Flag added." in shown
    assert '<strong class="mark mark-flag">repeat threats</strong>' in shown
    (flag_id,) = re.findall(r'data-flag-id="(\d+)"', shown)
    assert "Flag: repeat threats" in client.get("/console/queue").get_data(as_text=True)

    # Without the form's token nothing changes.
    assert client.post(f"{page}/flags/{flag_id}/lift").status_code == 400
    lifted = client.post(f"{page}/flags/{flag_id}/lift", data={"csrf_token": token})
    assert lifted.status_code == 302
    shown = client.get(page).get_data(as_text=True)
    assert "Flag lifted." in shown and NO_FLAGS in shown
    again = client.post(f"{page}/flags/{flag_id}/lift", data={"csrf_token": token})
    assert again.status_code == 404


def test_a_french_counsellor_reads_the_history_and_an_earlier_conversation_in_french(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    first, second = came_back(app, client, alice)
    sign_in(client, "alice")
    choose(client, "fr")
    page = f"/console/conversations/{second}"
    shown = client.get(page).get_data(as_text=True)
    for words in (
        '<h2 id="history-heading">Historique de la personne qui écrit</h2>',
        '<p id="flags-none" class="hint">Aucun signalement.</p>',
        "1 conversation antérieure",
        f">Conversation {first}</a>",
        "Ajouter le signalement",
    ):
        assert words in shown, words
    assert "The texter&#39;s history" not in shown and "No flags." not in shown

    token = form_token(client.get(page))
    client.post(f"{page}/flags", data={"csrf_token": token, "label": "repeat threats"})
    shown = client.get(page).get_data(as_text=True)
    assert "Signalement ajouté." in shown
    # The day stays a <time> inside the translated sentence.
    until = r"jusqu&#39;à la fin du <time datetime=\"[^\"]+\">[^<]+</time>, par alice"
    assert re.search(until, shown)
    assert 'aria-label="Lever le signalement repeat threats">Lever</button>' in shown

    earlier = client.get(f"{page}/earlier/{first}").get_data(as_text=True)
    for words in (
        f"Conversation antérieure {first} (lecture seule)",
        "Conversation antérieure — lecture seule",
        f"Retour à la conversation {second}",
        '<h2 id="notes-heading">Notes privées</h2>',
        "<dt>Orientations</dt><dd>aucune enregistrée</dd>",
    ):
        assert words in earlier, words
    missing = client.get(f"{page}/earlier/999999")
    assert missing.status_code == 404
    assert "Cette conversation antérieure n&#39;existe pas" in missing.get_data(as_text=True)
