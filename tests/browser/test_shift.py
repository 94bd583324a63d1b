"""A counsellor's shift with several conversations at once, in Chromium.

The rail of their conversations (most urgent first, with what the texter last wrote),
switching between them without a page load, the keys, a conversation page that fits
the screen, a release that asks once more, the dark theme, and narrow windows.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from sqlalchemy import func, select

from responder.store.db import get_session
from responder.store.models import Message
from tests.browser.live import LiveHelpline, log_in, screenshot
from tests.counsellors import add_counsellor, conversation, number

pytestmark = pytest.mark.browser

API = "/api/v1"
FIRST, SECOND, THIRD = number(1), number(2), number(3)
CRISIS_WORDS = "i want to kill myself"
LIVE = 2500  # milliseconds: how soon a change must show without a reload
RELEASED = "The chat with the helper has ended. You can still use the menu: reply MENU."


def rail(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Your conversations")


def entry(page: Page, conversation_id: int) -> Locator:
    """A conversation's entry in the rail."""
    return (
        rail(page)
        .get_by_role("listitem")
        .filter(has=page.get_by_role("link", name=f"Conversation {conversation_id}", exact=True))
    )


def rail_order(page: Page) -> list[str]:
    return rail(page).locator("#caseload-list > li a").all_inner_texts()


def keep_the_page(page: Page) -> None:
    page.evaluate("window.stillTheSamePage = true")


def was_not_reloaded(page: Page) -> bool:
    return page.evaluate("window.stillTheSamePage") is True


def holding_three(helpline: LiveHelpline, page: Page) -> tuple[dict[str, str], list[int]]:
    """Ada claims three texters through the API and signs in; returns her token and the ids."""
    ada = add_counsellor(helpline.app, "ada")
    ids = []
    for texter in (FIRST, SECOND, THIRD):
        conversation_id = helpline.texter_asks_for_a_person(texter)
        claimed = helpline.client.post(f"{API}/conversations/{conversation_id}/claim", headers=ada)
        assert claimed.status_code == 200
        ids.append(conversation_id)
    log_in(page, helpline, "ada")
    # Opening each reads it: nothing starts unread.
    for conversation_id in ids:
        open_conversation(page, helpline, conversation_id)
    return ada, ids


def answer(helpline: LiveHelpline, headers: dict[str, str], conversation_id: int) -> None:
    response = helpline.client.post(
        f"{API}/conversations/{conversation_id}/messages", headers=headers, json={"body": "Hi"}
    )
    assert response.status_code == 202


def open_conversation(page: Page, helpline: LiveHelpline, conversation_id: int) -> None:
    page.goto(f"{helpline.url}/console/conversations/{conversation_id}")
    expect(page.get_by_role("heading", name=f"Conversation {conversation_id}")).to_be_visible()


def messages_in(helpline: LiveHelpline, conversation_id: int) -> int:
    with helpline.app.app_context():
        return get_session().scalar(
            select(func.count(Message.id)).where(Message.conversation_id == conversation_id)
        )


def test_a_texters_message_shows_at_once_in_the_rail_on_another_conversation_and_the_queue(
    helpline: LiveHelpline, new_context: Callable[[], BrowserContext]
) -> None:
    context = new_context()
    page = context.new_page()
    _, (first, _, third) = holding_three(helpline, page)
    open_conversation(page, helpline, third)
    queue = context.new_page()
    queue.goto(helpline.url + "/console/queue")
    for open_page in (page, queue):
        keep_the_page(open_page)
        expect(rail(open_page).get_by_text("unread")).to_have_count(0)

    helpline.texter_says(FIRST, "they say they will post it tonight unless I pay them")

    for open_page in (page, queue):
        item = entry(open_page, first)
        expect(item.get_by_text("1 unread")).to_be_visible(timeout=LIVE)
        # The first words only, as text, with how long ago they came.
        expect(item.locator(".preview")).to_have_text(
            "\u201cthey say they will post it tonight\u2026\u201d"
        )
        expect(item.locator(".ago")).to_have_text("just now")
        assert was_not_reloaded(open_page)
    expect(page).to_have_title(f"(1) Conversation {third} · Helpline Responder")
    expect(queue).to_have_title("(1) Queue · Helpline Responder")


