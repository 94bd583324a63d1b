"""The live board page: risk and waits in words, late answers marked, in the console's language."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from tests.console_sessions import sign_in
from tests.counsellors import latest_conversation, make_present, number, went_by
from tests.twilio_requests import post_signed, sms
from tests.web.test_console_french_pages import speak
from tests.web.test_console_pages import page

CRISIS = "i want to kill myself"


def test_a_supervisor_sees_a_new_crisis_on_the_board_in_words(
    app: Flask, client: FlaskClient, sam: dict[str, str]
) -> None:
    post_signed(client, sms(CRISIS, sender=number(1)))
    crisis = latest_conversation(app, number(1)).id
    sign_in(client, "sam")
    board = page(client, "/console/board")
    assert '<a href="/console/board">Live board</a>' in board
    row = board[board.index(f'id="board-{crisis}"') :]
    row = row[: row.index("</tr>")]
    assert "Crisis" in row and "In the queue" in row and "under a minute" in row
    assert "is-overdue" not in row and "Waiting too long" not in row
    assert "1 open: 1 in the queue, 0 with a counsellor." in board
    assert "Nobody has waited too long." in board
    assert "kill" not in board  # the board never shows what texters wrote


def test_a_late_answer_stands_out_and_the_holder_shows_with_presence_and_load(
    app: Flask, client: FlaskClient, alice: dict[str, str], sam: dict[str, str]
) -> None:
    post_signed(client, sms(CRISIS, sender=number(1)))
    crisis = latest_conversation(app, number(1)).id
    assert client.post(f"/api/v1/conversations/{crisis}/claim", headers=alice).status_code == 200
    make_present(app, "alice")
    went_by(app, crisis, timedelta(minutes=6))
    sign_in(client, "sam")
    board = page(client, "/console/board/live")
    assert board.startswith('<div id="board">')  # the part board.js swaps in, alone
    row = board[board.index(f'id="board-{crisis}"') :]
    row = row[: row.index("</tr>")]
    assert "is-overdue" in row and "Waiting too long" in row and "6 min" in row
    assert "alice: available, 1 of 3" in row
    assert "1 texter has waited too long for an answer." in board


def test_an_empty_helpline_shows_an_empty_board_and_who_is_there(
    app: Flask, client: FlaskClient, sam: dict[str, str]
) -> None:
    sign_in(client, "sam")
    board = page(client, "/console/board")
    assert "No conversation is open." in board
    team = board[board.index('class="team"') :]
    # Signed in, but the switch is off: away, holding nothing.
    assert '<th scope="row">sam</th>\n          <td>away</td>' in team and "0 of 3" in team


def test_a_counsellor_is_not_shown_the_board(client: FlaskClient, alice: dict[str, str]) -> None:
    sign_in(client, "alice")
    assert client.get("/console/board").status_code == 403
    assert client.get("/console/board/live").status_code == 403
    assert "/console/board" not in page(client, "/console/queue")


def test_a_french_supervisor_reads_the_board_in_french(
    app: Flask, client: FlaskClient, sam: dict[str, str]
) -> None:
    post_signed(client, sms(CRISIS, sender=number(1)))
    sign_in(client, "sam")
    speak(client, "fr", "/console/board")
    board = page(client, "/console/board")
    assert "Tableau en direct" in board and "Crise" in board and "Dans la file" in board
    assert "Trop longtemps : 5 min pour une crise, 10 min pour les autres." in board
    assert "Live board" not in board and "In the queue" not in board
