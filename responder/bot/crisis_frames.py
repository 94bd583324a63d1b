"""Find crisis wording no list entry spells out, by the ideas a sentence puts side by side.

A phrase list only knows the wordings someone wrote down, and texters in danger keep
finding new ones: "i really kinda wanna just not exist", "dying sounds peaceful rn". The
[frames] table of a crisis list names concepts (a wish, dying, a means, a farewell, ...)
by their words and short phrases, and rules that join two or three of them. A rule fires
when words of each of its concepts sit in one sentence of the message, close together:
at most MAX_GAP words apart, not counting fillers, in any order ("want + die") or in the
order written ("life > ruined").

Why sentences, guards and words between: the ideas must belong together, and be about
the texter. "i wanna die of embarrassment" has a wish and a death in it and no danger;
"i want the pics to disappear" and "i hope he dies" are about someone or something else.
A guard is a phrase that, anywhere in a sentence, keeps every frame of that sentence
quiet ("of embarrassment"); a word of [frames.between] lying between two concepts of a
rule keeps them apart ("him", "the pics"), in that list's rules only. Like exclusions, a
guard of one language holds in every list, and a guard never silences a list entry: the
frames only add to the lists, and an exclusion of any list silences a frame lying wholly
inside it as it does a term.

A concept's words are matched as the lists' are, on each reading of the message with the
typos crisis_typos forgives; a word ending in "*" stands for every word it starts
("disparai*" is "disparaitre", "disparaissais"), and a phrase may have up to two fillers
between its words ("i just wasnt here").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise, product

from responder.bot.crisis_entries import Tier
from responder.bot.crisis_text import Word

# Words (fillers aside) that may sit between two concepts of a rule: "i want to die" has
# one, "i wish i could go to sleep and never wake up" four, a joke and its punchline more.
MAX_GAP = 4
# A phrase of a concept may pass over this many fillers between two of its words.
FILLERS_IN_A_PHRASE = 2
# The end of a sentence: its ideas are not the next one's. A lone "." ends one, "..." is
# a texter's pause inside one ("i want to... disappear"), and a mark between two letters
# or digits is part of a word ("k.m.s", "2.5").
SENTENCE_END = re.compile(r"(?<!\.)\.(?!\.)(?!\w)|[!?;\n\u3002\uff01\uff1f]+")
STEM = "*"
GUARD = ""  # the concept name guards are indexed under: no concept is named ""
BETWEEN = " "  # and words that keep two concepts apart: no concept name has a space


@dataclass(frozen=True)
class Phrase:
    """Words of a concept or a guard: each word whole, or a stem that ends in "*"."""

    parts: tuple[str, ...]
    concept: str  # GUARD for a guard, BETWEEN for words that keep concepts apart


@dataclass(frozen=True)
class Rule:
    """Concepts that, close together in a sentence, make a message this urgent."""

    text: str  # as written, for problems and tests
    where: str  # "frames.t1.passive_wish"
    tier: Tier
    concepts: tuple[str, ...]
    ordered: bool  # "a > b": a comes first; "a + b": either way round


@dataclass(frozen=True)
class Frames:
    """One list's concepts, guards and rules, indexed by a phrase's first word."""

    whole: Mapping[str, tuple[Phrase, ...]]  # first word written whole
    stems: Mapping[str, tuple[Phrase, ...]]  # first word a stem, by the stem's letters
    stem_sizes: frozenset[int]
    rules: tuple[Rule, ...]


NO_FRAMES = Frames({}, {}, frozenset(), ())


def index(phrases: Iterable[Phrase], rules: tuple[Rule, ...]) -> Frames:
    """Index phrases by their first word; a phrase of words also matches them typed as one."""
    whole: dict[str, list[Phrase]] = {}
    stems: dict[str, list[Phrase]] = {}
    for phrase in phrases:
        for one in _run_together(phrase):
            first = one.parts[0]
            if first.endswith(STEM):
                stems.setdefault(first[:-1], []).append(one)
            else:
                whole.setdefault(first, []).append(one)
    return Frames(
        {k: tuple(v) for k, v in whole.items()},
        {k: tuple(v) for k, v in stems.items()},
        frozenset(map(len, stems)),
        rules,
    )


def _run_together(phrase: Phrase) -> list[Phrase]:
    """Return a phrase with its words also typed together: "kill my self", "kill myself", ...

    Texters join and split words at will ("any more", "anymore"), and a phrase has few
    words, so every way of joining two neighbours is kept, a stem never joined.
    """
    found = [phrase.parts]
    for i in range(len(phrase.parts) - 1, 0, -1):
        found += [
            (*parts[: i - 1], parts[i - 1] + parts[i], *parts[i + 1 :])
            for parts in found
            if not parts[i - 1].endswith(STEM) and not parts[i].endswith(STEM)
        ]
    return [Phrase(parts, phrase.concept) for parts in dict.fromkeys(found)]


def sentences(text: str) -> list[str]:
    """Split a message into its sentences, the span in which a frame's ideas must sit."""
    return [s for s in SENTENCE_END.split(text) if s.strip()]


