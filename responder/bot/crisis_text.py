"""Read a message into the words crisis matching sees; list entries are read the same way.

- case and accents are folded ("Médicaments" is "medicaments"), and invisible format
  characters (zero-width spaces, direction marks) are dropped;
- a letter typed 3 times or more counts once or twice ("diiiie" is "die", "killll" "kill");
- a digit or symbol between two letters is read as the letter it looks like ("k1ll", "su!cide");
- a mark inside a word (' . - _ *) is read both as nothing and as a space, so "j'ai" is
  "jai" and "j ai", and "k.m.s" is "kms"; "j" before a consonant is read the second way
  too, as French "je" whose apostrophe was skipped ("jveux" is "j veux");
- single letters spaced out are joined ("s u i c i d e" is "suicide");
- numbers stand apart from their unit ("800mg" is "800 mg");
- emoji are each a word of their own; so are Chinese and Japanese characters.

So each message has up to three readings (marks as nothing, marks as spaces, spelled-out
letters joined), and matching walks each of them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import groupby
from types import MappingProxyType

# Marks inside one word: read once as nothing and once as a space.
JOINERS = frozenset("'\u2019\u02bc\u2018`.-_*\u00b7\u2010\u2011")
# Typed for the letter they look like when they sit between two letters ("k1ll").
LOOKALIKES: Mapping[str, str] = MappingProxyType(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)
# Typed for a letter at the start of a word ("$uicide").
LEADING_LOOKALIKES = frozenset("$")
# No word starts with "j" and one of these, so "jveux", "jvais", "jpourrai" are "je" elided
# and run on ("j'veux") by texters who skip the apostrophe.
ELIDED_BEFORE = frozenset("bcdfgjklmnpqrstvwxz")
# NFKD leaves these whole, but French texters type "coeur" as often as "cœur".
LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
# A letter typed 3 times or more in a row: the word is read with it once and twice.
LONG_RUN = re.compile(r"(.)\1\1")
IDEOGRAPHS_FROM = "\u2e7f"  # no character before this is an ideograph
# Longer digit runs are no dose or age, and must never become huge integers.
MAX_NUMBER_DIGITS = 6


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a message as matching sees it."""

    # As typed, or with long letter runs shortened both ways, then the list words it may
    # be a typo of.
    forms: tuple[str, ...]
    number: int | None
    spelled: bool = False  # joined from letters typed apart


def readings(text: str) -> list[tuple[Word, ...]]:
    """Read a message every way matching needs: marks as nothing, as spaces, letters joined."""
    folded = fold(text)
    joined = split(folded, join=True)
    found = [[(w, False) for w in joined]]
    apart = _unglue(split(folded, join=False))
    if apart != joined:
        found.append([(w, False) for w in apart])
    spelled = _join_spelled(joined)
    if spelled is not None:
        found.append(spelled)
    return [tuple(_word(w, s) for w, s in reading) for reading in found]


def _unglue(words: list[str]) -> list[str]:
    """Read "j" before a consonant as "je" elided without its apostrophe: "jveux" is "j veux"."""
    found: list[str] = []
    for word in words:
        if len(word) >= 3 and word[0] == "j" and word[1] in ELIDED_BEFORE:
            found.extend(("j", word[1:]))
        else:
            found.append(word)
    return found


def fold(text: str) -> str:
    """Lower-case and strip accents, as responder.bot.keywords.fold does, and open ligatures."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def split(text: str, join: bool) -> list[str]:
    """Split folded text into words, numbers and single emoji or ideographs.

    join reads marks inside a word as nothing ("j'ai" is "jai"); otherwise as a space.
    """
    words: list[str] = []
    current: list[str] = []
    last = len(text) - 1
    for i, ch in enumerate(text):
        before = text[i - 1] if i else " "
        after = text[i + 1] if i < last else " "
        inside = before.isalpha() and after.isalpha()
        leading = ch in LEADING_LOOKALIKES and after.isalpha() and not before.isalnum()
        if ch in LOOKALIKES and (inside or leading):
            ch = LOOKALIKES[ch]
        if ch.isalnum() and not (ch > IDEOGRAPHS_FROM and _ideograph(ch)):
            # "800mg" is a number and a unit; "b4" a letter and a number.
            if current and current[-1].isdigit() != ch.isdigit():
                words.append("".join(current))
                current = []
            current.append(ch)
            continue
        if ch in JOINERS and current and after.isalnum():
            if not join:
                words.append("".join(current))
                current = []
            continue
        if unicodedata.category(ch) == "Cf":
            # Zero-width and direction marks hide inside words; dropping them rejoins it.
            continue
        if current:
            words.append("".join(current))
            current = []
        if _ideograph(ch) or unicodedata.category(ch) == "So":
            words.append(ch)
    if current:
        words.append("".join(current))
    return words


def _ideograph(ch: str) -> bool:
    """Tell whether a character is a word on its own (Chinese, Japanese: no spaces)."""
    point = ord(ch)
    return ch.isalnum() and (
        0x2E80 <= point <= 0x9FFF or 0xF900 <= point <= 0xFAFF or 0x20000 <= point <= 0x3FFFF
    )


def _join_spelled(words: list[str]) -> list[tuple[str, bool]] | None:
    """Join runs of single letters ("s u i c i d e"); return None when there are none."""
    reading: list[tuple[str, bool]] = []
    run: list[str] = []
    joined = False
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha() and not _ideograph(word):
            run.append(word)
            continue
        if len(run) >= 2:
            reading.append(("".join(run), True))
            joined = True
        else:
            reading.extend((w, False) for w in run)
        run = []
        if word:
            reading.append((word, False))
    return reading if joined else None


def _word(text: str, spelled: bool = False) -> Word:
    """Make a word, with its number if it is one and its forms if a letter runs long."""
    if text.isdigit():
        short = len(text) <= MAX_NUMBER_DIGITS and text.isdecimal()
        return Word((text,), int(text) if short else None, spelled)
    if LONG_RUN.search(text) is None:
        return Word((text,), None, spelled)
    runs = [(ch, sum(1 for _ in group)) for ch, group in groupby(text)]
    once = "".join(ch if n >= 3 else ch * n for ch, n in runs)
    twice = "".join(ch * 2 if n >= 3 else ch * n for ch, n in runs)
    return Word((once, twice), None, spelled)
