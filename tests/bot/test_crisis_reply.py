"""The crisis reply, written out for every country, language and age: never without a number."""

from __future__ import annotations

import re

import pytest

from responder.bot.content import load
from tests.checkout import ROOT

CONTENT = load(ROOT / "content")
# Every country with a resources file, one with none (Iceland), and a number with no country.
COUNTRIES = [*sorted(CONTENT.directory.places), "IS", None]
AGES = [None, True, False]
# A phone number as texters see them: 3 digits or more, maybe spaced or hyphenated, or
# a short emergency number standing alone after its name ("Police: 17").
PHONE = re.compile(r"(?<![\d:])\d(?:[ -]?\d){2,}|: \d{2}\b")
WEB = re.compile(r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|id|gov|uk|au|fr|sg|my|sn|ci|hk)\b")
OPENS = (0, "09:00")


def cases() -> list[tuple[str, str | None, bool | None]]:
    return [
        (code, country, age) for code in CONTENT.languages for country in COUNTRIES for age in AGES
    ]


@pytest.mark.parametrize(("code", "country", "under_18"), cases())
def test_every_crisis_reply_has_a_number_to_call_now(
    code: str, country: str | None, under_18: bool | None
) -> None:
    lang = CONTENT.language(code)
    turn_to = CONTENT.crisis_help(code, country, under_18)
    # Where to turn is a number or a place to find one, never just advice.
    assert PHONE.search(turn_to.lines) or WEB.search(turn_to.lines), turn_to.lines
    for free in (True, False):
        reply = lang.crisis_reply(turn_to, free, OPENS)
        assert PHONE.search(reply), reply
    assert PHONE.search(lang.crisis_followup(turn_to))
    assert PHONE.search(lang.crisis_outage(turn_to))
    offer = lang.unsafe_offer(turn_to)
    assert PHONE.search(offer) or WEB.search(offer), offer


@pytest.mark.parametrize(("code", "country", "under_18"), cases())
def test_the_crisis_reply_tells_the_truth_about_who_will_answer(
    code: str, country: str | None, under_18: bool | None
) -> None:
    lang = CONTENT.language(code)
    turn_to = CONTENT.crisis_help(code, country, under_18)
    free = lang.crisis_reply(turn_to, True, None)
    nobody = lang.crisis_reply(turn_to, False, OPENS)
    nobody_words = lang.messages["crisis_nobody_free"].split("{opens}")[0].splitlines()[-1]
    assert nobody_words.strip() in nobody and nobody_words.strip() not in free
    assert lang.opening(OPENS) in nobody


@pytest.mark.parametrize("country", ["CI", "SN"])
def test_a_child_line_stands_in_where_no_crisis_line_is_known(country: str) -> None:
    child = CONTENT.directory.own(country, "child", None)
    assert child, "the country's child line is the fallback this test is about"
    assert CONTENT.directory.own(country, "crisis", None) == ()
    assert child[0].line("en") in CONTENT.crisis_help("en", country, True).lines
    # An adult is pointed to the international directory instead of a child line.
    assert child[0].line("en") not in CONTENT.crisis_help("en", country, False).lines


def test_a_country_without_a_file_gets_the_international_directory() -> None:
    (directory,) = CONTENT.directory.international_entries("crisis", None)
    assert CONTENT.crisis_help("en", "IS", None).lines == directory.line("en")
