"""Spot messages that may come from a texter in danger, using lists clinicians read and edit.

The rules (safeguarding reference, section 4):
- Recall over precision. A false alarm costs a counsellor a few minutes; a miss can cost a
  life. The lists hold phrases and method words rather than bare "die" or "kill", and
  exclusions cover only very clear idioms.
- The detector supports human judgement and never replaces it: it only says how urgent a
  message looks, and counsellors raise or lower the risk by hand.
- Every message is checked against every language's list, since texters mix languages, and
  an exclusion in any list applies to all of them.
- Callers get a tier and nothing else, never the words that matched, so no reply, log,
  analytics row or notification preview can echo a method back. T1 wins over T2.

How a message is read before matching (list entries are read the same way):
- case and accents are folded ("Médicaments" is "medicaments"), and invisible format
  characters (zero-width spaces, direction marks) are dropped;
- a letter typed 3 times or more counts once or twice ("diiiie" is "die", "killll" "kill");
- a digit or symbol between two letters is read as the letter it looks like ("k1ll", "su!cide");
- a mark inside a word (' . - _ *) is read both as nothing and as a space, so "j'ai" is
  "jai" and "j ai", and "k.m.s" is "kms";
- single letters spaced out are joined ("s u i c i d e" is "suicide"), and an entry of 5
  letters or more may sit anywhere inside such a run;
- numbers stand apart from their unit ("800mg" is "800 mg"); in an entry, <n> matches any
  number and <10-17> a number in that range;
- words run together match an entry written apart ("killmyself" matches "kill my self"),
  never the other way round, and an entry never matches part of a word, so "od" does not
  fire inside "good" nor "kms" inside "okms";
- emoji match anywhere, each one a word of its own; so do Chinese and Japanese characters.

An exclusion silences only the matches lying wholly inside the words it covers: "killing
myself laughing" is silent, "killing myself laughing, no i want to kill myself" still fires.

Matching reads each message three ways (marks as nothing, marks as spaces, spelled-out
letters joined) and walks each reading once, trying only the entries whose first word starts
the current word; an entry never looks further than its own length and nothing backtracks,
so the time taken grows in step with the message's length.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from itertools import groupby
from pathlib import Path
from types import MappingProxyType

from responder.problems import Problem


class Tier(IntEnum):
    """How urgent a message looks; the lower value is the more urgent."""

    T1 = 1  # crisis: crisis reply at once, first in the queue, supervisors alerted
    T2 = 2  # escalate: sextortion pressure raises queue priority, without the crisis reply


TABLES: Mapping[str, Tier | None] = MappingProxyType(
    {"t1": Tier.T1, "t2": Tier.T2, "exclusions": None}
)
CATEGORY = re.compile(r"^[a-z0-9_]+$")
PLACEHOLDER = re.compile(r"^<(?:n|(\d{1,6})-(\d{1,6}))>$")
# Marks inside one word: read once as nothing and once as a space.
JOINERS = frozenset("'\u2019\u02bc\u2018`.-_*\u00b7\u2010\u2011")
# Typed for the letter they look like when they sit between two letters ("k1ll").
LOOKALIKES: Mapping[str, str] = MappingProxyType(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)
# Typed for a letter at the start of a word ("$uicide").
LEADING_LOOKALIKES = frozenset("$")
# NFKD leaves these whole, but French texters type "coeur" as often as "cœur".
LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
# Longer digit runs are no dose or age, and must never become huge integers.
MAX_NUMBER_DIGITS = 6
# Entries shorter than this are not looked for inside spelled-out runs ("od" is in "g o o d").
SPELLED_MIN = 5
NUMBER_KEY = "<n>"  # index key of entries that start with a number; no word contains "<"


class CrisisListError(Exception):
    """A crisis list cannot be loaded; problems lists every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Range:
    """A number pattern in an entry: <n> or <10-17>."""

    low: int
    high: int


@dataclass(frozen=True)
class Entry:
    """One line of a list, read into words and number patterns."""

    text: str  # as written in the file, for problems and tests only
    where: str  # "t1.methods", "exclusions.idioms"
    parts: tuple[str | Range, ...]
    tier: Tier | None  # None: an exclusion


@dataclass(frozen=True)
class _Index:
    """Entries by their first word, to try only those that can start at a word."""

    first: Mapping[str, tuple[Entry, ...]]
    longest: int  # the longest first word, bounding the prefixes looked up
    # Entries of letters only, run together, to find inside spelled-out letters.
    compact: tuple[tuple[str, Entry], ...]


