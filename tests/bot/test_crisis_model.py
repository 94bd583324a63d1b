"""The crisis model: what it learns from a language's examples, and how its file is checked.

Its threshold is justified here on the examples alone: each language's examples are cut
into folds, the model learns from all folds but one and is scored on the one left out.
The figures are printed; the evaluation sets (tests/crisis_eval) score it with the lists.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from responder.bot import crisis_model
from responder.bot.crisis import detect
from responder.bot.crisis_entries import Tier
from responder.bot.crisis_lists import CrisisList
from responder.bot.crisis_model import STEP, THRESHOLD, features
from responder.bot.crisis_text import fold, split
from responder.bot.problems import Problem
from tests.bot import test_crisis
from tests.checkout import ROOT

LANGUAGES = ("en", "es", "fr")
FOLDS = 5
# Held-out ordinary examples the model alone may flag at its threshold (the lists add few).
# THRESHOLD is the lowest step at which every language stays under this.
MAX_HELD_OUT_FALSE_ALARMS = 0.06


def examples(language: str) -> crisis_model.Examples:
    found = crisis_model.examples(ROOT / "content" / language / crisis_model.FILE, [])
    assert found is not None, language
    return found


def held_out(language: str) -> tuple[list[float], list[float]]:
    """How far each example leans, weighed by a model that learnt from the other folds."""
    crisis, ordinary = examples(language)
    leans: tuple[list[float], list[float]] = ([], [])
    for part in range(FOLDS):
        model = crisis_model.Model.learn(
            [m for i, m in enumerate(crisis) if i % FOLDS != part],
            [m for i, m in enumerate(ordinary) if i % FOLDS != part],
        )
        for found, messages in zip(leans, (crisis, ordinary), strict=True):
            found.extend(model.lean(features(m)) for m in messages[part::FOLDS])
    return leans


def above(leans: list[float], threshold: float) -> float:
    return sum(lean > threshold for lean in leans) / len(leans)


def test_the_threshold_is_the_lowest_that_keeps_false_alarms_low_on_unlearnt_examples() -> None:
    leans = {language: held_out(language) for language in LANGUAGES}
    for language, (crisis, ordinary) in leans.items():
        print(
            f"{language}: model alone, held out: recall {above(crisis, THRESHOLD):.3f}, "
            f"false alarms {above(ordinary, THRESHOLD):.3f}"
        )
        assert above(ordinary, THRESHOLD) <= MAX_HELD_OUT_FALSE_ALARMS, language
        # A model that flags nothing would pass the line above; it must also find crises.
        assert above(crisis, THRESHOLD) >= 0.5, language
    # Recall comes first: one step lower would let too many false alarms through somewhere.
    lower = THRESHOLD - STEP
    assert any(above(ordinary, lower) > MAX_HELD_OUT_FALSE_ALARMS for _, ordinary in leans.values())


def test_every_language_has_examples_and_learns_from_them() -> None:
    for language in LANGUAGES:
        crisis_list = CrisisList.load(ROOT / "content" / language / "crisis.toml")
        assert crisis_list.model is not None, language
        crisis, ordinary = examples(language)
        learnt = sum(crisis_list.model.flags(features(m)) for m in crisis) / len(crisis)
        quiet = sum(not crisis_list.model.flags(features(m)) for m in ordinary) / len(ordinary)
        assert learnt > 0.9 and quiet > 0.9, language


# The share of the lists' own hard ordinary messages (tests/bot/test_crisis.py: near-miss
# words, idioms, sextortion pressure) the whole detector may flag, for what the model adds.
MAX_NEAR_MISS_FALSE_ALARMS = 0.08


def test_the_model_adds_few_false_alarms_on_the_lists_near_misses() -> None:
    lists = tuple(CrisisList.load(ROOT / "content" / code / "crisis.toml") for code in LANGUAGES)
    near = [
        *test_crisis.ORDINARY_NEAR_TERMS,
        *(text for cases in test_crisis.CASES.values() for text in cases.ordinary),
        *(text for cases in test_crisis.CASES.values() for text in cases.pressure),
    ]
    flagged = [text for text in near if detect(text, lists) is Tier.T1]
    share = len(flagged) / len(near)
    print(f"near misses flagged with the model: {share:.3f} ({len(flagged)}/{len(near)})")
    assert share <= MAX_NEAR_MISS_FALSE_ALARMS, flagged


def test_no_word_of_the_helplines_own_pages_is_flagged_alone() -> None:
    """Texters echo the menu's words back; one word alone is for the lists to judge."""
    models = [CrisisList.load(ROOT / "content" / code / "crisis.toml").model for code in LANGUAGES]
    words: set[str] = set()
    for path in (ROOT / "content").glob("*/*.toml"):
        if not path.name.startswith("crisis"):
            words.update(split(fold(path.read_text(encoding="utf-8")), join=False))
    assert len(words) > 1000
    flagged = sorted(w for w in words for m in models if m is not None and m.flags({w}))
    assert flagged == []


