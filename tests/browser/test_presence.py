"""Presence in a real browser: signing out, transfers to someone there, and leaving staff."""

from __future__ import annotations

import re
from collections.abc import Callable

import pyotp
import pytest
from playwright.sync_api import APIResponse, BrowserContext, Page, Route, expect

from tests.browser.live import LiveHelpline, log_in
from tests.console_sessions import update_account
from tests.counsellors import add_counsellor, number, password_of
from tests.twilio_requests import post_signed, replies, sms

pytestmark = pytest.mark.browser

API = "/api/v1"
LIVE = 2000  # milliseconds: how soon a change must show without a reload


def go_on_duty(page: Page) -> None:
    """Turn the queue page's availability switch on and wait until the helpline has it."""
    switch = page.get_by_role("switch", name="Available for new texters")
    with page.expect_response(re.compile(r"/me/availability$")) as answered:
        switch.check()
    assert answered.value.status == 200


def new_texter_asks(helpline: LiveHelpline, sender: str) -> str:
    """A texter reads the menu, asks for a person and skips the age question; the reply."""
    post_signed(helpline.client, sms("hi", sender=sender))
    post_signed(helpline.client, sms("TALK", sender=sender))
    (reply,) = replies(post_signed(helpline.client, sms("3", sender=sender)))
    return reply


def claim_through_the_api(helpline: LiveHelpline, headers: dict[str, str], sender: str) -> int:
    conversation_id = helpline.texter_asks_for_a_person(sender)
    claimed = helpline.client.post(f"{API}/conversations/{conversation_id}/claim", headers=headers)
    assert claimed.status_code == 200
    return conversation_id


def test_after_signing_out_a_new_texter_is_told_nobody_is_free(
    helpline: LiveHelpline, page: Page
) -> None:
    helpline.add_counsellor("ada")
    log_in(page, helpline, "ada")
    expect(page.get_by_text("Texters are told nobody is free right now.")).to_be_visible()
    go_on_duty(page)
    expect(page.get_by_text("Texters are told a counsellor is free.")).to_be_visible(timeout=LIVE)
    assert "A person from the helpline will reply here." in new_texter_asks(helpline, number(1))

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/console/login$"))

    assert new_texter_asks(helpline, number(2)).startswith("Nobody is free to talk right now.")


def test_a_poll_answered_while_signing_out_does_not_reload_the_queue(
    helpline: LiveHelpline, page: Page
) -> None:
    """Signing out lands on the plain sign-in form even when the queue's poll hears first.

    The sign-out answer is held back until a poll has been refused for want of a session,
    which on a busy machine happens by chance: the page once reloaded itself then and
    landed on the sign-in form for the queue instead.
    """
    helpline.add_counsellor("ada")
    log_in(page, helpline, "ada")
    held: list[tuple[Route, APIResponse]] = []

    def hold(route: Route) -> None:
        held.append((route, route.fetch(max_redirects=0)))  # the helpline signs ada out now

    page.route(re.compile(r"/console/logout$"), hold)
    with page.expect_response(
        lambda response: "/api/v1/" in response.url and response.status == 401
    ):
        page.get_by_role("button", name="Sign out").click(no_wait_after=True)
    ((route, answer),) = held
    route.fulfill(response=answer)

    expect(page).to_have_url(re.compile(r"/console/login$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def alice_holds_one_and_bob_is_on_duty(
    helpline: LiveHelpline,
    new_context: Callable[[], BrowserContext],
    sender: str,
    language: str = "en",
) -> tuple[Page, Page, int]:
    """Alice's page open on a conversation she holds, and Bob's on the queue, available."""
    alice = add_counsellor(helpline.app, "alice")
    helpline.add_counsellor("bob")
    update_account(helpline.app, "alice", console_language=language)
    conversation_id = claim_through_the_api(helpline, alice, sender)
    bob = new_context().new_page()
    log_in(bob, helpline, "bob")
    go_on_duty(bob)
    page = new_context().new_page()
    log_in(page, helpline, "alice")
    page.goto(f"{helpline.url}/console/conversations/{conversation_id}")
    return page, bob, conversation_id


def test_a_transfer_goes_to_a_counsellor_who_is_here_and_carries_the_note(
    helpline: LiveHelpline, new_context: Callable[[], BrowserContext]
) -> None:
    helpline.add_counsellor("carl")  # never signs in: not offered
    page, bob, conversation_id = alice_holds_one_and_bob_is_on_duty(
        helpline, new_context, number(3)
    )
    choices = page.get_by_label("To a counsellor who is here, with room")
    expect(choices.locator("option")).to_have_text(["bob (0 of 3 open)"])
    choices.select_option("bob")
    page.get_by_label("Note for them").fill("Deadline tonight; she has not paid.")
    page.get_by_role("button", name="Transfer").click()
    expect(page).to_have_url(f"{helpline.url}/console/queue")

    mine = bob.get_by_role("navigation", name="Your conversations")
    link = mine.get_by_role("link", name=f"Conversation {conversation_id}", exact=True)
    expect(link).to_be_visible(timeout=LIVE)
    link.click()
    expect(bob.get_by_text("Deadline tonight; she has not paid.")).to_be_visible()
    assert helpline.owner_of(conversation_id) == "bob"


def test_deactivating_a_counsellor_asks_where_their_conversations_go(
    helpline: LiveHelpline, page: Page
) -> None:
    alice = add_counsellor(helpline.app, "alice")
    helpline.add_counsellor("ada", role="admin")
    conversation_id = claim_through_the_api(helpline, alice, number(4))
    log_in_with_a_new_code(page, helpline, "ada")
    page.goto(f"{helpline.url}/console/accounts")

    where = page.get_by_label(
        "alice has 1 open conversation. Before deactivating, move it to", exact=True
    )
    expect(where).to_be_visible()
    page.get_by_role("button", name="Deactivate alice").click()
    # The choice is required: the browser asks for it before anything is sent.
    assert helpline.owner_of(conversation_id) == "alice"
    where.select_option("queue")
    page.get_by_role("button", name="Deactivate alice").click()

    expect(page.get_by_text("Its open conversations have been moved.")).to_be_visible()
    assert helpline.owner_of(conversation_id) is None
    row = page.locator("tr", has=page.get_by_role("rowheader", name="alice"))
    expect(row).to_contain_text("deactivated")


def log_in_with_a_new_code(page: Page, helpline: LiveHelpline, name: str) -> None:
    """Sign in as a supervisor or admin the first time: password, then the authenticator."""
    page.goto(helpline.url + "/console/login")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(password_of(name))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(helpline.url + "/console/login/enrol")
    secret = page.locator(".secret code").first.inner_text()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    expect(page).to_have_url(helpline.url + "/console/queue")