@dataclass(frozen=True)
class CrisisList:
    """One language's crisis list: T1 and T2 entries and the idioms that silence them."""

    file: str
    terms: tuple[Entry, ...]
    exclusions: tuple[Entry, ...]
    _terms: _Index = field(repr=False, compare=False)
    _exclusions: _Index = field(repr=False, compare=False)

    @classmethod
    def load(cls, path: Path) -> CrisisList:
        """Load a crisis.toml; raise CrisisListError listing every problem (warnings aside)."""
        problems: list[Problem] = []
        crisis_list = cls.read(path, problems)
        if crisis_list is None or any(not p.warning for p in problems):
            raise CrisisListError(problems)
        return crisis_list

    @classmethod
    def read(cls, path: Path, problems: list[Problem]) -> CrisisList | None:
        """Read a crisis.toml, adding its problems; return None when it has errors."""
        file = str(path)
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except FileNotFoundError:
            problems.append(Problem(file, "-", "file is missing"))
            return None
        except tomllib.TOMLDecodeError as exc:
            problems.append(Problem(file, "-", f"not valid TOML: {exc}"))
            return None
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(file, "-", f"cannot be read: {exc}"))
            return None
        errors = sum(not p.warning for p in problems)
        for name in sorted(set(data) - set(TABLES)):
            problems.append(
                Problem(file, name, "is not a list table; use [t1], [t2] and [exclusions]")
            )
        entries: list[Entry] = []
        for name, tier in TABLES.items():
            entries.extend(_read_table(file, name, data.get(name), tier, problems))
        terms = tuple(e for e in entries if e.tier is not None)
        exclusions = tuple(e for e in entries if e.tier is None)
        _check_exclusions(file, terms, exclusions, problems)
        if sum(not p.warning for p in problems) > errors:
            return None
        # Spelled-out letters are typed on purpose: no exclusion silences them.
        return cls(file, terms, exclusions, _index(terms), _index(exclusions, spelled=False))


def detect(text: str, lists: Iterable[CrisisList]) -> Tier | None:
    """Return the most urgent tier any list finds in a message, or None."""
    lists = tuple(lists)
    found: Tier | None = None
    for words in _readings(text):
        tier = _tier(words, lists)
        if tier is Tier.T1:
            return tier
        found = found or tier
    return found


@dataclass(frozen=True, slots=True)
class _Word:
    """One word of a message as matching sees it."""

    forms: tuple[str, ...]  # as typed, or with long letter runs shortened both ways
    number: int | None
    spelled: bool = False  # joined from letters typed apart


def _tier(words: tuple[_Word, ...], lists: tuple[CrisisList, ...]) -> Tier | None:
    """Return the most urgent tier matched in one reading, outside every exclusion."""
    # reach[i]: the furthest end of an exclusion starting at or before word i.
    reach = [0] * (len(words) + 1)
    for crisis_list in lists:
        for _, start, end in _matches(words, crisis_list._exclusions):
            reach[start] = max(reach[start], end)
    for i in range(1, len(reach)):
        reach[i] = max(reach[i], reach[i - 1])
    found: Tier | None = None
    for crisis_list in lists:
        for entry, start, end in _matches(words, crisis_list._terms):
            if reach[start] >= end:
                continue
            if entry.tier is Tier.T1:
                return Tier.T1
            found = entry.tier
    return found


def _matches(words: tuple[_Word, ...], index: _Index) -> Iterator[tuple[Entry, int, int]]:
    """Yield each entry found in the words, with the span of words it covers."""
    for start, word in enumerate(words):
        for entry in _starting(word, index):
            end = _end(entry.parts, words, start)
            if end is not None:
                yield entry, start, end
        if word.spelled:
            for compact, entry in index.compact:
                if any(compact in form for form in word.forms):
                    yield entry, start, start + 1


def _starting(word: _Word, index: _Index) -> Iterable[Entry]:
    """Return the entries whose first word can begin at this word."""
    found: dict[int, Entry] = {}
    if word.number is not None:
        found.update((id(e), e) for e in index.first.get(NUMBER_KEY, ()))
    for form in word.forms:
        for size in range(1, min(len(form), index.longest) + 1):
            found.update((id(e), e) for e in index.first.get(form[:size], ()))
    return found.values()


def _end(parts: tuple[str | Range, ...], words: tuple[_Word, ...], start: int) -> int | None:
    """Return where an entry starting at words[start] ends, or None if it does not match.

    Tracks every part the words so far can reach (a set no bigger than the entry), so a
    word read two ways never makes it backtrack.
    """
    states = {0}
    for position in range(start, len(words)):
        reached: set[int] = set()
        for at in states:
            reached.update(_advance(parts, at, words[position]))
        if len(parts) in reached:
            return position + 1
        if not reached:
            return None
        states = reached
    return None


def _advance(parts: tuple[str | Range, ...], at: int, word: _Word) -> Iterator[int]:
    """Yield the parts a word can take an entry to: one part, or several run together."""
    part = parts[at]
    if isinstance(part, Range):
        if word.number is not None and part.low <= word.number <= part.high:
            yield at + 1
        return
    for form in word.forms:
        glued = ""
        for k in range(at, len(parts)):
            piece = parts[k]
            if not isinstance(piece, str):
                break
            glued += piece
            if not form.startswith(glued):
                break
            if len(glued) == len(form):
                yield k + 1
                break


