"""Forgive a typo in a crisis word, as menu keywords forgive one, without reading one in.

A typed word also reads as a word of a T1 entry that has 5 letters or more and the same
first letter, one edit away (a letter changed, added, dropped, or two neighbours
swapped), two for an entry of one word of 9 letters or more; a letter typed twice or
once counts as the same ("myslef" is "myself", "suicde" "suicide", "mourrir" and
"dissapear" are "mourir" and "disappear"). Two entry words typed together count as one
word here ("goodbey" is "good bye").

Why typos are guarded this way: one edit turns many list words into everyday words
("pills" and "polls", "poison" and "poisson", "pendre" and "prendre"), and a typo read
wrongly sends the crisis reply to someone who is fine. So:
- the first letter must be right: typing rarely slips on it, and it rules out the rhymes
  ("hills", "moose", "courir" and "nourrir");
- a typed word that is a word in its own right is read only as itself: a word of any
  entry or exclusion, or one of the ordinary words each list names, the everyday words of
  its language one typo from one of its words ("beach" is never "bleach");
- nor is a typed word whose first letter or two stand for an elided word before an
  ordinary word ("mecouter" is "m'écouter", not "me couper");
- words of 4 letters or fewer are never guessed at (rope, dead, tuer): one letter makes
  them another word (hope, deal, tuyer) too often for any list of ordinary words;
- only T1 words are guessed at: a T2 entry only raises the queue's priority, and its
  words are everyday words (tonight, posted, school) with crowded neighbourhoods.

Why a table of omissions: list words are kept with letters left out, and looked up with
the typed word's own letters left out, so a typo costs a few lookups for a word no
longer than the longest list word, once per distinct word of a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import groupby
from types import MappingProxyType

from responder.bot import typos
from responder.bot.crisis_entries import Entry, Tier, lettered_runs
from responder.bot.crisis_text import Word

# A list word shorter than this is never guessed at: one edit makes "rope" "hope".
TYPO_MIN = 5
# An entry of one word this long forgives two edits ("paracetmol", "suicidiare").
TYPO_TWO = 9
# Two list words typed together are guessed at, if one of them is this long: "myself"
# and "goodbye" are typed as one word, "allto" is not.
GLUED_LONGEST = 4
# A word typed without its apostrophe ("mecouter") is seen for what it is when at least
# this many letters remain once the elided word is gone: fewer make words by chance.
ELIDED_REST = 4


@dataclass(frozen=True)
class TypoIndex:
    """What a typed word may be a typo of in one list, and the words never read as one."""

    # A list word with doubled letters typed once, and that with one or two letters left
    # out: the list words, each with its doubled letters typed once and its edits allowed.
    omitted: Mapping[str, tuple[tuple[str, str, int], ...]]
    known: frozenset[str]  # list words, exclusion words, ordinary words and fillers
    ordinary: frozenset[str]  # the list's ordinary words, behind an elided word too
    longest: int  # the longest list word; a typed word 3 letters longer is none of them
    two_from: int  # the shortest list word allowed two edits, its doubled letters once


def index(
    terms: tuple[Entry, ...],
    exclusions: tuple[Entry, ...],
    ordinary: frozenset[str],
    fillers: frozenset[str],
) -> TypoIndex:
    """Index the list words a typo may stand for, by their letters left out."""
    targets = _targets(terms)
    omitted: dict[str, tuple[tuple[str, str, int], ...]] = {}
    # The same words under many keys share one tuple: a list has tens of thousands of
    # keys, nearly all for one word, and a tuple each would cost megabytes per worker.
    shared: dict[tuple[tuple[str, str, int], ...], tuple[tuple[str, str, int], ...]] = {}
    for word, allowed in targets.items():
        letters = _single(word)
        target = (word, letters, allowed)
        for key in _omissions(letters, allowed):
            words = (*omitted.get(key, ()), target)
            omitted[key] = shared.setdefault(words, words)
    known = {p for e in exclusions for run in lettered_runs(e.parts) for p in run}
    known |= {p for e in terms for run in lettered_runs(e.parts) for p in run}
    return TypoIndex(
        MappingProxyType(omitted),
        frozenset(known | set(targets) | ordinary | fillers),
        ordinary,
        max(map(len, targets), default=0),
        min((len(_single(w)) for w, a in targets.items() if a == 2), default=TYPO_TWO),
    )


def _targets(terms: tuple[Entry, ...]) -> dict[str, int]:
    """Return the list words a typo may stand for, each with the edits it forgives."""
    targets: dict[str, int] = {}
    # Only crisis words: a T2 entry only raises the queue's priority, and its words are
    # everyday words (tonight, posted, school) with crowded neighbourhoods.
    for entry in (e for e in terms if e.tier is Tier.T1):
        for run in lettered_runs(entry.parts):
            for size in (1, 2):
                for i in range(len(run) - size + 1):
                    glued = run[i : i + size]
                    word = "".join(glued)
                    if len(word) < TYPO_MIN:
                        continue
                    # Short words run together are no word a texter types ("all to"), nor
                    # is a word with the letter after its apostrophe ("life s").
                    if size > 1 and (
                        max(map(len, glued)) < GLUED_LONGEST or min(map(len, glued)) < 2
                    ):
                        continue
                    # Two edits only for an entry of one long word, which fires on its own
                    # and is often misspelt; in a phrase one edit is enough.
                    alone = len(entry.parts) == 1
                    allowed = 2 if alone and len(word) >= TYPO_TWO else 1
                    targets[word] = max(targets.get(word, 0), allowed)
    return targets


def with_typos(
    word: Word, indexes: tuple[TypoIndex, ...], guessed: dict[str, tuple[str, ...]]
) -> Word:
    """Add to a word the list words it may be a typo of, if any."""
    if word.number is not None:
        return word
    extra: list[str] = []
    for form in word.forms:
        if form not in guessed:
            guessed[form] = _typo_of(form, indexes)
        extra.extend(w for w in guessed[form] if w not in word.forms and w not in extra)
    if not extra:
        return word
    return Word((*word.forms, *extra), word.number, word.spelled)


def _typo_of(typed: str, indexes: tuple[TypoIndex, ...]) -> tuple[str, ...]:
    """Return the list words a typed word is a typo of, with the same first letter."""
    size = len(typed)
    if size < TYPO_MIN - 1 or not typed.isalpha():
        return ()
    # A word in its own right in any language is never a typo: texters mix languages. Nor
    # is an ordinary word behind a letter or two that stand for an elided word: "mecouter"
    # is "m'écouter" typed without its apostrophe, not "me couper" mistyped ("mtuer" is
    # still "me tuer").
    if any(typed in table.known for table in indexes):
        return ()
    rests = [w for w in (typed[1:], typed[2:]) if len(w) >= ELIDED_REST]
    if any(w in table.ordinary for w in rests for table in indexes):
        return ()
    if all(size > table.longest + 2 for table in indexes):
        return ()
    # A letter doubled or not is the commonest slip of all ("dissapear", "mourrir"), and
    # costs nothing: words are compared with every doubled letter typed once.
    single = _single(typed)
    two = any(len(single) >= table.two_from - 2 for table in indexes)
    keys = _omissions(single, 2 if two else 1)
    found: dict[str, None] = {}
    for table in indexes:
        for key in keys:
            for word, letters, allowed in table.omitted.get(key, ()):
                if word[0] == typed[0] and typos.distance(letters, single, allowed) <= allowed:
                    found[word] = None
    return tuple(found)


def _single(word: str) -> str:
    """Return a word with each run of one letter typed once: "dissapear" is "disapear"."""
    return "".join(ch for ch, _ in groupby(word))


def _omissions(word: str, most: int) -> set[str]:
    """Return the word with up to most letters left out, the word itself included.

    Two words an edit apart share such a form (a swap too: "myslef" and "myself" both
    give "mysef"), so looking these up finds every candidate; typos.distance then keeps only
    those really close enough, since sharing a form can also mean two edits.
    """
    found = {word}
    layer = {word}
    for _ in range(most):
        layer = {w[:i] + w[i + 1 :] for w in layer for i in range(len(w))}
        found |= layer
    return found
