"""Despair is never answered with a page about something else.

Free text is routed to pages by their keywords. A message of despair that the crisis
lists miss must not land on a page that answers another question ("slit my throat"
once opened a step beginning "It is safe to stop"): the despair page's keywords win
over every other page's, and the collisions found in review are replayed through the
webhook, where the reply must be the crisis reply, the despair page, or a "did not
understand" that ends with the offer of a person.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from responder import services
from responder.bot.check import check
from responder.bot.content import load
from responder.bot.engine import match_page
from tests.checkout import ROOT
from tests.twilio_requests import post_signed, replies, sms

SHIPPED = ROOT / "content"
CONTENT = load(SHIPPED)
US, FR = "+14155550123", "+33612345678"


def despair_page(code: str) -> str:
    (page,) = [p.id for p in CONTENT.language(code).pages.values() if p.despair]
    return page


def pairs(code: str) -> set[tuple[str, str]]:
    """Every despair keyword beside some other page's keyword, and every other page's
    keywords beside some despair keyword: each of both meets the other side at least once."""
    lang = CONTENT.language(code)
    despair = lang.pages[despair_page(code)].keywords
    others = [k for p in lang.pages.values() if not p.despair for k in p.keywords]
    found = {(word, others[i * 7 % len(others)]) for i, word in enumerate(despair)}
    found |= {(despair[i % len(despair)], other) for i, other in enumerate(others)}
    return found


@pytest.mark.parametrize("code", sorted(CONTENT.languages))
def test_despair_keywords_win_over_every_other_page(code: str) -> None:
    lang = CONTENT.language(code)
    target = despair_page(code)
    for word, other in pairs(code):
        assert match_page(lang, f"{other} {word}") == target, (other, word)
        assert match_page(lang, f"{word} {other}") == target, (word, other)


def test_the_content_check_refuses_a_language_without_the_despair_page(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(SHIPPED, root)
    pages = root / "fr" / "pages.toml"
    pages.write_text(pages.read_text().replace("despair = true\n", ""))
    problems = [str(p) for p in check(root) if not p.warning]
    assert any("pages.too_much" in p and "despair differs" in p for p in problems), problems


def test_a_guessed_typo_does_not_make_despair_win() -> None:
    # "trying" is one letter from "crying", a despair keyword: the report page stays.
    en = CONTENT.language("en")
    assert match_page(en, "im trying to report the account") == match_page(en, "report the account")


COLLISIONS = [
    (US, "slit my throat"),
    (US, "i have a plan"),
    (US, "im so stupid i want to disappear"),
    (US, "i need support i cant go on"),
    (US, "my life is over, tell my mum sorry"),
    (US, "he will tell my parents and my life is over"),
    (FR, "je vais me supprimer"),
    (FR, "jvais me supprimer ce soir"),
    (FR, "ma vie est finie, il va le dire a mes parents"),
    (FR, "je vais me foutre en l'air, il a bloque mon compte"),
]


@pytest.mark.parametrize(("sender", "text"), COLLISIONS)
def test_collisions_found_in_review_get_help_not_another_page(
    app: Flask, client: FlaskClient, sender: str, text: str
) -> None:
    content = services.of(app).content
    post_signed(client, sms("hi", sender=sender))
    answer = replies(post_signed(client, sms(text, sender=sender)))
    code = "fr" if sender == FR else "en"
    lang = content.language(code)
    crisis_start = lang.messages["crisis"].split(".")[0]
    despair_title = lang.pages[despair_page(code)].title
    first = answer[0]
    assert (
        first.startswith(crisis_start)
        or despair_title in first
        or first.startswith(lang.messages["not_understood"])
    ), first
    if first.startswith(lang.messages["not_understood"]):
        assert "TALK" in answer[-1] or "PARLER" in answer[-1]
