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

from collections.abc import Iterator
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


@dataclass(slots=True, eq=False)
class Node:
    """A place in the tree of entries: after some letters, or at the gap between words."""

    next: dict[str, Node] = field(default_factory=dict)  # by character, BOUNDARY, ANY_WORDS
    skips: bool = False  # the gap of an entry's "...": any few words may be passed over
    numbers: list[tuple[Range, Node]] = field(default_factory=list)
    ends: list[Entry] = field(default_factory=list)  # entries that end here


@dataclass(frozen=True)
class Tree:
    """Entries by their letters, to walk a message once from each word."""

    root: Node
    # Entries of letters only, run together, to find inside spelled-out letters.
    compact: tuple[tuple[str, Entry], ...]


def build(entries: tuple[Entry, ...], spelled: bool = True) -> Tree:
    """Put entries in a tree of their letters, and keep the lettered ones run together."""
    root = Node()
    for entry in entries:
        node = root
        gap = BOUNDARY
        for i, part in enumerate(entry.parts):
            if part == SKIP:
                gap = ANY_WORDS
                continue
            if i:
                node = node.next.setdefault(gap, Node(skips=gap == ANY_WORDS))
                gap = BOUNDARY
            if isinstance(part, Range):
                node = _number(node, part)
                continue
            for ch in part:
                node = node.next.setdefault(ch, Node())
        node.ends.append(entry)
    compact = tuple(
        ("".join(str(p) for p in e.parts), e)
        for e in entries
        if spelled
        and all(isinstance(p, str) and p.isalpha() for p in e.parts)
        and sum(len(str(p)) for p in e.parts) >= SPELLED_MIN
    )
    return Tree(root, compact)


def _number(node: Node, pattern: Range) -> Node:
    """Return the place after a number pattern, shared by the entries that have it there."""
    for known, after in node.numbers:
        if known == pattern:
            return after
    after = Node()
    node.numbers.append((pattern, after))
    return after


def matches(
    words: tuple[Word, ...], tree: Tree, skippable: tuple[bool, ...]
) -> Iterator[tuple[Entry, int, int]]:
    """Yield each entry found in the words, with the span of words it covers.

    Between two words of an entry the walk may pass over up to FILLERS_IN_A_GAP filler
    words, and where the entry has "..." over up to SKIP_WORDS words of any kind; it
    never starts or ends on a word passed over.
    """
    for start, word in enumerate(words):
        # Where the walk stands, each with the words passed over in the gap it stands in.
        places: dict[Node, int] = {tree.root: 0}
        for position in range(start, len(words)):
            reached = _step(list(places), words[position])
            for node in reached:
                for entry in node.ends:
                    yield entry, start, position + 1
            after: dict[Node, int] = {}
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


def _step(nodes: list[Node], word: Word) -> list[Node]:
    """Return where one word takes the walk from these gaps: each place ends an entry's word.

    A word typed together may skip a gap between two of an entry's words ("killmyself"),
    so a letter can lead to two places; both are kept, and none is ever gone back to.
    """
    reached: dict[Node, None] = {}
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
