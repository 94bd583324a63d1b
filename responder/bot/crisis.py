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

How a message is read before matching (list entries are read the same way):
- case and accents are folded ("Médicaments" is "medicaments"), and invisible format
  characters (zero-width spaces, direction marks) are dropped;
- a letter typed 3 times or more counts once or twice ("diiiie" is "die", "killll" "kill");
- a digit or symbol between two letters is read as the letter it looks like ("k1ll", "su!cide");
- a mark inside a word (' . - _ *) is read both as nothing and as a space, so "j'ai" is
  "jai" and "j ai", and "k.m.s" is "kms"; "j" before a consonant is read the second way
  too, as French "je" whose apostrophe was skipped ("jveux" is "j veux");
- single letters spaced out are joined ("s u i c i d e" is "suicide"), and an entry of 5
  letters or more may sit anywhere inside such a run;
- numbers stand apart from their unit ("800mg" is "800 mg"); in an entry, <n> matches any
  number and <10-17> a number in that range;
- words run together match an entry written apart ("killmyself" matches "kill my self"),
  never the other way round, and an entry never matches part of a word, so "od" does not
  fire inside "good" nor "kms" inside "okms";
- between two words of an entry, up to two filler words may sit: words that add emphasis
  and nothing else, named in each list's [fillers] ("just", "literally", "vraiment"), so
  "want to die" matches "want to just die" and "life is over" "life is literally so
  over"; a filler never starts or ends a match, and one listed in any list holds in all;
- "..." in an entry stands for up to three words of any kind, or none, for the families
  whose middle changes with every texter: "tell my ... i love" matches "tell my little
  sister i love her", "hope i ... die" "i hope i get sick and die";
- emoji match anywhere, each one a word of its own; so do Chinese and Japanese characters;
- a typo is forgiven, as menu keywords forgive it: a typed word also reads as a word of a
  T1 entry that has 5 letters or more and the same first letter, one edit away (a letter
  changed, added, dropped, or two neighbours swapped), two for an entry of one word of 9
  letters or more; a letter typed twice or once counts as the same ("myslef" is
  "myself", "suicde" "suicide", "mourrir" and "dissapear" are "mourir" and "disappear").
  Two entry words typed together count as one word here ("goodbey" is "good bye").

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

An exclusion silences only the matches lying wholly inside the words it covers: "killing
myself laughing" is silent, "killing myself laughing, no i want to kill myself" still fires.

Matching reads each message three ways (marks as nothing, marks as spaces, spelled-out
letters joined) and walks each reading once. Entries sit in a tree of their letters, with
a gap between two words that a word typed together may skip; from each word the walk goes
only as far as the tree does, standing still in a gap for at most two fillers or the
three words of a "...", so no start looks further than the longest entry and those few
words, and nothing backtracks. A typo's list words come from a table of list words with
letters left out, looked up with the typed word's own letters left out: a few lookups
for a word no longer than the longest list word, once per distinct word. The time taken
grows in step with the message's length.
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

from responder.bot import typos
from responder.bot.problems import Problem


class Tier(IntEnum):
    """How urgent a message looks; the lower value is the more urgent."""

    T1 = 1  # crisis: crisis reply at once, first in the queue, supervisors alerted
    T2 = 2  # escalate: sextortion pressure raises queue priority, without the crisis reply


TABLES: Mapping[str, Tier | None] = MappingProxyType(
    {"t1": Tier.T1, "t2": Tier.T2, "exclusions": None}
)
# Words never read as a typo of a list word: a table of its own, since it holds no entry.
ORDINARY = "ordinary"
# Words that may sit between two words of any entry ("want to just die"): a table of its own.
FILLERS = "fillers"
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
# Entries shorter than this are not looked for inside spelled-out runs ("od" is in "g o o d").
SPELLED_MIN = 5
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
BOUNDARY = " "  # the gap between two words of an entry, in the tree; no word has a space
# The gap an entry's "..." stands for, in the tree: any few words may sit there.
ANY_WORDS = "\t"
# "..." in an entry: at most this many words of any kind, or none ("tell my ... i love her").
# It stays "..." among the entry's parts: no word of a message is ever that.
SKIP = "..."
SKIP_WORDS = 3
# Filler words skipped between two words of an entry, at most this many in one gap
# ("life is literally just over").
FILLERS_IN_A_GAP = 2


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
    where: str  # "t1.plans_means", "exclusions.idioms"
    parts: tuple[str | Range, ...]
    tier: Tier | None  # None: an exclusion


@dataclass(slots=True, eq=False)
class _Node:
    """A place in the tree of entries: after some letters, or at the gap between words."""

    next: dict[str, _Node] = field(default_factory=dict)  # by character, BOUNDARY, ANY_WORDS
    skips: bool = False  # the gap of an entry's "...": any few words may be passed over
    numbers: list[tuple[Range, _Node]] = field(default_factory=list)
    ends: list[Entry] = field(default_factory=list)  # entries that end here


@dataclass(frozen=True)
class _Tree:
    """Entries by their letters, to walk a message once from each word."""

    root: _Node
    # Entries of letters only, run together, to find inside spelled-out letters.
    compact: tuple[tuple[str, Entry], ...]


@dataclass(frozen=True)
class _Typos:
    """What a typed word may be a typo of, and the words never read as one."""

    # A list word with doubled letters typed once, and that with one or two letters left
    # out: the list words, each with its doubled letters typed once and its edits allowed.
    omitted: Mapping[str, tuple[tuple[str, str, int], ...]]
    known: frozenset[str]  # list words, exclusion words and ordinary words
    longest: int  # the longest list word; a typed word 3 letters longer is none of them
    two_from: int  # the shortest list word allowed two edits, its doubled letters once


@dataclass(frozen=True)
class CrisisList:
    """One language's crisis list: T1 and T2 entries and the idioms that silence them."""

    file: str
    terms: tuple[Entry, ...]
    exclusions: tuple[Entry, ...]
    ordinary: frozenset[str]  # words never read as a typo
    fillers: frozenset[str]  # words skipped between two words of an entry
    _terms: _Tree = field(repr=False, compare=False)
    _exclusions: _Tree = field(repr=False, compare=False)
    _typos: _Typos = field(repr=False, compare=False)

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
        for name in sorted(set(data) - {*TABLES, ORDINARY, FILLERS}):
            problems.append(
                Problem(
                    file,
                    name,
                    "is not a list table; use [t1], [t2], [exclusions], [ordinary] and [fillers]",
                )
            )
        entries: list[Entry] = []
        for name, tier in TABLES.items():
            entries.extend(_read_table(file, name, data.get(name), tier, problems))
        terms = tuple(e for e in entries if e.tier is not None)
        exclusions = tuple(e for e in entries if e.tier is None)
        _check_exclusions(file, terms, exclusions, problems)
        ordinary = _read_words(file, ORDINARY, data.get(ORDINARY), problems)
        fillers = _read_words(file, FILLERS, data.get(FILLERS), problems)
        if sum(not p.warning for p in problems) > errors:
            return None
        return cls(
            file,
            terms,
            exclusions,
            ordinary,
            fillers,
            _tree(terms),
            # Spelled-out letters are typed on purpose: no exclusion silences them.
            _tree(exclusions, spelled=False),
            _typos(terms, exclusions, ordinary | fillers),
        )


def detect(text: str, lists: Iterable[CrisisList]) -> Tier | None:
    """Return the most urgent tier any list finds in a message, or None."""
    lists = tuple(lists)
    # Like an exclusion, a filler word in one list holds in all of them.
    fillers = frozenset().union(*(crisis_list.fillers for crisis_list in lists))
    found: Tier | None = None
    guessed: dict[str, tuple[str, ...]] = {}  # the readings share most of their words
    for reading in _readings(text):
        words = tuple(_with_typos(word, lists, guessed) for word in reading)
        tier = _tier(words, lists, fillers)
        if tier is Tier.T1:
            return tier
        found = found or tier
    return found


@dataclass(frozen=True, slots=True)
class _Word:
    """One word of a message as matching sees it."""

    # As typed, or with long letter runs shortened both ways, then the list words it may
    # be a typo of.
    forms: tuple[str, ...]
    number: int | None
    spelled: bool = False  # joined from letters typed apart


def _tier(
    words: tuple[_Word, ...], lists: tuple[CrisisList, ...], fillers: frozenset[str]
) -> Tier | None:
    """Return the most urgent tier matched in one reading, outside every exclusion."""
    # Which words are fillers, for the walks of every tree.
    skippable = tuple(any(form in fillers for form in word.forms) for word in words)
    # reach[i]: the furthest end of an exclusion starting at or before word i.
    reach = [0] * (len(words) + 1)
    for crisis_list in lists:
        for _, start, end in _matches(words, crisis_list._exclusions, skippable):
            reach[start] = max(reach[start], end)
    for i in range(1, len(reach)):
        reach[i] = max(reach[i], reach[i - 1])
    found: Tier | None = None
    for crisis_list in lists:
        for entry, start, end in _matches(words, crisis_list._terms, skippable):
            if reach[start] >= end:
                continue
            if entry.tier is Tier.T1:
                return Tier.T1
            found = entry.tier
    return found


def _matches(
    words: tuple[_Word, ...], tree: _Tree, skippable: tuple[bool, ...]
) -> Iterator[tuple[Entry, int, int]]:
    """Yield each entry found in the words, with the span of words it covers.

    Between two words of an entry the walk may pass over up to FILLERS_IN_A_GAP filler
    words, and where the entry has "..." over up to SKIP_WORDS words of any kind; it
    never starts or ends on a word passed over.
    """
    for start, word in enumerate(words):
        # Where the walk stands, each with the words passed over in the gap it stands in.
        places: dict[_Node, int] = {tree.root: 0}
        for position in range(start, len(words)):
            reached = _step(list(places), words[position])
            for node in reached:
                for entry in node.ends:
                    yield entry, start, position + 1
            after: dict[_Node, int] = {}
            for node in reached:
                for key in (BOUNDARY, ANY_WORDS):
                    gap = node.next.get(key)
                    if gap is not None:
                        after[gap] = 0
            if position > start:  # the root is no gap: nothing is passed over before a start
                for node, passed in places.items():
                    most = SKIP_WORDS if node.skips else 0
                    if skippable[position]:
                        most = max(most, FILLERS_IN_A_GAP)
                    if passed < most and after.get(node, most) > passed:
                        after[node] = passed + 1
            if not after:
                break
            places = after
        if word.spelled:
            for compact, entry in tree.compact:
                if any(compact in form for form in word.forms):
                    yield entry, start, start + 1


def _step(nodes: list[_Node], word: _Word) -> list[_Node]:
    """Return where one word takes the walk from these gaps: each place ends an entry's word.

    A word typed together may skip a gap between two of an entry's words ("killmyself"),
    so a letter can lead to two places; both are kept, and none is ever gone back to.
    """
    reached: dict[_Node, None] = {}
    for node in nodes:
        if word.number is not None:
            for pattern, after in node.numbers:
                if pattern.low <= word.number <= pattern.high:
                    reached[after] = None
        for form in word.forms:
            here = [node]
            for ch in form:
                there = []
                for place in here:
                    after = place.next.get(ch)
                    if after is not None:
                        there.append(after)
                    gap = place.next.get(BOUNDARY)
                    if gap is not None:
                        after = gap.next.get(ch)
                        if after is not None:
                            there.append(after)
                if not there:
                    break
                here = there
            else:
                # A word ends only where an entry's word does: never inside one ("okms").
                reached.update(
                    (place, None)
                    for place in here
                    if place.ends or BOUNDARY in place.next or ANY_WORDS in place.next
                )
    return list(reached)


def _with_typos(
    word: _Word, lists: tuple[CrisisList, ...], guessed: dict[str, tuple[str, ...]]
) -> _Word:
    """Add to a word the list words it may be a typo of, if any."""
    if word.number is not None:
        return word
    extra: list[str] = []
    for form in word.forms:
        if form not in guessed:
            guessed[form] = _typo_of(form, lists)
        extra.extend(w for w in guessed[form] if w not in word.forms and w not in extra)
    if not extra:
        return word
    return _Word((*word.forms, *extra), word.number, word.spelled)


def _typo_of(typed: str, lists: tuple[CrisisList, ...]) -> tuple[str, ...]:
    """Return the list words a typed word is a typo of, with the same first letter."""
    size = len(typed)
    if size < TYPO_MIN - 1 or not typed.isalpha():
        return ()
    # A word in its own right in any language is never a typo: texters mix languages. Nor
    # is an ordinary word behind a letter or two that stand for an elided word: "mecouter"
    # is "m'écouter" typed without its apostrophe, not "me couper" mistyped ("mtuer" is
    # still "me tuer").
    if any(typed in crisis_list._typos.known for crisis_list in lists):
        return ()
    rests = [w for w in (typed[1:], typed[2:]) if len(w) >= ELIDED_REST]
    if any(w in crisis_list.ordinary for w in rests for crisis_list in lists):
        return ()
    if all(size > crisis_list._typos.longest + 2 for crisis_list in lists):
        return ()
    # A letter doubled or not is the commonest slip of all ("dissapear", "mourrir"), and
    # costs nothing: words are compared with every doubled letter typed once.
    single = _single(typed)
    two = any(len(single) >= c._typos.two_from - 2 for c in lists)
    keys = _omissions(single, 2 if two else 1)
    found: dict[str, None] = {}
    for crisis_list in lists:
        omitted = crisis_list._typos.omitted
        for key in keys:
            for word, letters, allowed in omitted.get(key, ()):
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


def _readings(text: str) -> list[tuple[_Word, ...]]:
    """Read a message every way matching needs: marks as nothing, as spaces, letters joined."""
    folded = _fold(text)
    joined = _split(folded, join=True)
    readings = [[(w, False) for w in joined]]
    apart = _unglue(_split(folded, join=False))
    if apart != joined:
        readings.append([(w, False) for w in apart])
    spelled = _join_spelled(joined)
    if spelled is not None:
        readings.append(spelled)
    return [tuple(_word(w, s) for w, s in reading) for reading in readings]


def _unglue(words: list[str]) -> list[str]:
    """Read "j" before a consonant as "je" elided without its apostrophe: "jveux" is "j veux"."""
    found: list[str] = []
    for word in words:
        if len(word) >= 3 and word[0] == "j" and word[1] in ELIDED_BEFORE:
            found.extend(("j", word[1:]))
        else:
            found.append(word)
    return found


def _fold(text: str) -> str:
    """Lower-case and strip accents, as responder.bot.content.fold does, and open ligatures."""
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


def _word(text: str, spelled: bool = False) -> _Word:
    """Make a word, with its number if it is one and its forms if a letter runs long."""
    if text.isdigit():
        short = len(text) <= MAX_NUMBER_DIGITS and text.isdecimal()
        return _Word((text,), int(text) if short else None, spelled)
    if LONG_RUN.search(text) is None:
        return _Word((text,), None, spelled)
    runs = [(ch, sum(1 for _ in group)) for ch, group in groupby(text)]
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
    for where, values in _named_lists(file, name, table, problems):
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
    """Read an entry into words, number patterns and "...", or say what is wrong with it."""
    if not text.strip():
        return "has an empty entry"
    if _fold(text) != text:
        return f'"{text}": write entries in lower case without accents: "{_fold(text)}"'
    parts: list[str | Range] = []
    for chunk in text.split():
        if chunk == SKIP:
            if not parts or parts[-1] == SKIP:
                return f'"{text}": "..." stands between two words, once'
            parts.append(SKIP)
            continue
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
    if parts[-1] == SKIP:
        return f'"{text}": "..." stands between two words, never at the end'
    if all(isinstance(p, Range) or p == SKIP for p in parts):
        return f'"{text}" would match every number; add a word'
    return tuple(parts)


def _named_lists(
    file: str, name: str, table: dict[str, object], problems: list[Problem]
) -> Iterator[tuple[str, list[str]]]:
    """Yield each well-formed list of a table with where it is; add a problem for the rest."""
    for category, values in table.items():
        where = f"{name}.{category}"
        if not CATEGORY.match(category):
            problems.append(Problem(file, where, "list names use a-z, 0-9 and _ only"))
        elif not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problems.append(Problem(file, where, 'must be a list of texts: ["...", "..."]'))
        else:
            yield where, values


def _read_words(file: str, name: str, table: object, problems: list[Problem]) -> frozenset[str]:
    """Read [ordinary] or [fillers]: named lists of single words."""
    if table is None:
        return frozenset()
    if not isinstance(table, dict):
        problems.append(Problem(file, name, f'needs lists, like [{name}] words = ["..."]'))
        return frozenset()
    words: set[str] = set()
    for where, values in _named_lists(file, name, table, problems):
        for text in values:
            if _fold(text) != text:
                problems.append(
                    Problem(
                        file,
                        where,
                        f'"{text}": write words in lower case without accents: "{_fold(text)}"',
                    )
                )
            elif not text.isalpha():
                problems.append(
                    Problem(file, where, f'"{text}": one word of letters only, no spaces or marks')
                )
            elif text in words:
                problems.append(Problem(file, where, f'"{text}" is listed twice', warning=True))
            else:
                words.add(text)
    return frozenset(words)


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


def _tree(entries: tuple[Entry, ...], spelled: bool = True) -> _Tree:
    """Put entries in a tree of their letters, and keep the lettered ones run together."""
    root = _Node()
    for entry in entries:
        node = root
        gap = BOUNDARY
        for i, part in enumerate(entry.parts):
            if part == SKIP:
                gap = ANY_WORDS
                continue
            if i:
                node = node.next.setdefault(gap, _Node(skips=gap == ANY_WORDS))
                gap = BOUNDARY
            if isinstance(part, Range):
                node = _number(node, part)
                continue
            for ch in part:
                node = node.next.setdefault(ch, _Node())
        node.ends.append(entry)
    compact = tuple(
        ("".join(str(p) for p in e.parts), e)
        for e in entries
        if spelled
        and all(isinstance(p, str) and p.isalpha() for p in e.parts)
        and sum(len(str(p)) for p in e.parts) >= SPELLED_MIN
    )
    return _Tree(root, compact)


def _number(node: _Node, pattern: Range) -> _Node:
    """Return the place after a number pattern, shared by the entries that have it there."""
    for known, after in node.numbers:
        if known == pattern:
            return after
    after = _Node()
    node.numbers.append((pattern, after))
    return after


def _typos(
    terms: tuple[Entry, ...], exclusions: tuple[Entry, ...], ordinary: frozenset[str]
) -> _Typos:
    """Index the list words a typo may stand for, by their letters left out."""
    targets: dict[str, int] = {}
    # Only crisis words: a T2 entry only raises the queue's priority, and its words are
    # everyday words (tonight, posted, school) with crowded neighbourhoods.
    for entry in (e for e in terms if e.tier is Tier.T1):
        for run in _lettered_runs(entry.parts):
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
    omitted: dict[str, list[tuple[str, str, int]]] = {}
    for word, allowed in targets.items():
        letters = _single(word)
        for key in _omissions(letters, allowed):
            omitted.setdefault(key, []).append((word, letters, allowed))
    known = {p for e in exclusions for run in _lettered_runs(e.parts) for p in run}
    known |= {p for e in terms for run in _lettered_runs(e.parts) for p in run}
    return _Typos(
        MappingProxyType({k: tuple(v) for k, v in omitted.items()}),
        frozenset(known | set(targets) | ordinary),
        max(map(len, targets), default=0),
        min((len(_single(w)) for w, a in targets.items() if a == 2), default=TYPO_TWO),
    )


def _lettered_runs(parts: tuple[str | Range, ...]) -> list[list[str]]:
    """Split an entry's parts into runs of words of letters (numbers, emoji, "..." break them)."""
    runs: list[list[str]] = [[]]
    for part in parts:
        if isinstance(part, str) and part.isalpha():
            runs[-1].append(part)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]
