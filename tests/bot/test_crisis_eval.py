"""The crisis lists scored on an evaluation set kept apart from them (tests/crisis_eval/).

Recall is the share of crisis messages flagged T1, the tier that sends the crisis
reply; the false-positive rate is the share of ordinary messages flagged T1. T2 on an
ordinary message is no false alarm: it only brings a person sooner. Both figures are
printed per language and per category at the end of the run (tests/conftest.py).

The goal is recall of at least TARGET_RECALL with at most MAX_FALSE_POSITIVES. The lists
do not reach that goal yet (the figures printed say how far off they are), so the test
holds recall at RECALL_FLOOR, the level they reach now: it fails if a change to the
lists or the matcher loses ground. Raise the floor as the lists improve; never by
tuning the lists to these messages.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

import pytest

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
TARGET_RECALL = 0.95
# By language: Spanish's list is newer and its set was written by another writer.
RECALL_FLOOR = {
    "en": 0.89,
    "fr": 0.92,
    "es": 0.87,
    "second/en": 0.89,
    "second/es": 0.85,
    "second/fr": 0.86,
    "third/en": 0.93,
    "third/es": 0.87,
    "third/fr": 0.91,
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


def score(messages: list[str]) -> Score:
    return Score(sum(detect(m, LISTS) is Tier.T1 for m in messages), len(messages))


def figures(name: str) -> dict[str, dict[str, Score]]:
    """Score every category of a set, and each side as a whole."""
    sets = evaluation(name)
    result: dict[str, dict[str, Score]] = {}
    for side in ("crisis", "ordinary"):
        result[side] = {name: score(messages) for name, messages in sets[side].items()}
        everything = [m for messages in sets[side].values() for m in messages]
        result[side]["all"] = score(everything)
    return result


def report() -> list[str]:
    """The figures as lines for the end of the test run."""
    lines = [
        f"crisis lists on the evaluation set (T1 share; goal: recall {TARGET_RECALL}, "
        f"false positives at most {MAX_FALSE_POSITIVES}):"
    ]
    for code in SETS:
        found = figures(code)
        crisis, ordinary = found["crisis"], found["ordinary"]
        lines.append(
            f"  {code}: recall {crisis['all'].rate:.3f} ({crisis['all'].flagged}/"
            f"{crisis['all'].total}), false positives {ordinary['all'].rate:.3f} "
            f"({ordinary['all'].flagged}/{ordinary['all'].total})"
        )
        for side, label in (("crisis", "recall"), ("ordinary", "false positives")):
            cells = ", ".join(
                f"{name} {s.rate:.2f}" for name, s in found[side].items() if name != "all"
            )
            lines.append(f"    {label}: {cells}")
    return lines


@pytest.mark.parametrize("name", SETS)
def test_recall_on_crisis_messages_written_apart_from_the_lists(name: str) -> None:
    found = figures(name)["crisis"]
    assert found["all"].rate >= RECALL_FLOOR[name], "\n".join(report())


@pytest.mark.parametrize("name", SETS)
def test_false_alarms_on_ordinary_messages_written_apart_from_the_lists(name: str) -> None:
    found = figures(name)["ordinary"]
    assert found["all"].rate <= MAX_FALSE_POSITIVES, "\n".join(report())
