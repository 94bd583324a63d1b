"""What a counsellor sees and hears live about the conversations they hold, in Chromium.

Texters write through the signed webhook while the counsellor's pages stay open: crisis
words and new messages must show without a reload, on every page the counsellor is on.
Sounds cannot be heard headless, so the page's own record of the last sound it played
(the data-last-sound attribute on <html>) stands in for the speaker.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pyotp
import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.browser.live import LiveHelpline, log_in, screenshot
from tests.browser.test_console import claim
from tests.counsellors import number, password_of

pytestmark = pytest.mark.browser

TEXTER, OTHER_TEXTER = number(1), number(2)
CRISIS_WORDS = "i want to kill myself"
LIVE = 2000  # milliseconds: how soon a change must show without a reload


def yours(page: Page) -> Locator:
    """The list of the counsellor's own conversations that every console page carries."""
    return page.get_by_role("navigation", name="Your conversations")


def held(page: Page, conversation_id: int) -> Locator:
    """A conversation's entry in that list."""
    return (
        yours(page)
        .get_by_role("listitem")
        .filter(has=page.get_by_role("link", name=f"Conversation {conversation_id}", exact=True))
    )


def last_sound(page: Page) -> Locator:
    return page.locator("html")


def sounds_played(page: Page) -> int:
    return int(page.locator("html").get_attribute("data-sounds-played") or 0)


def priority(page: Page) -> Locator:
    """The Priority fact on a conversation page."""
    return page.locator("dt", has_text="Priority").locator("xpath=following-sibling::dd")


def keep_the_page(page: Page) -> None:
    """Mark the page so that a reload, which would wipe the mark, shows."""
    page.evaluate("window.stillTheSamePage = true")


def was_not_reloaded(page: Page) -> bool:
    return page.evaluate("window.stillTheSamePage") is True


def holding(helpline: LiveHelpline, page: Page, name: str, *texters: str) -> list[int]:
    """Sign in and claim each texter from the queue; the page ends on the last one's page."""
    log_in(page, helpline, name)
    conversation_ids = []
    for texter in texters:
        conversation_id = helpline.texter_asks_for_a_person(texter)
        page.goto(helpline.url + "/console/queue")
        claim(page, helpline, texter, conversation_id)
        conversation_ids.append(conversation_id)
    # Browsers let a page make sounds once the person has clicked on it.
    page.locator("h1").click()
    return conversation_ids


def open_queue(context: BrowserContext, helpline: LiveHelpline) -> Page:
    queue = context.new_page()
    queue.goto(helpline.url + "/console/queue")
    queue.locator("h1").click()
    return queue


def test_crisis_words_in_a_held_conversation_show_on_its_page_and_the_queue_without_a_reload(
    helpline: LiveHelpline, new_context: Callable[[], BrowserContext]
) -> None:
    helpline.add_counsellor("ada")
    context = new_context()
    page = context.new_page()
    (conversation_id,) = holding(helpline, page, "ada", TEXTER)
    queue = open_queue(context, helpline)
    banner = page.get_by_role("alert").filter(has_text="Crisis words in this conversation")
    expect(banner).to_have_count(0)
    expect(priority(page)).not_to_have_text("100")
    expect(held(queue, conversation_id).get_by_text("Crisis")).to_have_count(0)
    for open_page in (page, queue):
        keep_the_page(open_page)

    started = time.monotonic()
    helpline.texter_says(TEXTER, CRISIS_WORDS)

    expect(banner).to_be_visible(timeout=LIVE)
    assert time.monotonic() - started < LIVE / 1000
    expect(priority(page)).to_have_text("100", timeout=LIVE)
    expect(page).to_have_title(
        f"\u26a0 Crisis \u00b7 Conversation {conversation_id} · Helpline Responder"
    )
    expect(last_sound(page)).to_have_attribute("data-last-sound", "crisis", timeout=LIVE)
    # The queue page, in the counsellor's other tab, marks it too.
    expect(held(queue, conversation_id).get_by_text("Crisis", exact=True)).to_be_visible(
        timeout=LIVE
    )
    expect(last_sound(queue)).to_have_attribute("data-last-sound", "crisis", timeout=LIVE)
    # Calm words only: nothing the texter wrote reaches the banner or a title.
    expect(banner).not_to_contain_text("kill")
    assert "kill" not in page.title() and "kill" not in queue.title()
    assert was_not_reloaded(page) and was_not_reloaded(queue)
    screenshot(page, "crisis-live")


