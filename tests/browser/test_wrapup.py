"""Closing with a wrap-up in a real headless Chromium, and reading it back on the closed page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from responder.store.db import get_session
from responder.store.models import Counsellor
from tests.browser.live import NAVIGATION_TIMEOUT_MS, WAIT_MS, LiveHelpline, log_in, screenshot
from tests.browser.test_console import claim
from tests.counsellors import add_counsellor, conversation, number

pytestmark = pytest.mark.browser

TEXTER = number(1)
SUMMARY = "Met on a game, threats on Snapchat, asked for money by tonight."


def choose(page: Page, question: str, answer: str) -> None:
    page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()


def test_a_sextortion_wrap_up_closes_and_reads_back_in_words(
    helpline: LiveHelpline, page: Page
) -> None:
    helpline.add_counsellor("ada")
    conversation_id = helpline.texter_asks_for_a_person(TEXTER)
    log_in(page, helpline, "ada")
    claim(page, helpline, TEXTER, conversation_id)

    sextortion = page.get_by_role("group", name="About the sextortion")
    expect(sextortion).to_be_hidden()
    choose(page, "Type of contact", "Counselling: about themselves")
    page.get_by_label("Sextortion: threatened with sharing sexual images").check()
    expect(sextortion).to_be_visible()
    page.get_by_label("Where the first contact happened").select_option(label="An online game")
    page.get_by_label("Where the threat came from").select_option(label="Snapchat")
    choose(page, "Money demanded", "100 to 1,000 USD")
    choose(page, "Money paid", "None")
    choose(page, "Images already shared onward", "Not known")
    # "A deadline given" is left unanswered.
    page.get_by_label("Take It Down").check()
    choose(page, "Age, as the texter gave it", "13 to 15")
    choose(page, "Gender, as the texter gave it", "Boy or man")
    page.get_by_label("Summary").fill(SUMMARY)
    page.get_by_label("Ask the texter the one-question survey").check()
    page.get_by_role("button", name="Review and close").click()

    deadline = page.get_by_role("group", name="A deadline given")
    error = page.locator("#wrapup-deadline_given-error")
    expect(error).to_have_text(
        "A deadline given: answer this for a sextortion contact (Not known is an answer)."
    )
    expect(page.get_by_role("alert").filter(has_text="1 answer needs")).to_be_visible()
    first = deadline.get_by_label("Yes", exact=True)
    expect(first).to_be_focused()
    expect(first).to_have_attribute("aria-invalid", "true")
    expect(first).to_have_accessible_description(error.inner_text())
    screenshot(page, "wrapup-error")

    choose(page, "A deadline given", "Yes")
    page.get_by_role("button", name="Review and close").click()
    expect(page.get_by_role("heading", name="Close this conversation?")).to_be_focused()
    expect(page.locator("#close-confirm-text")).to_contain_text("did this chat help?")
    page.get_by_role("button", name="Close the conversation").click()

    expect(page).to_have_url(helpline.url + "/console/queue")
    closed = conversation(helpline.app, conversation_id)
    assert closed.state == "closed"
    assert closed.survey_pending is True

    page.goto(f"{helpline.url}/console/conversations/{conversation_id}")
    section = page.get_by_role("region", name="Closed")
    expect(section.locator("#closed-by")).to_have_text("ada")
    expect(section.get_by_text("Closed at")).to_be_visible()
    expect(section.locator("#closed-survey")).to_have_text("asked, not answered yet")
    for words in (
        "Counselling: about themselves",
        "Sextortion: threatened with sharing sexual images",
        "An online game",
        "Snapchat",
        "100 to 1,000 USD",
        "Take It Down",
        "13 to 15",
        "Boy or man",
        SUMMARY,
    ):
        expect(section.get_by_text(words, exact=True)).to_be_visible()
    screenshot(page, "wrapup-closed")


def test_without_a_survey_the_confirm_step_says_nothing_more_is_sent(
    helpline: LiveHelpline, page: Page
) -> None:
    helpline.add_counsellor("ada")
    conversation_id = helpline.texter_asks_for_a_person(TEXTER)
    log_in(page, helpline, "ada")
    claim(page, helpline, TEXTER, conversation_id)

    choose(page, "Type of contact", "Not counselling: silent")
    choose(page, "Age, as the texter gave it", "Not given")
    choose(page, "Gender, as the texter gave it", "Not given")
    page.get_by_role("button", name="Review and close").click()
    expect(page.locator("#close-confirm-text")).to_have_text("Nothing more is sent to the texter.")
    page.get_by_role("button", name="Go back to the wrap-up").click()
    expect(page.get_by_role("button", name="Review and close")).to_be_focused()
    page.get_by_role("button", name="Review and close").click()
    page.get_by_role("button", name="Close the conversation").click()

    expect(page).to_have_url(helpline.url + "/console/queue")
    assert conversation(helpline.app, conversation_id).survey_pending is False


def test_without_javascript_the_wrap_up_still_closes(
    helpline: LiveHelpline, browser: Browser
) -> None:
    ada = add_counsellor(helpline.app, "ada")
    conversation_id = helpline.texter_asks_for_a_person(TEXTER)
    claimed = helpline.client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=ada)
    assert claimed.status_code == 200
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(WAIT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    try:
        page = context.new_page()
        log_in(page, helpline, "ada")
        page.goto(f"{helpline.url}/console/conversations/{conversation_id}")

        # Every question shows, sextortion's too, since no script can reveal them.
        expect(page.get_by_role("group", name="About the sextortion")).to_be_visible()
        choose(page, "Type of contact", "Not counselling: prank or abusive")
        choose(page, "Age, as the texter gave it", "Not given")
        page.get_by_role("button", name="Review and close").click()

        error = page.locator("#wrapup-gender-error")
        expect(error).to_have_text("Gender, as the texter gave it: choose one.")
        expect(
            page.get_by_role("group", name="Gender, as the texter gave it").get_by_label(
                "Not given", exact=True
            )
        ).to_have_attribute("aria-invalid", "true")
        choose(page, "Gender, as the texter gave it", "Not given")
        page.get_by_role("button", name="Review and close").click()
        expect(page.locator("#close-confirm-text")).to_have_text(
            "Nothing more is sent to the texter."
        )
        page.get_by_role("button", name="Close the conversation").click()

        expect(page).to_have_url(helpline.url + "/console/queue")
        expect(page.get_by_text(f"Conversation {conversation_id} closed.")).to_be_visible()
    finally:
        context.close()
    assert conversation(helpline.app, conversation_id).state == "closed"


def speaks_french(helpline: LiveHelpline, name: str) -> None:
    with helpline.app.app_context():
        session = get_session()
        session.execute(
            update(Counsellor).where(Counsellor.username == name).values(console_language="fr")
        )
        session.commit()


def test_a_french_counsellor_hears_the_checks_and_the_confirm_step_in_french(
    helpline: LiveHelpline, page: Page
) -> None:
    ada = add_counsellor(helpline.app, "ada")
    speaks_french(helpline, "ada")
    conversation_id = helpline.texter_asks_for_a_person(TEXTER)
    claimed = helpline.client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=ada)
    assert claimed.status_code == 200
    # The texter sends STOP: ticking the survey will not send it to them.
    helpline.texter_says(TEXTER, "STOP")
    log_in(page, helpline, "ada")
    page.goto(f"{helpline.url}/console/conversations/{conversation_id}")

    choose(page, "Type de contact", "Écoute : pour elle-même")
    page.get_by_role("button", name="Relire et clore").click()
    expect(page.locator("#wrapup-categories-error")).to_have_text(
        "Catégories : choisissez-en au moins une pour un contact d'écoute."
    )
    expect(page.locator("#wrapup-gender-error")).to_have_text(
        "Genre, tel que la personne l'a donné : choisissez une réponse."
    )
    expect(page.locator("#close-error")).to_have_text("3 réponses sont à revoir avant de clore.")

    page.get_by_label("Détresse émotionnelle").check()
    choose(page, "Âge, tel que la personne l'a donné", "16 ou 17 ans")
    choose(page, "Genre, tel que la personne l'a donné", "Non précisé")
    page.get_by_label("Poser à la personne qui écrit la question de satisfaction").check()
    page.get_by_role("button", name="Relire et clore").click()
    expect(page.get_by_role("heading", name="Clore cette conversation ?")).to_be_focused()
    expect(page.locator("#close-confirm-text")).to_have_text(
        "Plus rien n'est envoyé à la personne qui écrit, pas même la question de satisfaction :"
        " elle a envoyé STOP."
    )
    page.get_by_role("button", name="Clore la conversation").click()

    expect(page).to_have_url(helpline.url + "/console/queue")
    assert conversation(helpline.app, conversation_id).survey_pending is False
