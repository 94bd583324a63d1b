"""The transfer form in a real browser for a counsellor whose console speaks French."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.live import LiveHelpline
from tests.browser.test_presence import alice_holds_one_and_bob_is_on_duty, claim_through_the_api
from tests.counsellors import number

pytestmark = pytest.mark.browser


def test_the_transfer_choices_transfer_js_draws_again_are_in_french(
    helpline: LiveHelpline, new_context: Callable[[], BrowserContext]
) -> None:
    page, _, _ = alice_holds_one_and_bob_is_on_duty(helpline, new_context, number(3), language="fr")
    choices = page.get_by_label("À une personne de l'équipe présente et disponible")
    expect(choices.locator("option")).to_have_text(["bob (0 sur 3 en cours)"])

    # Bob takes a texter: transfer.js asks again who is here as the list is opened, and
    # draws the choice with the counsellor's words, not the page's first ones.
    claim_through_the_api(helpline, helpline.tokens["bob"], number(4))
    with page.expect_response(lambda answer: answer.url.endswith("/counsellors/present")):
        choices.focus()
    expect(choices.locator("option")).to_have_text(["bob (1 sur 3 en cours)"])
    expect(page.get_by_role("button", name="Transférer")).to_be_enabled()


def test_a_refused_transfer_is_told_in_french(
    helpline: LiveHelpline, new_context: Callable[[], BrowserContext]
) -> None:
    page, _, conversation_id = alice_holds_one_and_bob_is_on_duty(
        helpline, new_context, number(5), language="fr"
    )
    choices = page.get_by_label("À une personne de l'équipe présente et disponible")
    expect(choices.locator("option")).to_have_text(["bob (0 sur 3 en cours)"])

    # Bob turns his switch off while the choice is on Alice's screen: the helpline
    # refuses, and says why in Alice's language rather than in the API's English.
    off = helpline.client.put(
        "/api/v1/me/availability", headers=helpline.tokens["bob"], json={"available": False}
    )
    assert off.status_code == 200
    page.get_by_role("button", name="Transférer").click()
    expect(
        page.get_by_text("bob ne prend pas de conversations : son interrupteur est éteint.")
    ).to_be_visible()
    assert helpline.owner_of(conversation_id) == "alice"