def test_crisis_words_while_the_counsellor_is_on_the_queue_page_stay_in_the_title_until_read(
    helpline: LiveHelpline, page: Page
) -> None:
    helpline.add_counsellor("ada")
    (conversation_id,) = holding(helpline, page, "ada", TEXTER)
    page.goto(helpline.url + "/console/queue")
    page.locator("h1").click()
    expect(page).to_have_title("Queue · Helpline Responder")

    helpline.texter_says(TEXTER, CRISIS_WORDS)

    entry = held(page, conversation_id)
    expect(entry.get_by_text("Crisis", exact=True)).to_be_visible(timeout=LIVE)
    expect(entry).to_contain_text("1 unread")
    expect(page).to_have_title("\u26a0 Crisis \u00b7 (1) Queue · Helpline Responder")
    expect(last_sound(page)).to_have_attribute("data-last-sound", "crisis")

    entry.get_by_role("link").click()
    expect(page.get_by_text("Crisis words in this conversation")).to_be_visible()
    expect(held(page, conversation_id)).not_to_contain_text("unread")
    page.goto(helpline.url + "/console/queue")
    # Read now: the mark stays on the conversation, the alarm leaves the title.
    expect(held(page, conversation_id).get_by_text("Crisis", exact=True)).to_be_visible()
    expect(page).to_have_title("Queue · Helpline Responder")


def test_a_texter_writing_in_a_held_conversation_shows_on_every_page_until_it_is_opened(
    helpline: LiveHelpline, new_context: Callable[[], BrowserContext]
) -> None:
    helpline.add_counsellor("ada")
    context = new_context()
    other = context.new_page()
    first, second = holding(helpline, other, "ada", TEXTER, OTHER_TEXTER)
    expect(other).to_have_url(f"{helpline.url}/console/conversations/{second}")
    queue = open_queue(context, helpline)
    for page in (queue, other):
        expect(held(page, first)).not_to_contain_text("unread")
        keep_the_page(page)
    before = {page: sounds_played(page) for page in (queue, other)}

    helpline.texter_says(TEXTER, "are you there?? he just sent the pics to my friend")

    for page in (queue, other):
        expect(held(page, first)).to_contain_text("1 unread", timeout=LIVE)
        expect(held(page, second)).not_to_contain_text("unread")
        expect(last_sound(page)).to_have_attribute("data-last-sound", "message")
        assert sounds_played(page) == before[page] + 1
    expect(queue).to_have_title("(1) Queue · Helpline Responder")
    expect(other).to_have_title(f"(1) Conversation {second} · Helpline Responder")

    helpline.texter_says(TEXTER, "please")
    expect(held(queue, first)).to_contain_text("2 unread", timeout=LIVE)
    expect(queue).to_have_title("(2) Queue · Helpline Responder")
    expect(other).to_have_title(f"(2) Conversation {second} · Helpline Responder", timeout=LIVE)
    for page in (queue, other):
        assert "pics" not in page.title() and "please" not in page.title()
        assert was_not_reloaded(page)
    screenshot(queue, "unread-live")

    # Opening the conversation reads it, in this tab and in the counsellor's others.
    held(queue, first).get_by_role("link").click()
    expect(queue).to_have_url(f"{helpline.url}/console/conversations/{first}")
    expect(queue.get_by_text("please", exact=True)).to_be_visible()
    expect(held(queue, first)).not_to_contain_text("unread")
    expect(queue).to_have_title(f"Conversation {first} · Helpline Responder")
    expect(held(other, first)).not_to_contain_text("unread", timeout=LIVE)
    expect(other).to_have_title(f"Conversation {second} · Helpline Responder")