def _readings(text: str) -> list[tuple[_Word, ...]]:
    """Read a message every way matching needs: marks as nothing, as spaces, letters joined."""
    folded = _fold(text)
    joined = _split(folded, join=True)
    readings = [[(w, False) for w in joined]]
    apart = _split(folded, join=False)
    if apart != joined:
        readings.append([(w, False) for w in apart])
    spelled = _join_spelled(joined)
    if spelled is not None:
        readings.append(spelled)
    return [tuple(_word(w, s) for w, s in reading) for reading in readings]


def _fold(text: str) -> str:
    """Lower-case and strip accents, as responder.content.fold does, and open ligatures."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _split(text: str, join: bool) -> list[str]:
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
        if ch.isalnum() and not _ideograph(ch):
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


def _word(text: str, spelled: bool = False) -> _Word:
    """Make a word, with its number if it is one and its forms if a letter runs long."""
    if text.isdigit():
        short = len(text) <= MAX_NUMBER_DIGITS and text.isdecimal()
        return _Word((text,), int(text) if short else None, spelled)
    runs = [(ch, sum(1 for _ in group)) for ch, group in groupby(text)]
    if all(n < 3 for _, n in runs):
        return _Word((text,), None, spelled)
    once = "".join(ch if n >= 3 else ch * n for ch, n in runs)
    twice = "".join(ch * 2 if n >= 3 else ch * n for ch, n in runs)
    return _Word((once, twice), None, spelled)


def _read_table(
    file: str, name: str, table: object, tier: Tier | None, problems: list[Problem]
) -> list[Entry]:
    """Read one of [t1], [t2] and [exclusions]: named lists of entries."""
    if table is None and tier is None:
        return []
    if not isinstance(table, dict) or not table:
        example = "intent" if tier is not None else "idioms"
        problems.append(Problem(file, name, f'needs lists, like [{name}] {example} = ["..."]'))
        return []
    entries: list[Entry] = []
    seen: set[tuple[str | Range, ...]] = set()
    for category, values in table.items():
        where = f"{name}.{category}"
        if not CATEGORY.match(category):
            problems.append(Problem(file, where, "list names use a-z, 0-9 and _ only"))
            continue
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problems.append(Problem(file, where, 'must be a list of texts: ["...", "..."]'))
            continue
        for text in values:
            parts = _parts(text)
            if isinstance(parts, str):
                problems.append(Problem(file, where, parts))
                continue
            if parts in seen:
                problems.append(Problem(file, where, f'"{text}" is listed twice', warning=True))
                continue
            seen.add(parts)
            entries.append(Entry(text, where, parts, tier))
    return entries


def _parts(text: str) -> tuple[str | Range, ...] | str:
    """Read an entry into words and number patterns, or say what is wrong with it."""
    if not text.strip():
        return "has an empty entry"
    if _fold(text) != text:
        return f'"{text}": write entries in lower case without accents: "{_fold(text)}"'
    parts: list[str | Range] = []
    for chunk in text.split():
        if "<" in chunk or ">" in chunk:
            number = PLACEHOLDER.match(chunk)
            if number is None:
                return (
                    f'"{text}": {chunk} is not a number pattern; write <n> for any number '
                    "or <10-17> for a range, apart from other words"
                )
            low, high = (0, 10**MAX_NUMBER_DIGITS)
            if number[1] is not None:
                low, high = int(number[1]), int(number[2])
            if low > high:
                return f'"{text}": {chunk} runs backwards; write the smaller number first'
            parts.append(Range(low, high))
            continue
        for word in _split(chunk, join=False):
            if any(sum(1 for _ in g) >= 3 for _, g in groupby(word)):
                return (
                    f'"{text}": a letter 3 times in a row never matches, since messages '
                    "are read with it counted once or twice"
                )
            parts.append(word)
    if not parts:
        return f'"{text}" has no letters, digits or emoji to match'
    if all(isinstance(p, Range) for p in parts):
        return f'"{text}" would match every number; add a word'
    return tuple(parts)


def _check_exclusions(
    file: str, terms: tuple[Entry, ...], exclusions: tuple[Entry, ...], problems: list[Problem]
) -> None:
    """Refuse an exclusion that is itself a term: it would switch the term off everywhere."""
    term_parts = {t.parts for t in terms}
    for exclusion in exclusions:
        if exclusion.parts in term_parts:
            problems.append(
                Problem(
                    file,
                    exclusion.where,
                    f'"{exclusion.text}" is also a term and would silence it everywhere; '
                    "remove the term from its list instead",
                )
            )


def _index(entries: tuple[Entry, ...], spelled: bool = True) -> _Index:
    """Index entries by their first word, and keep the lettered ones run together."""
    first: dict[str, list[Entry]] = {}
    for entry in entries:
        head = entry.parts[0]
        first.setdefault(NUMBER_KEY if isinstance(head, Range) else head, []).append(entry)
    compact = tuple(
        ("".join(str(p) for p in e.parts), e)
        for e in entries
        if spelled
        and all(isinstance(p, str) and p.isalpha() for p in e.parts)
        and sum(len(str(p)) for p in e.parts) >= SPELLED_MIN
    )
    longest = max((len(key) for key in first), default=0)
    return _Index(MappingProxyType({k: tuple(v) for k, v in first.items()}), longest, compact)