Span = tuple[int, int]


def places(
    words: tuple[Word, ...], frames: Frames, skippable: tuple[bool, ...]
) -> dict[str, list[Span]]:
    """Return where each concept (and GUARD, for guards) occurs in a sentence's words."""
    found: dict[str, list[Span]] = {}
    for start, word in enumerate(words):
        for phrase in _starting(word, frames):
            # Most phrases are one word, found already: no walk needed.
            parts = phrase.parts
            end = start + 1 if len(parts) == 1 else _phrase_end(words, start, parts, skippable)
            if end is not None:
                found.setdefault(phrase.concept, []).append((start, end))
    return found


def _starting(word: Word, frames: Frames) -> list[Phrase]:
    """Return the phrases whose first word this word may be."""
    found: list[Phrase] = []
    for form in word.forms:
        found.extend(frames.whole.get(form, ()))
        for size in frames.stem_sizes:
            if len(form) >= size:
                found.extend(frames.stems.get(form[:size], ()))
    return found


def _matches(word: Word, part: str) -> bool:
    """Tell whether a word is a phrase's word: the same, or one it is the stem of."""
    if part[-1] == STEM:
        return any(form.startswith(part[:-1]) for form in word.forms)
    return part in word.forms


def _phrase_end(
    words: tuple[Word, ...], start: int, parts: tuple[str, ...], skippable: tuple[bool, ...]
) -> int | None:
    """Return where a phrase whose first word is at start ends, or None if it is not there."""
    position = start + 1
    for part in parts[1:]:
        passed = 0
        while position < len(words) and not _matches(words[position], part):
            if not skippable[position] or passed == FILLERS_IN_A_PHRASE:
                return None
            passed += 1
            position += 1
        if position == len(words):
            return None
        position += 1
    return position


def fired(
    rule: Rule, found: Mapping[str, list[Span]], skippable: tuple[bool, ...]
) -> Iterable[Span]:
    """Yield the spans over which a rule's concepts sit close enough together."""
    if any(concept not in found for concept in rule.concepts):
        return
    apart = frozenset(start for start, _ in found.get(BETWEEN, ()))
    for spans in product(*(found[concept] for concept in rule.concepts)):
        ordered = spans if rule.ordered else tuple(sorted(spans))
        if all(_near(a, b, skippable, apart) for a, b in pairwise(ordered)):
            yield ordered[0][0], max(end for _, end in ordered)


def _near(first: Span, then: Span, skippable: tuple[bool, ...], apart: frozenset[int]) -> bool:
    """Tell whether one concept's words come soon after another's, with nothing keeping
    them apart: at most MAX_GAP words on, none of them the start of a word between."""
    if then[0] < first[1]:
        return False
    between = range(first[1], then[0])
    if any(i in apart for i in between):
        return False
    return sum(1 for i in between if not skippable[i]) <= MAX_GAP
