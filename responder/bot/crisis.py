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
how the lists are loaded in responder.bot.crisis_lists. What the lists' frames add, wording
no entry spells out found by the ideas a sentence holds, is in responder.bot.crisis_frames.
"""

from __future__ import annotations

from collections.abc import Iterable

from responder.bot.crisis_entries import Tier
from responder.bot.crisis_frames import GUARD, fired, places, sentences
from responder.bot.crisis_lists import CrisisList
from responder.bot.crisis_model import features
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
    idiom = False
    guessed: dict[str, tuple[str, ...]] = {}  # the readings share most of their words
    for reading in readings(text):
        words = tuple(with_typos(word, indexes, guessed) for word in reading)
        tier, excluded = _tier(words, lists, fillers)
        if tier is Tier.T1:
            return tier
        found = found or tier
        idiom = idiom or excluded
    # The frames find what no entry spells out; they only ever add to what the lists find.
    found = _framed(text, lists, fillers, guessed) or found
    # So do the models learnt from examples, unless the message holds an idiom the lists
    # know: "je vais mourir de honte" leans on the same words as a crisis does.
    if found is not Tier.T1 and not idiom and _modelled(text, lists):
        return Tier.T1
    return found


def _modelled(text: str, lists: tuple[CrisisList, ...]) -> bool:
    """Tell whether any language's model flags a message, as every list reads every message."""
    found = features(text)  # read once for every language's model
    return any(
        crisis_list.model is not None and crisis_list.model.flags(found) for crisis_list in lists
    )


def _tier(
    words: tuple[Word, ...], lists: tuple[CrisisList, ...], fillers: frozenset[str]
) -> tuple[Tier | None, bool]:
    """Return the most urgent tier matched in one reading, outside every exclusion, and
    whether an exclusion matched at all."""
    # Which words are fillers, for the walks of every tree.
    skippable = tuple(any(form in fillers for form in word.forms) for word in words)
    reach = _excluded(words, lists, skippable)
    excluded = reach[-1] > 0
    found: Tier | None = None
    for crisis_list in lists:
        for entry, start, end in matches(words, crisis_list.term_tree, skippable):
            if reach[start] >= end:
                continue
            if entry.tier is Tier.T1:
                return Tier.T1, excluded
            found = entry.tier
    return found, excluded


def _excluded(
    words: tuple[Word, ...], lists: tuple[CrisisList, ...], skippable: tuple[bool, ...]
) -> list[int]:
    """Return, for each word, the furthest end of an exclusion starting at or before it."""
    reach = [0] * (len(words) + 1)
    for crisis_list in lists:
        for _, start, end in matches(words, crisis_list.exclusion_tree, skippable):
            reach[start] = max(reach[start], end)
    for i in range(1, len(reach)):
        reach[i] = max(reach[i], reach[i - 1])
    return reach


def _framed(
    text: str,
    lists: tuple[CrisisList, ...],
    fillers: frozenset[str],
    guessed: dict[str, tuple[str, ...]],
) -> Tier | None:
    """Return the most urgent tier the lists' frames find in any sentence of a message."""
    indexes = tuple(crisis_list.typo_index for crisis_list in lists)
    found: Tier | None = None
    for sentence in sentences(text):
        for reading in readings(sentence):
            words = tuple(with_typos(word, indexes, guessed) for word in reading)
            skippable = tuple(any(form in fillers for form in word.forms) for word in words)
            tier = _framed_tier(words, lists, skippable)
            if tier is Tier.T1:
                return tier
            found = found or tier
    return found


def _framed_tier(
    words: tuple[Word, ...], lists: tuple[CrisisList, ...], skippable: tuple[bool, ...]
) -> Tier | None:
    """Return the most urgent tier a frame finds in one sentence's reading, unless guarded."""
    found_places = [places(words, crisis_list.frames, skippable) for crisis_list in lists]
    # A guard of any language quiets the whole sentence, as exclusions hold in every list.
    if any(GUARD in found for found in found_places):
        return None
    reach: list[int] | None = None
    found: Tier | None = None
    for crisis_list, where in zip(lists, found_places, strict=True):
        # Every rule joins two concepts or more: a sentence holding none of a list's
        # concepts (most messages, "1" or "hi") fires none of its rules.
        if not where:
            continue
        for rule in crisis_list.frames.rules:
            for start, end in fired(rule, where, skippable):
                reach = reach or _excluded(words, lists, skippable)
                if reach[start] >= end:
                    continue
                if rule.tier is Tier.T1:
                    return Tier.T1
                found = found or rule.tier
    return found
