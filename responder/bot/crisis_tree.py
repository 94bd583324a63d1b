"""Find a list's entries in the words of a message: a tree of their letters, walked once.

What counts as a match:
- words run together match an entry written apart ("killmyself" matches "kill my self"),
  never the other way round, and an entry never matches part of a word, so "od" does not
  fire inside "good" nor "kms" inside "okms";
- in an entry, <n> matches any number and <10-17> a number in that range;
- between two words of an entry, up to two filler words may sit: words that add emphasis
  and nothing else ("just", "literally", "vraiment"), so "want to die" matches "want to
  just die" and "life is over" "life is literally so over"; a filler never starts or ends
  a match;
- "..." in an entry stands for up to three words of any kind, or none, for the families
  whose middle changes with every texter: "tell my ... i love" matches "tell my little
  sister i love her", "hope i ... die" "i hope i get sick and die";
- an entry of 5 letters or more may sit anywhere inside a run of spelled-out letters.

Why a tree: entries sit in a tree of their letters, with a gap between two words that a
word typed together may skip. From each word the walk goes only as far as the tree does,
standing still in a gap for at most two fillers or the three words of a "...", so no
start looks further than the longest entry and those few words, and nothing backtracks:
the time taken grows in step with the message's length.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from responder.bot.crisis_entries import SKIP, Entry, Range
from responder.bot.crisis_text import Word

BOUNDARY = " "  # the gap between two words of an entry, in the tree; no word has a space
# The gap an entry's "..." stands for, in the tree: any few words may sit there.
ANY_WORDS = "\t"
# The most words of any kind an entry's "..." passes over.
SKIP_WORDS = 3
# Filler words skipped between two words of an entry, at most this many in one gap
# ("life is literally just over").
FILLERS_IN_A_GAP = 2
# Entries shorter than this are not looked for inside spelled-out runs ("od" is in "g o o d").
SPELLED_MIN = 5


# A place in the tree is a number, the root 0. An edge's key is its place times SPAN plus
# the code of the character or gap it follows: one flat table of numbers takes about a
# third of the memory an object and a table per place took, in every worker.
ROOT = 0
SPAN = 0x110000  # one more than the highest character code
_BOUNDARY = ord(BOUNDARY)
_ANY_WORDS = ord(ANY_WORDS)


@dataclass(frozen=True)
class Tree:
    """Entries by their letters, to walk a message once from each word."""

    edges: Mapping[int, int]  # place * SPAN + code of a character or gap: the place after it
    skips: frozenset[int]  # the gaps of an entry's "...": any few words may be passed over
    numbers: Mapping[int, tuple[tuple[Range, int], ...]]  # number patterns from a place
    ends: Mapping[int, tuple[Entry, ...]]  # entries that end at a place
    # Entries of letters only, run together, to find inside spelled-out letters.
    compact: tuple[tuple[str, Entry], ...]


@dataclass
class _Builder:
    """A tree while its entries go in."""

    edges: dict[int, int] = field(default_factory=dict)
    skips: set[int] = field(default_factory=set)
    numbers: dict[int, tuple[tuple[Range, int], ...]] = field(default_factory=dict)
    ends: dict[int, tuple[Entry, ...]] = field(default_factory=dict)
    places: int = 1  # the root

    def child(self, place: int, key: str) -> int:
        """Return the place after a character or a gap, made the first time an entry needs it."""
        edge = place * SPAN + ord(key)
        after = self.edges.get(edge)
        if after is None:
            after = self.edges[edge] = self._new()
            if key == ANY_WORDS:
                self.skips.add(after)
        return after

    def number(self, place: int, pattern: Range) -> int:
        """Return the place after a number pattern, shared by the entries that have it there."""
        for known, after in self.numbers.get(place, ()):
            if known == pattern:
                return after
        after = self._new()
        self.numbers[place] = (*self.numbers.get(place, ()), (pattern, after))
        return after

    def _new(self) -> int:
        self.places += 1
        return self.places - 1


def build(entries: tuple[Entry, ...], spelled: bool = True) -> Tree:
    """Put entries in a tree of their letters, and keep the lettered ones run together."""
    tree = _Builder()
    for entry in entries:
        place = ROOT
        gap = BOUNDARY
        for i, part in enumerate(entry.parts):
            if part == SKIP:
                gap = ANY_WORDS
                continue
            if i:
                place = tree.child(place, gap)
                gap = BOUNDARY
            if isinstance(part, Range):
                place = tree.number(place, part)
                continue
            for ch in part:
                place = tree.child(place, ch)
        tree.ends[place] = (*tree.ends.get(place, ()), entry)
    compact = tuple(
        ("".join(str(p) for p in e.parts), e)
        for e in entries
        if spelled
        and all(isinstance(p, str) and p.isalpha() for p in e.parts)
        and sum(len(str(p)) for p in e.parts) >= SPELLED_MIN
    )
    # Plain tables, not read-only views of them: a view costs every lookup of the walk.
    return Tree(tree.edges, frozenset(tree.skips), tree.numbers, tree.ends, compact)


def matches(
    words: tuple[Word, ...], tree: Tree, skippable: tuple[bool, ...]
) -> Iterator[tuple[Entry, int, int]]:
    """Yield each entry found in the words, with the span of words it covers.

    Between two words of an entry the walk may pass over up to FILLERS_IN_A_GAP filler
    words, and where the entry has "..." over up to SKIP_WORDS words of any kind; it
    never starts or ends on a word passed over.
    """
    edges = tree.edges
    for start, word in enumerate(words):
        # Where the walk stands, each with the words passed over in the gap it stands in.
        places: dict[int, int] = {ROOT: 0}
        for position in range(start, len(words)):
            reached = _step(list(places), words[position], tree)
            for place in reached:
                for entry in tree.ends.get(place, ()):
                    yield entry, start, position + 1
            after: dict[int, int] = {}
            for place in reached:
                for code in (_BOUNDARY, _ANY_WORDS):
                    gap = edges.get(place * SPAN + code)
                    if gap is not None:
                        after[gap] = 0
            if position > start:  # the root is no gap: nothing is passed over before a start
                for place, passed in places.items():
                    most = SKIP_WORDS if place in tree.skips else 0
                    if skippable[position]:
                        most = max(most, FILLERS_IN_A_GAP)
                    if passed < most and after.get(place, most) > passed:
                        after[place] = passed + 1
            if not after:
                break
            places = after
        if word.spelled:
            for compact, entry in tree.compact:
                if any(compact in form for form in word.forms):
                    yield entry, start, start + 1


def _step(places: list[int], word: Word, tree: Tree) -> list[int]:
    """Return where one word takes the walk from these gaps: each place ends an entry's word.

    A word typed together may skip a gap between two of an entry's words ("killmyself"),
    so a letter can lead to two places; both are kept, and none is ever gone back to.
    """
    edges = tree.edges
    reached: dict[int, None] = {}
    for start in places:
        if word.number is not None:
            for pattern, after in tree.numbers.get(start, ()):
                if pattern.low <= word.number <= pattern.high:
                    reached[after] = None
        for form in word.forms:
            here = [start]
            for ch in form:
                code = ord(ch)
                there = []
                for place in here:
                    after = edges.get(place * SPAN + code)
                    if after is not None:
                        there.append(after)
                    gap = edges.get(place * SPAN + _BOUNDARY)
                    if gap is not None:
                        after = edges.get(gap * SPAN + code)
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
                    if place in tree.ends
                    or place * SPAN + _BOUNDARY in edges
                    or place * SPAN + _ANY_WORDS in edges
                )
    return list(reached)
