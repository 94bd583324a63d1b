"""A supervisor steps in, in real browsers: the counsellor sees the note and the take-over live."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.live import LiveHelpline, log_in
from tests.browser.test_conversation_words import holds
from tests.browser.test_presence import log_in_with_a_new_code
from tests.counsellors import number

pytestmark = pytest.mark.browser

LIVE = 3000  # milliseconds: how soon a change must show on the other screen


def test_a_supervisors_note_and_take_over_reach_the_counsellor_and_not_the_texter(
    helpline: LiveHelpline, new_context: Callable[[], BrowserContext]
) -> None:
    helpline.add_counsellor("ada")
    helpline.add_counsellor("sam", role="supervisor")
    conversation_id = holds(helpline, "ada", number(1))
    helpline.deliver()  # the bot's replies and the counsellor's greeting go first
    here = f"{helpline.url}/console/conversations/{conversation_id}"
    ada = new_context().new_page()
    log_in(ada, helpline, "ada")
    ada.goto(here)
    expect(ada.get_by_role("heading", name="Step in")).to_have_count(0)

    sam = new_context().new_page()
    log_in_with_a_new_code(sam, helpline, "sam")  # supervisors sign in with a second step
    sam.goto(here)
    sam.get_by_text("Add a private note").click()
    sam.get_by_label("New note").fill("Ask whether she has told anyone at home.")
    sam.get_by_role("button", name="Add note").click()

    # Ada reads it in the conversation without reloading, and is told who wrote it.
    expect(ada.get_by_text("Ask whether she has told anyone at home.")).to_be_visible(timeout=LIVE)
    expect(
        ada.get_by_text(f"sam left a private note on conversation {conversation_id}.")
    ).to_be_visible(timeout=LIVE)

    sam.get_by_role("button", name="Take over").click()
    expect(sam.get_by_text(f"You now hold conversation {conversation_id}.")).to_be_visible()
    expect(
        ada.get_by_text(f"Conversation {conversation_id} was transferred by sam.")
    ).to_be_visible(timeout=LIVE)
    assert helpline.owner_of(conversation_id) == "sam"
    # Neither the note nor the take-over sent the texter anything.
    assert helpline.deliver() == 0
