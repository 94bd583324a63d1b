"""The supervisors' live board in a real browser: it changes as texters and counsellors act."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import BrowserContext, expect

from responder import policies, services
from responder.counselling import overdue
from tests.browser.live import LiveHelpline
from tests.browser.test_presence import log_in_with_a_new_code
from tests.counsellors import number, went_by

pytestmark = pytest.mark.browser

LIVE = 3000  # milliseconds: how soon a change must show on the board


def report_late_waits(helpline: LiveHelpline) -> int:
    """Run the worker's job that reports waits past their limit, now."""
    with services.of(helpline.app).sessions() as session:
        reported = overdue.report_due(
            session, datetime.now(UTC), policies.overdue(helpline.app.config)
        )
        session.commit()
    return reported


def test_the_board_follows_a_new_crisis_a_claim_and_a_wait_that_runs_too_long(
    helpline: LiveHelpline, new_context: Callable[[], BrowserContext]
) -> None:
    helpline.add_counsellor("ada")
    helpline.add_counsellor("sam", role="supervisor")
    sam = new_context().new_page()
    log_in_with_a_new_code(sam, helpline, "sam")
    sam.get_by_role("link", name="Live board").click()
    expect(sam.get_by_role("heading", name="Live board", level=1)).to_be_visible()
    expect(sam.get_by_text("No conversation is open.")).to_be_visible()

    # A brand-new texter whose first message is a crisis appears without a reload.
    helpline.texter_says(number(1), "i want to kill myself")
    row = sam.locator("#board tbody tr").first
    expect(row).to_contain_text("Crisis", timeout=LIVE)
    expect(row).to_contain_text("In the queue")
    expect(sam.get_by_text("1 open: 1 in the queue, 0 with a counsellor.")).to_be_visible()
    conversation_id = int((row.get_attribute("id") or "").removeprefix("board-"))

    # Ada takes it from her phone's API token, without a console page open: away.
    claimed = helpline.client.post(
        f"/api/v1/conversations/{conversation_id}/claim", headers=helpline.tokens["ada"]
    )
    assert claimed.status_code == 200
    expect(row).to_contain_text("ada: away, 1 of 3", timeout=LIVE)

    # Six minutes without an answer: the worker's report makes the row stand out.
    went_by(helpline.app, conversation_id, timedelta(minutes=6))
    assert report_late_waits(helpline) == 1
    late = sam.locator(f"#board-{conversation_id}")
    expect(late).to_contain_text("Waiting too long", timeout=LIVE)
    expect(late).to_have_class("is-overdue is-crisis")
    expect(sam.get_by_text("1 texter has waited too long for an answer.")).to_be_visible()
    # Nothing the texter wrote is on the board.
    expect(sam.locator("#board")).not_to_contain_text("kill")


def test_ticks_for_the_flood_form_survive_the_board_redrawing_and_the_flood_is_marked(
    helpline: LiveHelpline, new_context: Callable[[], BrowserContext]
) -> None:
    helpline.add_counsellor("sam", role="supervisor")
    for index in range(3):
        helpline.texter_says(number(index), "talk")
    sam = new_context().new_page()
    log_in_with_a_new_code(sam, helpline, "sam")
    sam.goto(helpline.url + "/console/board")
    boxes = sam.locator('#board input[name="conversation"]')
    expect(boxes).to_have_count(3)
    boxes.nth(0).check()
    boxes.nth(2).check()

    # A new texter joins: the board redraws with four rows, and the two ticks are kept.
    helpline.texter_says(number(9), "talk")
    expect(boxes).to_have_count(4, timeout=LIVE)
    assert [boxes.nth(n).is_checked() for n in range(4)].count(True) == 2

    sam.get_by_label("Mark as a flood", exact=False).check()
    sam.get_by_role("button", name="Do it").click()
    expect(sam.get_by_text("Marked as a flood: 2.", exact=False)).to_be_visible()
    expect(sam.locator("#board .mark-flood")).to_have_count(2)
