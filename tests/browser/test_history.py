"""A texter who comes back days later: the counsellor sees their last time, and flags them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select, update

from responder.store.casework import ContactFlag
from responder.store.db import get_session
from responder.store.models import AuditEntry, Counsellor
from tests.browser.live import LiveHelpline, log_in, screenshot
from tests.browser.test_accessibility import assert_clean, scan
from tests.browser.test_console import queue_row
from tests.counselling.test_history import NOTE, REPLY, days_ago, talk_and_close
from tests.counsellors import add_counsellor, number

pytestmark = pytest.mark.browser

TEXTER = number(1)


def came_back(helpline: LiveHelpline) -> tuple[int, int]:
    """Ada talked with the texter three days ago; now they are back in the queue."""
    ada = add_counsellor(helpline.app, "ada")
    first = talk_and_close(helpline.client, ada, TEXTER)
    days_ago(helpline.app, first, 3)
    return first, helpline.texter_asks_for_a_person(TEXTER)


def open_conversation(page: Page, helpline: LiveHelpline, conversation_id: int) -> None:
    page.goto(f"{helpline.url}/console/conversations/{conversation_id}")
    # A reload would wipe this: changes below must come without one.
    page.evaluate("window.stillTheSamePage = true")


def test_the_counsellor_sees_one_earlier_conversation_and_reads_it(
    helpline: LiveHelpline, page: Page
) -> None:
    first, second = came_back(helpline)
    log_in(page, helpline, "ada")
    open_conversation(page, helpline, second)

    heading = page.get_by_role("heading", name="1 earlier conversation")
    expect(heading).to_be_visible()
    earlier = page.get_by_role("list", name="1 earlier conversation").get_by_role("listitem")
    expect(earlier).to_have_count(1)
    expect(earlier).to_contain_text("Violence: online sexual exploitation; Sextortion")
    screenshot(page, "history")

    earlier.get_by_role("link", name=f"Conversation {first}").click()

    expect(page).to_have_url(f"{helpline.url}/console/conversations/{second}/earlier/{first}")
    expect(page.get_by_text("Earlier conversation — read only")).to_be_visible()
    expect(page.get_by_role("list", name="Messages")).to_contain_text(REPLY)
    expect(page.get_by_role("list", name="Private notes")).to_contain_text(NOTE)
    expect(page.get_by_label("Reply to the texter")).to_have_count(0)
    expect(page.get_by_role("main").get_by_role("button")).to_have_count(0)
    with helpline.app.app_context():
        seen = (
            get_session()
            .scalars(select(AuditEntry).where(AuditEntry.conversation_id == first))
            .all()
        )
    assert [(e.action, e.detail) for e in seen][-1] == ("view", {"via": second})


def test_a_flag_added_shows_in_the_queue_until_it_expires(
    helpline: LiveHelpline, page: Page
) -> None:
    _, second = came_back(helpline)
    log_in(page, helpline, "ada")
    open_conversation(page, helpline, second)

    page.get_by_label("Flag the texter").fill("repeat threats")
    page.get_by_role("button", name="Add flag").click()

    flags = page.get_by_role("list", name="Flags").get_by_role("listitem")
    expect(flags).to_have_count(1)
    expect(flags).to_contain_text("repeat threats")
    expect(page.get_by_role("status").filter(has_text="Flag added")).to_have_count(1)
    assert page.evaluate("window.stillTheSamePage") is True

    page.get_by_role("link", name="Queue").click()
    expect(queue_row(page, TEXTER)).to_contain_text("Flag: repeat threats")
    # Another texter joins: the live queue redraws itself and keeps the flag.
    helpline.texter_asks_for_a_person(number(2))
    expect(queue_row(page, number(2))).to_be_visible()
    expect(queue_row(page, TEXTER)).to_contain_text("Flag: repeat threats")

    # A month later nobody has lifted it: it is simply gone.
    with helpline.app.app_context():
        session = get_session()
        session.execute(
            update(ContactFlag).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        session.commit()
    page.reload()
    expect(queue_row(page, TEXTER)).to_be_visible()
    expect(queue_row(page, TEXTER)).not_to_contain_text("repeat threats")


def test_a_flag_is_lifted_without_a_reload(helpline: LiveHelpline, page: Page) -> None:
    _, second = came_back(helpline)
    log_in(page, helpline, "ada")
    open_conversation(page, helpline, second)
    page.get_by_label("Flag the texter").fill("prank")
    page.get_by_role("button", name="Add flag").click()
    expect(page.get_by_role("list", name="Flags")).to_contain_text("prank")

    page.get_by_role("button", name="Lift the flag prank").click()

    expect(page.get_by_role("list", name="Flags").get_by_role("listitem")).to_have_count(0)
    expect(page.get_by_text("No flags.")).to_be_visible()
    expect(page.get_by_label("Flag the texter")).to_be_focused()
    assert page.evaluate("window.stillTheSamePage") is True
    with helpline.app.app_context():
        assert get_session().scalars(select(ContactFlag)).all() == []


def test_the_history_panel_and_the_earlier_page_have_no_wcag_violation(
    helpline: LiveHelpline, new_context: Callable[[], BrowserContext]
) -> None:
    first, second = came_back(helpline)
    context = new_context()
    page = context.new_page()
    log_in(page, helpline, "ada")
    open_conversation(page, helpline, second)
    page.get_by_label("Flag the texter").fill("repeat threats")
    page.get_by_role("button", name="Add flag").click()
    expect(page.get_by_role("list", name="Flags")).to_contain_text("repeat threats")

    paths = [
        "/console/queue",
        f"/console/conversations/{second}",
        f"/console/conversations/{second}/earlier/{first}",
    ]
    assert_clean({path: scan(context, helpline.url + path) for path in paths})


def test_a_french_counsellor_adds_and_lifts_a_flag_in_french(
    helpline: LiveHelpline, page: Page
) -> None:
    _, second = came_back(helpline)
    with helpline.app.app_context():
        session = get_session()
        session.execute(update(Counsellor).values(console_language="fr"))
        session.commit()
    log_in(page, helpline, "ada")
    open_conversation(page, helpline, second)
    expect(page.get_by_role("heading", name="1 conversation antérieure")).to_be_visible()

    page.get_by_label("Signaler la personne qui écrit").fill("prank")
    page.get_by_role("button", name="Ajouter le signalement").click()

    flags = page.get_by_role("list", name="Signalements").get_by_role("listitem")
    expect(flags).to_have_count(1)
    # Drawn by history.js, in the counsellor's language.
    expect(flags).to_contain_text("jusqu'à la fin du")
    expect(flags).to_contain_text(", par ada")
    expect(page.get_by_role("status").filter(has_text="Signalement ajouté : prank")).to_have_count(
        1
    )
    page.get_by_role("button", name="Lever le signalement prank").click()
    expect(flags).to_have_count(0)
    expect(page.get_by_role("status").filter(has_text="Signalement levé : prank")).to_have_count(1)
    expect(page.get_by_text("Aucun signalement.")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True
