"""Spot messages that may come from a texter in danger, using lists clinicians read and edit.

The rules (safeguarding reference, section 4):
- Recall over precision. A false alarm costs a counsellor a few minutes; a miss can cost a
  life. The lists hold phrases and method words rather than bare "die" or "kill", and
  exclusions cover only very clear idioms.
- The detector supports human judgement and never replaces it: it only says how urgent a
  message looks, and counsellors raise or lower the risk by hand.
- Every message is checked against every language's list, since texters mix languages, and
  an exclusion, ordinary word or filler in any list applies to all of them.
- Callers get a tier and nothing else, never the words that matched, so no reply, log,
  analytics row or notification preview can echo a method back. T1 wins over T2.
- An exclusion silences only the matches lying wholly inside the words it covers: "killing
  myself laughing" is silent, "killing myself laughing, no i want to kill myself" still
  fires.

How a message is read is in responder.bot.crisis_text, what matches an entry in
responder.bot.crisis_tree, which typos are forgiven in responder.bot.crisis_typos, and
how the lists are loaded in responder.bot.crisis_lists.
"""

from __future__ import annotations

from collections.abc import Iterable

from responder.bot.crisis_entries import Tier
from responder.bot.crisis_lists import CrisisList
from responder.bot.crisis_text import Word, readings
from responder.bot.crisis_tree import matches
from responder.bot.crisis_typos import with_typos


def detect(text: str, lists: Iterable[CrisisList]) -> Tier | None:
    """Return the most urgent tier any list finds in a message, or None."""
    lists = tuple(lists)
    # Like an exclusion, a filler word in one list holds in all of them.
    fillers = frozenset().union(*(crisis_list.fillers for crisis_list in lists))
    indexes = tuple(crisis_list.typo_index for crisis_list in lists)
    found: Tier | None = None
    guessed: dict[str, tuple[str, ...]] = {}  # the readings share most of their words
    for reading in readings(text):
        words = tuple(with_typos(word, indexes, guessed) for word in reading)
        tier = _tier(words, lists, fillers)
        if tier is Tier.T1:
            return tier
        found = found or tier
    return found


def _tier(
    words: tuple[Word, ...], lists: tuple[CrisisList, ...], fillers: frozenset[str]
) -> Tier | None:
    """Return the most urgent tier matched in one reading, outside every exclusion."""
    # Which words are fillers, for the walks of every tree.
    skippable = tuple(any(form in fillers for form in word.forms) for word in words)
    # reach[i]: the furthest end of an exclusion starting at or before word i.
    reach = [0] * (len(words) + 1)
    for crisis_list in lists:
        for _, start, end in matches(words, crisis_list.exclusion_tree, skippable):
            reach[start] = max(reach[start], end)
    for i in range(1, len(reach)):
        reach[i] = max(reach[i], reach[i - 1])
    found: Tier | None = None
    for crisis_list in lists:
        for entry, start, end in matches(words, crisis_list.term_tree, skippable):
            if reach[start] >= end:
                continue
            if entry.tier is Tier.T1:
                return Tier.T1
            found = entry.tier
    return found