def tiny_examples(path: Path, crisis: list[str], ordinary: list[str]) -> Path:
    lines = ["[crisis]", f"kinds = {crisis!r}".replace("'", '"'), "[ordinary]"]
    lines.append(f"kinds = {ordinary!r}".replace("'", '"'))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# Wording no list holds, made up so that only these examples can teach it.
CRISIS = [f"the purple lanterns will take me away {when}" for when in range(24)]
ORDINARY = [f"he wants {n} dollars by tonight what do i do" for n in range(24)]


def test_a_message_only_the_examples_speak_of_is_flagged_by_the_list_that_has_them(
    tmp_path: Path,
) -> None:
    lists = CrisisList.load(ROOT / "content" / "en" / "crisis.toml")
    unlisted = "purple lanterns r taking me away"
    alone = replace(lists, model=None)
    assert detect(unlisted, [alone]) is None
    model = crisis_model.read(tiny_examples(tmp_path / "ex.toml", CRISIS, ORDINARY), [])
    assert model is not None
    assert detect(unlisted, [replace(lists, model=model)]) is Tier.T1
    # What the ordinary examples hold stays quiet: money pressure is the pressure tier.
    assert detect("he wants 300 dollars by tonight", [replace(lists, model=model)]) is not Tier.T1


def test_an_idiom_the_lists_exclude_quiets_the_model(tmp_path: Path) -> None:
    lists = CrisisList.load(ROOT / "content" / "en" / "crisis.toml")
    model = crisis_model.read(tiny_examples(tmp_path / "ex.toml", CRISIS, ORDINARY), [])
    assert model is not None
    taught = replace(lists, model=model)
    assert detect("purple lanterns r taking me away", [taught]) is Tier.T1
    # "jump rope" is an exclusion of the English list: the words around it are play.
    assert detect("purple lanterns r taking me away at jump rope", [taught]) is None


def test_the_first_message_the_webhook_test_sends_is_the_models_to_catch() -> None:
    """tests/flows/test_crisis_flow.py sends it as a new texter's first message."""
    shipped = tuple(CrisisList.load(ROOT / "content" / code / "crisis.toml") for code in LANGUAGES)
    text = "by the time anyone sees those pics i will be long gone"
    assert detect(text, [replace(each, model=None) for each in shipped]) is None
    assert detect(text, shipped) is Tier.T1


def test_the_model_only_adds_to_what_the_lists_find() -> None:
    lists = CrisisList.load(ROOT / "content" / "en" / "crisis.toml")
    never = crisis_model.Model.learn(["zzz"] * 3, ["i want to kill myself"] * 3)
    assert detect("i want to kill myself", [replace(lists, model=never)]) is Tier.T1


def problems_of(path: Path) -> list[Problem]:
    problems: list[Problem] = []
    crisis_model.read(path, problems)
    return problems


def test_without_an_examples_file_the_lists_work_alone(tmp_path: Path) -> None:
    problems: list[Problem] = []
    assert crisis_model.read(tmp_path / crisis_model.FILE, problems) is None
    assert problems == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[crisis]\nkinds = [\n", "cannot be read"),
        ('[crisis]\nkinds = ["a"]\n', "[ordinary]"),
        ('[crisis]\nkinds = "a"\n[ordinary]\nkinds = ["b"]\n', "must be a list of texts"),
        ('[crisis]\nkinds = ["a"]\n[ordinary]\nkinds = ["b"]\n', "give at least"),
        ('[crisis]\nkinds = ["a"]\n[ordinary]\nkinds = ["b"]\n[t1]\nx = ["c"]\n', "not a table"),
    ],
)
def test_a_broken_examples_file_says_what_is_wrong(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / crisis_model.FILE
    path.write_text(text, encoding="utf-8")
    found = problems_of(path)
    assert any(says in p.message and not p.warning for p in found), found


def test_a_message_on_both_sides_is_refused(tmp_path: Path) -> None:
    path = tiny_examples(tmp_path / crisis_model.FILE, CRISIS, [*ORDINARY, CRISIS[0]])
    found = problems_of(path)
    assert any("in [crisis] too" in p.message for p in found)
    assert crisis_model.read(path, []) is None