def test_the_rail_puts_crisis_first_then_the_texter_who_has_waited_longest(
    helpline: LiveHelpline, page: Page
) -> None:
    ada, (first, second, third) = holding_three(helpline, page)
    for conversation_id in (first, second, third):
        answer(helpline, ada, conversation_id)
    page.goto(helpline.url + "/console/queue")
    expect(rail(page).get_by_role("listitem")).to_have_count(3)
    # Everyone has an answer: the order they were claimed in.
    assert rail_order(page) == [f"Conversation {i}" for i in (first, second, third)]

    helpline.texter_says(THIRD, "hello?")
    helpline.texter_says(SECOND, "are you there")
    expected = [f"Conversation {i}" for i in (third, second, first)]
    expect(rail(page).locator("#caseload-list > li a")).to_have_text(expected, timeout=LIVE)

    helpline.texter_says(FIRST, CRISIS_WORDS)
    expected = [f"Conversation {i}" for i in (first, third, second)]
    expect(rail(page).locator("#caseload-list > li a")).to_have_text(expected, timeout=LIVE)
    expect(entry(page, first).get_by_text("Crisis", exact=True)).to_be_visible()


def test_switching_conversations_keeps_the_page_and_its_rail(
    helpline: LiveHelpline, page: Page
) -> None:
    _, (first, second, _) = holding_three(helpline, page)
    open_conversation(page, helpline, first)
    keep_the_page(page)
    page.get_by_label("Reply to the texter").fill("a draft for the first")
    helpline.texter_says(SECOND, "hello again")
    expect(entry(page, second).get_by_text("1 unread")).to_be_visible(timeout=LIVE)

    entry(page, second).get_by_role("link").click()

    expect(page).to_have_url(f"{helpline.url}/console/conversations/{second}")
    expect(page.get_by_role("heading", name=f"Conversation {second}")).to_be_visible()
    expect(entry(page, second).get_by_role("link")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("list", name="Messages")).to_contain_text("hello again")
    # Opened, so read: the rail and the tab title say so at once.
    expect(entry(page, second).get_by_text("unread")).to_have_count(0)
    expect(page).to_have_title(f"Conversation {second} · Helpline Responder")
    # The reply box is the second conversation's now, and sends there.
    page.get_by_label("Reply to the texter").fill("for the second")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("list", name="Messages")).to_contain_text("for the second")
    assert [m.body for m in helpline.counsellor_messages(second)] == ["for the second"]
    assert helpline.counsellor_messages(first) == []

    # Back: the first again, with its draft, still without a page load.
    page.go_back()
    expect(page.get_by_role("heading", name=f"Conversation {first}")).to_be_visible()
    expect(page.get_by_label("Reply to the texter")).to_have_value("a draft for the first")
    assert was_not_reloaded(page)


def test_a_plain_link_in_the_rail_works_without_the_script(
    helpline: LiveHelpline, browser: Browser
) -> None:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    _, (first, second, _) = holding_three(helpline, page)
    open_conversation(page, helpline, first)
    entry(page, second).get_by_role("link").click()
    expect(page).to_have_url(f"{helpline.url}/console/conversations/{second}")
    expect(page.get_by_role("heading", name=f"Conversation {second}")).to_be_visible()
    context.close()


def test_enter_sends_and_shift_enter_starts_a_new_line(helpline: LiveHelpline, page: Page) -> None:
    _, (first, _, _) = holding_three(helpline, page)
    open_conversation(page, helpline, first)
    box = page.get_by_label("Reply to the texter")

    box.click()
    box.type("You are not alone.")
    box.press("Shift+Enter")
    box.type("We can sort this out.")
    assert helpline.counsellor_messages(first) == []
    box.press("Enter")

    expect(box).to_have_value("")
    expect(page.get_by_role("list", name="Messages")).to_contain_text("We can sort this out.")
    (sent,) = helpline.counsellor_messages(first)
    assert sent.body == "You are not alone.\nWe can sort this out."


def test_keys_switch_conversations_and_open_the_canned_replies(
    helpline: LiveHelpline, page: Page
) -> None:
    _, ids = holding_three(helpline, page)
    open_conversation(page, helpline, ids[0])
    keep_the_page(page)
    second = rail_order(page)[1].removeprefix("Conversation ")

    page.keyboard.press("Alt+2")

    expect(page).to_have_url(f"{helpline.url}/console/conversations/{second}")
    expect(page.get_by_role("heading", name=f"Conversation {second}")).to_be_visible()
    assert was_not_reloaded(page)
    # "/" in the empty reply box goes to the canned replies; typed after words, it is a "/".
    box = page.get_by_label("Reply to the texter")
    box.focus()
    page.keyboard.press("/")
    canned = page.get_by_role("region", name="Canned replies")
    expect(canned.get_by_role("button").first).to_be_focused()
    box.fill("yes")
    box.press("End")
    page.keyboard.press("/")
    expect(box).to_have_value("yes/")


