"""Weigh a message's words against examples of crisis and ordinary messages.

The lists (responder.bot.crisis_lists) catch what their entries and frames spell out; a
texter in danger often says it in words nobody listed ("not gonna be around to see it").
Each language also has content/<lang>/crisis_examples.toml: messages written by hand, in
[crisis] and [ordinary] tables, that editors add to when the lists miss a message or raise
a false alarm. From them this module learns, at load, how much each word and each pair of
neighbouring words leans towards a crisis (a naive Bayes weighing of words present), and a
message whose words lean far enough, for its length, is flagged.

- Learning takes about a tenth of a second per language and depends only on the
  examples, so the model is rebuilt from them at every start and never stored apart from
  its source.
- The threshold is high on purpose: the examples' ordinary side is full of the messages
  this helpline really gets (death idioms, sextortion panic, menu words), and the model
  only ever adds to what the lists find, so a wrong flag costs a counsellor a minute.
- The lean is divided by the square root of the number of words and pairs: without it a
  long message gathers many small leans of common words and is flagged for its length.
  A short message is divided as if it were about five words long (SHORTEST), and no
  word or pair weighs more than MOST, so one word alone ("way", "myself") is never
  flagged: short messages are what the lists catch best.
- Words are read as the lists read them (responder.bot.crisis_text), without typo
  guesses: the pairs of words and the many spellings in the examples stand for them.
"""

from __future__ import annotations

import math
import tomllib
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from responder.bot.crisis_text import fold, split
from responder.bot.problems import Problem, named_lists

FILE = "crisis_examples.toml"
SIDES = ("crisis", "ordinary")
# How far a message's words must lean towards the crisis examples, in natural log odds
# over the square root of their number. Chosen on the examples alone, by cross-validation,
# in steps of STEP (tests/bot/test_crisis_model.py).
THRESHOLD = 1.25
STEP = 0.25
# Words and pairs a message is counted as having at least: five words make nine.
SHORTEST = 9
# The most one word or pair may weigh: alone it leans MOST / sqrt(SHORTEST) = 1 at most,
# under THRESHOLD.
MOST = 3.0
# Added to every count, so a word seen on one side only weighs a lot but not without end.
SMOOTHING = 0.5
# Fewer examples than this on a side teach nothing reliable; the file is refused.
MIN_EXAMPLES = 20


@dataclass(frozen=True)
class Model:
    """What each word and word pair weighs towards a crisis, learnt from one file."""

    weights: Mapping[str, float] = field(repr=False)

    @classmethod
    def learn(cls, crisis: Iterable[str], ordinary: Iterable[str]) -> Model:
        """Weigh every feature by how much more often crisis examples hold it."""
        counts = {side: Counter[str]() for side in SIDES}
        totals = dict.fromkeys(SIDES, 0)
        for side, messages in zip(SIDES, (crisis, ordinary), strict=True):
            for message in messages:
                counts[side].update(features(message))
                totals[side] += 1
        weights = {
            feature: min(
                MOST,
                _log_share(counts["crisis"][feature], totals["crisis"])
                - _log_share(counts["ordinary"][feature], totals["ordinary"]),
            )
            for feature in counts["crisis"].keys() | counts["ordinary"].keys()
        }
        return cls(MappingProxyType(weights))

    def lean(self, found: Collection[str]) -> float:
        """Return how far a message's features lean towards a crisis, for their number
        (an unknown feature leans neither way)."""
        weights = self.weights
        total = sum(weights.get(feature, 0.0) for feature in found)
        return total / math.sqrt(max(len(found), SHORTEST))

    def flags(self, found: Collection[str]) -> bool:
        """Tell whether a message's features (see features) lean far enough to flag it."""
        return self.lean(found) > THRESHOLD


def _log_share(count: int, total: int) -> float:
    return math.log((count + SMOOTHING) / (total + 2 * SMOOTHING))


def features(text: str) -> frozenset[str]:
    """Return the words of a message and its pairs of neighbouring words, each once."""
    words = split(fold(text), join=False)
    pairs = (f"{first} {second}" for first, second in pairwise(words))
    return frozenset((*words, *pairs))


class Examples(NamedTuple):
    """A crisis_examples.toml's messages, each side as one list."""

    crisis: list[str]
    ordinary: list[str]


def read(path: Path, problems: list[Problem]) -> Model | None:
    """Learn from a crisis_examples.toml, or add its problems and return None."""
    found = examples(path, problems)
    return None if found is None else Model.learn(found.crisis, found.ordinary)


def examples(path: Path, problems: list[Problem]) -> Examples | None:
    """Read a crisis_examples.toml, or add its problems and return None (no problem when
    the file is missing: the lists then work alone)."""
    file = str(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return None  # every shipped language has examples (tests/bot/test_crisis_model.py)
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(file, "-", f"cannot be read: {exc}"))
        return None
    before = len(problems)
    sides: dict[str, list[str]] = {}
    for name in sorted(set(data) - set(SIDES)):
        problems.append(Problem(file, name, "is not a table here; use [crisis] and [ordinary]"))
    for side in SIDES:
        table = data.get(side)
        if not isinstance(table, dict) or not table:
            problems.append(Problem(file, side, f'needs lists, like [{side}] kind = ["..."]'))
            continue
        messages = [m for _, _, values in named_lists(file, side, table, problems) for m in values]
        if len(messages) < MIN_EXAMPLES:
            problems.append(
                Problem(file, side, f"has {len(messages)} messages; give at least {MIN_EXAMPLES}")
            )
        sides[side] = messages
    both = set(sides.get("crisis", ())) & set(sides.get("ordinary", ()))
    for message in sorted(both):
        problems.append(Problem(file, "ordinary", f'"{message}" is in [crisis] too; keep one'))
    if len(sides) < len(SIDES) or any(not p.warning for p in problems[before:]):
        return None
    return Examples(sides["crisis"], sides["ordinary"])
