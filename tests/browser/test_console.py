"""The counsellor console in a real headless Chromium: a shift from login to close."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Dialog, Locator, Page, expect

from responder.privacy.addresses import mask
from tests.browser.live import LiveHelpline, log_in, screenshot
from tests.counsellors import conversation, number

pytestmark = pytest.mark.browser

TEXTER = number(1)
TAKEN = re.compile("taken", re.IGNORECASE)


def queue_row(page: Page, texter: str) -> Locator:
    """The queue's entry for a texter, found by their masked number."""
    waiting = page.get_by_role("list", name="Waiting")
    return waiting.get_by_role("listitem").filter(has_text=mask(texter))


def claim(page: Page, helpline: LiveHelpline, texter: str, conversation_id: int) -> None:
    queue_row(page, texter).get_by_role("button", name="Claim").click()
    expect(page).to_have_url(f"{helpline.url}/console/conversations/{conversation_id}")


def reply(page: Page, text: str) -> None:
    page.get_by_label("Reply to the texter").fill(text)
    page.get_by_role("button", name="Send").click()


def test_a_counsellor_logs_in_and_sees_who_is_waiting(helpline: LiveHelpline, page: Page) -> None:
    helpline.add_counsellor("ada")
    helpline.texter_asks_for_a_person(TEXTER)

    log_in(page, helpline, "ada")

    expect(queue_row(page, TEXTER)).to_be_visible()
    expect(queue_row(page, TEXTER).get_by_role("button", name="Claim")).to_be_enabled()
    screenshot(page, "queue")


def test_a_new_handoff_appears_in_the_queue_within_two_seconds_without_a_reload(
    helpline: LiveHelpline, page: Page
) -> None:
    helpline.add_counsellor("ada")
    log_in(page, helpline, "ada")
    expect(queue_row(page, TEXTER)).to_have_count(0)
    # A reload would wipe this; it must still be there once the texter shows up.
    page.evaluate("window.stillTheSamePage = true")

    helpline.texter_asks_for_a_person(TEXTER)

    expect(queue_row(page, TEXTER)).to_be_visible(timeout=2000)
    assert page.evaluate("window.stillTheSamePage") is True


def test_claiming_opens_the_conversation_with_what_the_texter_wrote(
    helpline: LiveHelpline, page: Page
) -> None:
    helpline.add_counsellor("ada")
    conversation_id = helpline.texter_asks_for_a_person(TEXTER)
    helpline.texter_says(TEXTER, "someone is threatening to share my photos")
    log_in(page, helpline, "ada")

    claim(page, helpline, TEXTER, conversation_id)

    expect(page.get_by_text("someone is threatening to share my photos")).to_be_visible()
    expect(page.get_by_text(mask(TEXTER)).first).to_be_visible()
    assert conversation(helpline.app, conversation_id).state == "counsellor"


def test_a_reply_shows_its_status_and_turns_delivered_after_twilios_callback(
    helpline: LiveHelpline, page: Page
) -> None:
    helpline.add_counsellor("ada")
    conversation_id = helpline.texter_asks_for_a_person(TEXTER)
    log_in(page, helpline, "ada")
    claim(page, helpline, TEXTER, conversation_id)

    reply(page, "You did the right thing by writing. Let's go through it together.")

    transcript = page.get_by_role("list", name="Messages")
    sent = transcript.get_by_role("listitem").filter(has_text="You did the right thing by writing.")
    expect(sent).to_be_visible()
    expect(sent).to_contain_text("queued")

    assert helpline.deliver() == 1
    (message,) = helpline.counsellor_messages(conversation_id)
    assert helpline.twilio.sends[0]["Body"] == message.body
    helpline.report_status(message, "delivered", TEXTER)

    # The page learns of the callback by itself, as it does of new texts.
    expect(sent).to_contain_text("delivered", timeout=3000)
    screenshot(page, "conversation")


def test_closing_ends_the_conversation(helpline: LiveHelpline, page: Page) -> None:
    helpline.add_counsellor("ada")
    conversation_id = helpline.texter_asks_for_a_person(TEXTER)
    log_in(page, helpline, "ada")
    claim(page, helpline, TEXTER, conversation_id)

    for question, answer in (
        ("Type of contact", "Counselling: about themselves"),
        ("Age, as the texter gave it", "Not given"),
        ("Gender, as the texter gave it", "Not given"),
    ):
        page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()
    page.get_by_label("Other online sexual exploitation").check()
    page.get_by_role("button", name="Review and close").click()
    page.get_by_role("button", name="Close the conversation").click()

    expect(page).to_have_url(helpline.url + "/console/queue")
    closed = conversation(helpline.app, conversation_id)
    assert closed.state == "closed"
    assert closed.category == "violence/online_sexual_exploitation"


def test_when_two_counsellors_claim_at_once_one_gets_it_and_the_other_is_told_it_is_taken(
    helpline: LiveHelpline, new_context: Callable[[], BrowserContext]
) -> None:
    helpline.add_counsellor("ada")
    helpline.add_counsellor("ben")
    conversation_id = helpline.texter_asks_for_a_person(TEXTER)
    pages = [new_context().new_page(), new_context().new_page()]
    for page, name in zip(pages, ["ada", "ben"], strict=True):
        log_in(page, helpline, name)
        expect(queue_row(page, TEXTER)).to_be_visible()

    # Both press Claim on the same row, the second before the first page has moved on.
    for page in pages:
        queue_row(page, TEXTER).get_by_role("button", name="Claim").click(no_wait_after=True)

    opened = f"{helpline.url}/console/conversations/{conversation_id}"
    outcomes = []
    for page in pages:
        # The reply box is only on the conversation page.
        told_or_opened = page.get_by_text(TAKEN).or_(page.get_by_label("Reply to the texter"))
        expect(told_or_opened.first).to_be_visible()
        outcomes.append("claimed" if page.url == opened else "told")
    assert sorted(outcomes) == ["claimed", "told"]
    assert helpline.owner_of(conversation_id) == ["ada", "ben"][outcomes.index("claimed")]


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"])
def test_a_texters_markup_is_shown_as_text_and_runs_nothing(
    helpline: LiveHelpline, page: Page, text: str
) -> None:
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    helpline.add_counsellor("ada")
    conversation_id = helpline.texter_asks_for_a_person(TEXTER)
    helpline.texter_says(TEXTER, text)
    log_in(page, helpline, "ada")
    claim(page, helpline, TEXTER, conversation_id)

    expect(page.get_by_text(text, exact=True)).to_be_visible()
    assert page.locator("img[src='x']").count() == 0
    # A message arriving while the page is open is drawn by the page's script: the
    # server's escaping is no help there.
    helpline.texter_says(TEXTER, text + " again")
    expect(page.get_by_text(text + " again", exact=True)).to_be_visible(timeout=3000)
    assert page.locator("img[src='x']").count() == 0
    assert dialogs == []