@pytest.mark.parametrize("texts", [3, 60])
def test_the_newest_message_and_the_reply_box_fit_a_1280_by_900_screen(
    helpline: LiveHelpline, page: Page, texts: int
) -> None:
    _, (first, _, _) = holding_three(helpline, page)
    for n in range(1, texts + 1):
        helpline.texter_says(FIRST, f"message number {n} from the texter")

    open_conversation(page, helpline, first)

    newest = page.get_by_text(f"message number {texts} from the texter", exact=True)
    expect(newest).to_be_in_viewport()
    expect(page.get_by_label("Reply to the texter")).to_be_in_viewport()
    expect(page.get_by_role("button", name="Send")).to_be_in_viewport()
    # The window itself does not scroll: only the transcript does.
    assert page.evaluate("document.scrollingElement.scrollHeight <= window.innerHeight")
    if texts == 60:
        expect(
            page.get_by_text("message number 1 from the texter", exact=True)
        ).not_to_be_in_viewport()
        screenshot(page, "conversation-60")


def test_reading_back_does_not_jump_and_new_messages_are_announced_below(
    helpline: LiveHelpline, page: Page
) -> None:
    _, (first, _, _) = holding_three(helpline, page)
    for n in range(1, 41):
        helpline.texter_says(FIRST, f"message number {n}")
    open_conversation(page, helpline, first)
    pane = page.locator("#transcript-pane")
    pane.evaluate("node => { node.scrollTop = 0; }")

    helpline.texter_says(FIRST, "the newest one")

    below = page.get_by_role("button", name="New messages below")
    expect(below).to_be_visible(timeout=LIVE)
    expect(page.get_by_text("message number 1", exact=True)).to_be_in_viewport()
    below.click()
    expect(page.get_by_text("the newest one", exact=True)).to_be_in_viewport()


def test_the_bots_pages_are_folded_to_one_line(helpline: LiveHelpline, page: Page) -> None:
    ada = add_counsellor(helpline.app, "ada")
    helpline.texter_says(FIRST, "hello")  # the welcome and the menu
    helpline.texter_says(FIRST, "1")  # the menu's first page
    conversation_id = helpline.texter_asks_for_a_person(FIRST)
    assert helpline.client.post(f"{API}/conversations/{conversation_id}/claim", headers=ada)
    log_in(page, helpline, "ada")
    open_conversation(page, helpline, conversation_id)

    step = page.locator(".bot-page").filter(
        has=page.locator("summary", has_text="Bot: Right now: stop replying")
    )
    expect(step).to_have_count(1)
    expect(step.get_by_text("Step 1 of 6.")).to_be_hidden()
    step.locator("summary").click()
    expect(step.get_by_text("Step 1 of 6.")).to_be_visible()


def test_a_private_note_shows_in_the_timeline_marked_private(
    helpline: LiveHelpline, page: Page
) -> None:
    _, (first, _, _) = holding_three(helpline, page)
    open_conversation(page, helpline, first)
    page.get_by_text("Add a private note").click()
    page.get_by_label("New note").fill("seems calmer now")
    page.get_by_role("button", name="Add note").click()
    timeline = page.get_by_role("list", name="Messages")
    note = timeline.get_by_role("listitem").filter(has_text="seems calmer now")
    expect(note).to_contain_text("Private note")
    helpline.texter_says(FIRST, "thank you")
    # In time order: the texter's later message comes after the note.
    expect(timeline.get_by_role("listitem").last).to_contain_text("thank you", timeout=LIVE)