def test_only_the_texters_messages_count_as_unread(
    helpline: LiveHelpline, new_context: Callable[[], BrowserContext]
) -> None:
    helpline.add_counsellor("ada")
    context = new_context()
    page = context.new_page()
    (conversation_id,) = holding(helpline, page, "ada", TEXTER)
    queue = open_queue(context, helpline)

    page.get_by_label("Reply to the texter").fill("I am here. You did the right thing.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("I am here. You did the right thing.")).to_be_visible()
    # The reply is a change in the conversation, so the queue page looks: it stays read.
    helpline.texter_says(OTHER_TEXTER, "TALK")
    expect(queue.get_by_role("list", name="Waiting").get_by_role("listitem")).to_have_count(1)
    expect(held(queue, conversation_id)).not_to_contain_text("unread")
    expect(queue).to_have_title("Queue · Helpline Responder")


def test_a_message_in_the_conversation_on_screen_is_read_at_once_and_still_heard(
    helpline: LiveHelpline, page: Page
) -> None:
    helpline.add_counsellor("ada")
    (conversation_id,) = holding(helpline, page, "ada", TEXTER)

    helpline.texter_says(TEXTER, "hello? is anyone there")

    expect(page.get_by_text("hello? is anyone there", exact=True)).to_be_visible(timeout=LIVE)
    expect(last_sound(page)).to_have_attribute("data-last-sound", "message")
    expect(held(page, conversation_id)).not_to_contain_text("unread")
    expect(page).to_have_title(f"Conversation {conversation_id} · Helpline Responder")
    page.reload()
    expect(held(page, conversation_id)).not_to_contain_text("unread")


def test_the_audit_page_shows_a_supervisors_unread_messages_too(
    helpline: LiveHelpline, page: Page
) -> None:
    helpline.add_counsellor("sam", role="supervisor")
    log_in_with_a_new_code(page, helpline, "sam")
    conversation_id = helpline.texter_asks_for_a_person(TEXTER)
    page.goto(helpline.url + "/console/queue")
    claim(page, helpline, TEXTER, conversation_id)
    page.goto(helpline.url + "/console/audit")
    page.locator("h1").click()
    keep_the_page(page)

    helpline.texter_says(TEXTER, "are you still there")

    expect(held(page, conversation_id)).to_contain_text("1 unread", timeout=LIVE)
    expect(page).to_have_title("(1) Audit log · Helpline Responder")
    expect(last_sound(page)).to_have_attribute("data-last-sound", "message")
    assert was_not_reloaded(page)


def test_live_updates_pause_quietly_while_the_helpline_cannot_be_reached(
    helpline: LiveHelpline, new_context: Callable[[], BrowserContext]
) -> None:
    helpline.add_counsellor("ada")
    context = new_context()
    queue = context.new_page()
    (conversation_id,) = holding(helpline, queue, "ada", TEXTER)
    queue.goto(helpline.url + "/console/queue")
    errors: list[str] = []
    queue.on("pageerror", lambda error: errors.append(str(error)))
    dialogs: list[str] = []
    queue.on("dialog", lambda dialog: dialogs.append(dialog.message))

    context.set_offline(True)
    expect(queue.get_by_text(re.compile("Live updates paused"))).to_be_visible(timeout=10000)
    helpline.texter_says(TEXTER, "are you there")
    context.set_offline(False)

    expect(queue.get_by_text(re.compile("Live updates paused"))).to_be_hidden(timeout=15000)
    expect(held(queue, conversation_id)).to_contain_text("1 unread", timeout=LIVE)
    assert errors == [] and dialogs == []


def log_in_with_a_new_code(page: Page, helpline: LiveHelpline, name: str) -> None:
    """Sign in as a supervisor the first time: password, then set up the authenticator."""
    page.goto(helpline.url + "/console/login")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(password_of(name))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(helpline.url + "/console/login/enrol")
    secret = page.locator(".secret code").first.inner_text()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    expect(page).to_have_url(helpline.url + "/console/queue")
