"""The list of a counsellor's own conversations on every console page, as rendered."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.console_sessions import sign_in
from tests.counsellors import add_counsellor
from tests.twilio_requests import post_signed, sms

API = "/api/v1"
CRISIS_WORDS = "i want to kill myself"


def unread(client: FlaskClient, headers: dict[str, str]) -> dict[int, tuple[int, bool]]:
    response = client.get(f"{API}/me/conversations", headers=headers)
    return {i["id"]: (i["unread"], i["crisis_unread"]) for i in response.get_json()["items"]}


def texter_says(client: FlaskClient, text: str) -> None:
    assert post_signed(client, sms(text)).status_code == 200


def test_opening_a_conversation_page_reads_it(
    app: Flask, client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    texter_says(client, CRISIS_WORDS)
    sign_in(client, "alice")

    assert client.get(f"/console/conversations/{held}").status_code == 200

    assert unread(client, alice) == {held: (0, False)}


def test_every_console_page_lists_the_counsellors_conversations_with_unread_counts(
    app: Flask, client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    texter_says(client, CRISIS_WORDS)
    sign_in(client, "alice")

    for path in ("/console/queue", "/console/two-factor"):
        html = client.get(path).get_data(as_text=True)
        strip = html[
            html.index('<nav id="caseload"') : html.index("</nav>", html.index("caseload"))
        ]
        assert f">Conversation {held}</a>" in strip
        assert '<strong class="mark mark-crisis">Crisis</strong>' in strip
        assert '<span class="mark mark-unread">2 unread</span>' in strip
        # The first words of the texter's last message, with how long ago it came; the
        # tab title never holds them.
        assert f'<p class="preview">\u201c{CRISIS_WORDS}\u201d</p>' in strip
        assert 'data-ago="yes">just now</time>' in strip
        assert CRISIS_WORDS not in html.split("</title>")[0]


def test_supervisors_pages_carry_the_list_too_but_error_pages_do_not(
    app: Flask, client: FlaskClient
) -> None:
    add_counsellor(app, "ada", role="admin")
    sign_in(client, "ada")
    for path in ("/console/audit", "/console/accounts"):
        html = client.get(path).get_data(as_text=True)
        assert 'id="caseload"' in html and ">none open</span>" in html
        assert html.count("<script") == 3  # console-parts.js, console.js, theme.js
    missing = client.get("/console/conversations/999")
    assert missing.status_code == 404
    assert 'id="caseload"' not in missing.get_data(as_text=True)