def test_release_asks_once_more_saying_what_the_texter_will_receive(
    helpline: LiveHelpline, page: Page
) -> None:
    _, (first, _, _) = holding_three(helpline, page)
    open_conversation(page, helpline, first)
    before = messages_in(helpline, first)
    send = page.get_by_role("button", name="Send")
    release = page.get_by_role("button", name="Release to the menu")
    # Away from Send, and unlike it.
    assert release.evaluate(
        "b => !b.closest('form').contains(document.getElementById('reply-body'))"
    )
    assert release.evaluate("b => getComputedStyle(b).backgroundColor") != send.evaluate(
        "b => getComputedStyle(b).backgroundColor"
    )

    release.click()

    asking = page.get_by_role("group", name=re.compile("Release conversation"))
    expect(asking).to_be_visible()
    expect(asking).to_contain_text(RELEASED)
    expect(asking.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Enter")  # Cancel, from the keyboard
    expect(asking).to_be_hidden()
    expect(release).to_be_focused()
    assert conversation(helpline.app, first).state == "counsellor"
    assert messages_in(helpline, first) == before

    release.press("Enter")
    asking.get_by_role("button", name="Yes, release").click()
    expect(page).to_have_url(helpline.url + "/console/queue")
    assert conversation(helpline.app, first).state == "menu"
    assert messages_in(helpline, first) == before + 1


def test_the_dark_theme_changes_the_colours_and_outlasts_a_reload(
    helpline: LiveHelpline, page: Page
) -> None:
    page.emulate_media(color_scheme="light")
    holding_three(helpline, page)

    def background() -> str:
        return page.evaluate("getComputedStyle(document.body).backgroundColor")

    light = background()
    page.get_by_role("button", name="Dark").click()
    dark = background()
    assert dark != light
    expect(page.get_by_role("button", name="Dark")).to_have_attribute("aria-pressed", "true")

    page.reload()
    assert background() == dark
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    screenshot(page, "conversation-dark")

    page.get_by_role("button", name="System").click()
    assert background() == light
    page.emulate_media(color_scheme="dark")
    assert background() == dark


def test_a_narrow_window_shows_one_column(helpline: LiveHelpline, page: Page) -> None:
    _, (first, _, _) = holding_three(helpline, page)
    page.set_viewport_size({"width": 600, "height": 900})
    open_conversation(page, helpline, first)

    talk = page.locator(".talk").bounding_box()
    side = page.locator(".side").bounding_box()
    assert talk is not None and side is not None
    assert side["y"] >= talk["y"] + talk["height"]  # below, not beside
    assert abs(side["x"] - talk["x"]) < 2
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    screenshot(page, "conversation-600")


def test_a_switched_in_conversation_flags_closes_and_transfers_without_a_reload(
    helpline: LiveHelpline, page: Page, new_context: Callable[[], BrowserContext]
) -> None:
    _, (first, second, third) = holding_three(helpline, page)
    helpline.add_counsellor("bob")
    bob = new_context().new_page()
    log_in(bob, helpline, "bob")
    bob.get_by_label("Available for new texters").check()
    open_conversation(page, helpline, first)
    keep_the_page(page)

    # Switched in through the rail: the panel's own forms work as they do on a loaded page.
    entry(page, second).get_by_role("link").click()
    expect(page.get_by_role("heading", name=f"Conversation {second}")).to_be_visible()
    page.get_by_label("Flag the texter").fill("repeat threats")
    page.get_by_role("button", name="Add flag").click()
    expect(page.get_by_role("status").filter(has_text="Flag added")).to_have_count(1)
    page.get_by_role("button", name="Review and close").click()
    expect(page.locator("#close-error")).to_contain_text("another look")
    assert was_not_reloaded(page)

    entry(page, third).get_by_role("link").click()
    expect(page.get_by_role("heading", name=f"Conversation {third}")).to_be_visible()
    choices = page.get_by_label("To a counsellor who is here, with room")
    choices.select_option("bob")
    page.get_by_label("Note for them").fill("She is calmer now.")
    page.get_by_role("button", name="Transfer").click()
    expect(page).to_have_url(f"{helpline.url}/console/queue")
    assert helpline.owner_of(third) == "bob"


def test_someone_else_closing_a_conversation_you_hold_is_said_in_words(
    helpline: LiveHelpline, page: Page
) -> None:
    _, (first, _, third) = holding_three(helpline, page)
    sam = add_counsellor(helpline.app, "sam", role="supervisor")
    open_conversation(page, helpline, third)

    closing = {"category": "age_unknown"}
    closed = helpline.client.post(f"{API}/conversations/{first}/close", headers=sam, json=closing)
    assert closed.status_code == 200

    expect(
        page.get_by_role("alert").filter(has_text=f"Conversation {first} was closed by sam")
    ).to_be_visible(timeout=LIVE)
    expect(entry(page, first)).to_have_count(0)
