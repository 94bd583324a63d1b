"""Load and check a language's crisis list (content/<lang>/crisis.toml), which clinicians edit.

A list has [t1] and [t2] entries, [exclusions] for very clear idioms, [ordinary] words
never read as a typo, [fillers] skipped between two words of an entry and [frames]
(responder.bot.crisis_frame_table) for wording no entry spells out. Entries are
written folded, as messages are read (responder.bot.crisis_text); <n> in an entry stands
for any number and <10-17> for a number in that range, and "..." for a few words of any
kind. Every problem is reported with the table it sits in, since the people who edit the
lists are not programmers.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from types import MappingProxyType

from responder.bot import crisis_frame_table, crisis_model, crisis_tree, crisis_typos
from responder.bot.crisis_entries import SKIP, Entry, Range, Tier
from responder.bot.crisis_frames import Frames
from responder.bot.crisis_text import MAX_NUMBER_DIGITS, fold, split
from responder.bot.problems import Problem, named_lists

TABLES: Mapping[str, Tier | None] = MappingProxyType(
    {"t1": Tier.T1, "t2": Tier.T2, "exclusions": None}
)
# Words never read as a typo of a list word: a table of its own, since it holds no entry.
ORDINARY = "ordinary"
# Words that may sit between two words of any entry ("want to just die"): a table of its own.
FILLERS = "fillers"
FRAMES = crisis_frame_table.FRAMES
PLACEHOLDER = re.compile(r"^<(?:n|(\d{1,6})-(\d{1,6}))>$")


class CrisisListError(Exception):
    """A crisis list cannot be loaded; problems lists every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class CrisisList:
    """One language's crisis list: T1 and T2 entries and the idioms that silence them."""

    file: str
    terms: tuple[Entry, ...]
    exclusions: tuple[Entry, ...]
    ordinary: frozenset[str]  # words never read as a typo
    fillers: frozenset[str]  # words skipped between two words of an entry
    term_tree: crisis_tree.Tree = field(repr=False, compare=False)
    exclusion_tree: crisis_tree.Tree = field(repr=False, compare=False)
    typo_index: crisis_typos.TypoIndex = field(repr=False, compare=False)
    # Concepts and the rules joining them, for wording no entry spells out.
    frames: Frames = field(repr=False, compare=False)
    # Learnt from the examples beside the list (crisis_examples.toml); None without them.
    model: crisis_model.Model | None = field(default=None, repr=False, compare=False)

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
        data = _toml(path, problems)
        if data is None:
            return None
        errors = sum(not p.warning for p in problems)
        for name in sorted(set(data) - {*TABLES, ORDINARY, FILLERS, FRAMES}):
            problems.append(
                Problem(
                    file,
                    name,
                    "is not a list table; use [t1], [t2], [exclusions], [ordinary], [fillers] "
                    "and [frames]",
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
        frames = crisis_frame_table.read(file, data.get(FRAMES), problems)
        model = crisis_model.read(path.with_name(crisis_model.FILE), problems)
        if sum(not p.warning for p in problems) > errors:
            return None
        return cls(
            file,
            terms,
            exclusions,
            ordinary,
            fillers,
            crisis_tree.build(terms),
            # Spelled-out letters are typed on purpose: no exclusion silences them.
            crisis_tree.build(exclusions, spelled=False),
            crisis_typos.index(terms, exclusions, ordinary, fillers),
            frames,
            model,
        )


def _toml(path: Path, problems: list[Problem]) -> dict[str, object] | None:
    """Parse a crisis.toml, or add why it cannot be read and return None."""
    file = str(path)
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        problems.append(Problem(file, "-", "file is missing"))
    except tomllib.TOMLDecodeError as exc:
        problems.append(Problem(file, "-", f"not valid TOML: {exc}"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(file, "-", f"cannot be read: {exc}"))
    return None


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
    for _, where, values in named_lists(file, name, table, problems):
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
    if fold(text) != text:
        return f'"{text}": write entries in lower case without accents: "{fold(text)}"'
    parts: list[str | Range] = []
    for chunk in text.split():
        if chunk == SKIP:
            if not parts or parts[-1] == SKIP:
                return f'"{text}": "..." stands between two words, once'
            parts.append(SKIP)
            continue
        if "<" in chunk or ">" in chunk:
            number = _range(text, chunk)
            if isinstance(number, str):
                return number
            parts.append(number)
            continue
        for word in split(chunk, join=False):
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


def _range(text: str, chunk: str) -> Range | str:
    """Read a number pattern of an entry, or say what is wrong with it."""
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
    return Range(low, high)


def _read_words(file: str, name: str, table: object, problems: list[Problem]) -> frozenset[str]:
    """Read [ordinary] or [fillers]: named lists of single words."""
    if table is None:
        return frozenset()
    if not isinstance(table, dict):
        problems.append(Problem(file, name, f'needs lists, like [{name}] words = ["..."]'))
        return frozenset()
    words: set[str] = set()
    for _, where, values in named_lists(file, name, table, problems):
        for text in values:
            if fold(text) != text:
                problems.append(
                    Problem(
                        file,
                        where,
                        f'"{text}": write words in lower case without accents: "{fold(text)}"',
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
