"""The crisis detector scored on evaluation sets kept apart from it (tests/crisis_eval/).

The detector is the lists with their frames, and the model each language learns from its
examples (content/<lang>/crisis_examples.toml); nobody who wrote a set read either.

Recall is the share of crisis messages flagged T1, the tier that sends the crisis
reply; the false-positive rate is the share of ordinary messages flagged T1. T2 on an
ordinary message is no false alarm: it only brings a person sooner. Both figures are
printed per language and per category at the end of the run (tests/conftest.py), with
the lists' figures without the model beside them.

Every set must reach recall of at least TARGET_RECALL with at most MAX_FALSE_POSITIVES,
counted on its messages that the examples do not also hold (see LEARNT).
Each set also keeps RECALL_FLOOR, the level reached now, so that a change to the lists,
the examples or the matcher that loses ground fails even above the goal. Raise a floor as
the detector improves; never by tuning the lists or the examples to these messages.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace

import pytest

from responder.bot import crisis_model
from responder.bot.crisis import detect
from responder.bot.crisis_entries import Tier
from responder.bot.crisis_lists import CrisisList
from tests.checkout import ROOT

# Every evaluation set is scored: the first ones (tests/crisis_eval/<language>.toml) and
# later ones by other writers (tests/crisis_eval/<set>/<language>.toml), each on its own.
EVAL = ROOT / "tests" / "crisis_eval"
SETS = tuple(
    sorted(
        path.relative_to(EVAL).with_suffix("").as_posix()
        for path in [*EVAL.glob("*.toml"), *EVAL.glob("*/*.toml")]
    )
)
# Every language's list is loaded, as the app loads them: a message meets them all.
LISTS = tuple(CrisisList.load(path) for path in sorted((ROOT / "content").glob("*/crisis.toml")))
# The same lists without what their models add, to show what the models bring.
ALONE = tuple(replace(crisis_list, model=None) for crisis_list in LISTS)


def _learnt() -> frozenset[frozenset[str]]:
    """Every example as the model reads it (its words and word pairs)."""
    found: set[frozenset[str]] = set()
    for path in (ROOT / "content").glob(f"*/{crisis_model.FILE}"):
        examples = crisis_model.examples(path, [])
        assert examples is not None, path
        found.update(crisis_model.features(m) for m in (*examples.crisis, *examples.ordinary))
    return frozenset(found)


# What the model learnt from. Writers who never saw each other still write the same short
# messages ("adieu", "3", "i want to die"); the tests judge only the messages the model
# reads differently from every example, so a copy from a set into the examples can never
# raise a figure the tests hold.
LEARNT = _learnt()
TARGET_RECALL = 0.95
# By set: the level each reaches now on its messages the examples do not hold. The fourth
# set was written without sight of the examples and first scored once the model was
# built; it got its floor after the second writer's examples were added and a long
# message's lean was taken for its length.
RECALL_FLOOR = {
    "en": 0.97,
    "fr": 0.97,
    "es": 0.96,
    "second/en": 0.98,
    "second/es": 0.97,
    "second/fr": 0.95,
    "third/en": 0.99,
    "third/es": 0.95,
    "third/fr": 0.98,
    "fourth/en": 0.98,
    "fourth/es": 0.96,
    "fourth/fr": 0.96,
}
MAX_FALSE_POSITIVES = 0.10


@dataclass(frozen=True)
class Score:
    """How one group of messages fared: flagged T1 out of all."""

    flagged: int
    total: int

    @property
    def rate(self) -> float:
        return self.flagged / self.total


def evaluation(name: str) -> dict[str, dict[str, list[str]]]:
    with (EVAL / f"{name}.toml").open("rb") as handle:
        return tomllib.load(handle)


def score(messages: list[str], lists: tuple[CrisisList, ...]) -> Score:
    return Score(sum(detect(m, lists) is Tier.T1 for m in messages), len(messages))


def figures(name: str, lists: tuple[CrisisList, ...] = LISTS) -> dict[str, dict[str, Score]]:
    """Score every category of a set, and each side as a whole."""
    sets = evaluation(name)
    result: dict[str, dict[str, Score]] = {}
    for side in ("crisis", "ordinary"):
        result[side] = {name: score(messages, lists) for name, messages in sets[side].items()}
        everything = [m for messages in sets[side].values() for m in messages]
        result[side]["all"] = score(everything, lists)
        unseen = [m for m in everything if crisis_model.features(m) not in LEARNT]
        result[side]["unseen"] = score(unseen, lists)
    return result


def report() -> list[str]:
    """The figures as lines for the end of the test run."""
    lines = [
        f"crisis detection on the evaluation sets (T1 share; goal: recall {TARGET_RECALL}, "
        f"false positives at most {MAX_FALSE_POSITIVES}):"
    ]
    for code in SETS:
        found = figures(code)
        crisis, ordinary = found["crisis"], found["ordinary"]
        alone = figures(code, ALONE)
        lines.append(
            f"  {code}: recall {crisis['all'].rate:.3f} ({crisis['all'].flagged}/"
            f"{crisis['all'].total}), false positives {ordinary['all'].rate:.3f} "
            f"({ordinary['all'].flagged}/{ordinary['all'].total}); lists without the model: "
            f"{alone['crisis']['all'].rate:.3f}, {alone['ordinary']['all'].rate:.3f}"
        )
        lines.append(
            f"    not in the examples: recall {crisis['unseen'].rate:.3f} "
            f"({crisis['unseen'].flagged}/{crisis['unseen'].total}), false positives "
            f"{ordinary['unseen'].rate:.3f} ({ordinary['unseen'].flagged}/"
            f"{ordinary['unseen'].total})"
        )
        for side, label in (("crisis", "recall"), ("ordinary", "false positives")):
            cells = ", ".join(
                f"{name} {s.rate:.2f}"
                for name, s in found[side].items()
                if name not in ("all", "unseen")
            )
            lines.append(f"    {label}: {cells}")
    return lines


@pytest.mark.parametrize("name", SETS)
def test_recall_on_crisis_messages_written_apart_from_the_lists(name: str) -> None:
    found = figures(name)["crisis"]
    floor = max(TARGET_RECALL, RECALL_FLOOR[name])
    assert found["unseen"].rate >= floor, "\n".join(report())


@pytest.mark.parametrize("name", SETS)
def test_false_alarms_on_ordinary_messages_written_apart_from_the_lists(name: str) -> None:
    found = figures(name)["ordinary"]
    assert found["unseen"].rate <= MAX_FALSE_POSITIVES, "\n".join(report())
