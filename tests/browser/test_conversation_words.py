"""What console.js writes on a French counsellor's conversation page is French, in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.live import LiveHelpline, log_in
from tests.console_sessions import update_account
from tests.counsellors import number

pytestmark = pytest.mark.browser

API = "/api/v1"
LIVE = 2000  # milliseconds: how soon a change must show without a reload


def holds(helpline: LiveHelpline, name: str, texter: str) -> int:
    conversation_id = helpline.texter_asks_for_a_person(texter)
    claimed = helpline.client.post(
        f"{API}/conversations/{conversation_id}/claim", headers=helpline.tokens[name]
    )
    assert claimed.status_code == 200, claimed.get_json()
    return conversation_id


def test_a_french_counsellor_reads_the_scripts_words_in_french(
    helpline: LiveHelpline, page: Page
) -> None:
    helpline.add_counsellor("ada")
    here = holds(helpline, "ada", number(1))
    other = holds(helpline, "ada", number(2))
    log_in(page, helpline, "ada")
    page.get_by_label("Console language").select_option("fr")
    page.get_by_role("button", name="Change").click()
    expect(page.get_by_text("La console parle maintenant français.")).to_be_visible()
    page.goto(f"{helpline.url}/console/conversations/{here}")

    # The segment counter and its warning, as the counsellor types.
    box = page.get_by_label("Répondre à la personne")
    box.fill("d'accord")
    expect(page.locator("#reply-count")).to_have_text("8 caractères, 1 SMS")
    box.fill("\U0001f600")
    expect(page.locator("#reply-count")).to_have_text("1 caractère, 1 SMS")
    expect(page.locator("#reply-warning")).to_contain_text("Hors de l'alphabet GSM")

    # A texter writing in another conversation shows in the list, without a reload.
    helpline.texter_says(number(2), "are you there")
    yours = page.get_by_role("navigation", name="Vos conversations")
    entry = yours.get_by_role("listitem").filter(
        has=page.get_by_role("link", name=f"Conversation {other}", exact=True)
    )
    expect(entry.locator(".mark-unread")).to_have_text("2 non lus", timeout=LIVE)
    expect(page.locator("#caseload-news")).to_have_text(
        f"La personne a écrit dans la conversation {other}."
    )
    expect(entry.locator("time[data-ago]")).to_have_text("à l'instant")


def test_why_a_reply_was_not_delivered_shows_in_french_without_a_reload(
    helpline: LiveHelpline, page: Page
) -> None:
    helpline.add_counsellor("ada")
    update_account(helpline.app, "ada", console_language="fr")
    texter = number(3)
    here = holds(helpline, "ada", texter)
    log_in(page, helpline, "ada")
    page.goto(f"{helpline.url}/console/conversations/{here}")
    page.get_by_label("Répondre à la personne").fill("Tu as bien fait d'écrire.")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    sent = (
        page.get_by_role("list", name="Messages")
        .get_by_role("listitem")
        .filter(has_text="Tu as bien fait d'écrire.")
    )
    expect(sent).to_contain_text("en file d'envoi")

    assert helpline.deliver() == 1
    (message,) = helpline.counsellor_messages(here)
    helpline.report_status(message, "undelivered", texter, error_code=30003)

    # console.js draws the new status from the feed, in the page's words.
    expect(sent).to_contain_text(
        "non remis : le téléphone de la personne est injoignable", timeout=LIVE
    )
