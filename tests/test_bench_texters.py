"""The load's judge of the helpline's replies: the menu's rules, as a texter sees them."""

from __future__ import annotations

from bench.texters import wrong_reply

NOTE = "<Response><Message>We got your message. It is kept for the person.</Message></Response>"
MENU = "<Response><Message>Main menu. Reply with a number.</Message></Response>"


def test_a_texter_in_the_menu_must_get_an_answer() -> None:
    assert wrong_reply(0, silent=False, reply="<Response/>")
    assert not wrong_reply(1, silent=False, reply=MENU)


def test_a_waiting_texter_gets_nothing_or_only_the_note_that_their_message_is_kept() -> None:
    assert not wrong_reply(0, silent=True, reply="<Response/>")
    assert not wrong_reply(1, silent=True, reply=NOTE)
    assert wrong_reply(1, silent=True, reply=MENU)
    assert wrong_reply(2, silent=True, reply=NOTE + NOTE)
