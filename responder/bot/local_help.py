"""A country's help written out for a texter: for page placeholders and for crisis replies."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from string import Formatter

PLACEHOLDER_LINE = re.compile(r"\{\w+\}")


@dataclass(frozen=True)
class CrisisHelp:
    """Where a texter in crisis can turn now, written out in their language."""

    lines: str  # crisis lines, else the child line, else a directory of crisis lines
    emergency: str  # the emergency number, or what to do when none is known
    first: str  # the one line offered when a message was not understood
    # The country's first emergency number alone, or what to do where it has none: for
    # the replies that are not about a crisis (asking for a person, help, an outage),
    # which must leave room for the welcome in front of some of them.
    first_emergency: str


@dataclass(frozen=True)
class Local:
    """A country's verified help in one language, ready to fill a page's placeholders."""

    country: str
    lines: Mapping[str, tuple[str, ...]]  # by role
    fallbacks: Mapping[str, str]  # by role: what to do where the role has nothing
    talk_offer: str  # the offer of a person, said after a fallback
    # The roles made for the other age group (the child line for an adult), left out.
    other_age: frozenset[str] = frozenset()

    def fill(self, text: str) -> str:
        """Fill the placeholders of a page's text, in the order the page uses them.

        A service listed under two roles (a crisis line that is also the adults' line)
        shows once, where it comes first. Where a role has nothing, its fallback says
        what to do instead, with the offer of a person; a page shows one such fallback
        at most, so that a country with little help does not read "reply TALK" three
        times. Only a placeholder on a line of its own is ever left out: "In danger
        now? {emergency}" always gets its text.
        """
        lines = text.split("\n")
        alone = {line[1:-1] for line in lines if PLACEHOLDER_LINE.fullmatch(line)}
        values: dict[str, str] = {"country": self.country}
        shown: set[str] = set()
        fell_back = False
        for _, name, _, _ in Formatter().parse(text):
            if name is None or name in values:
                continue
            fresh = [line for line in self.lines[name] if line not in shown or name not in alone]
            shown.update(fresh)
            if fresh:
                values[name] = "\n".join(fresh)
            elif name in alone and (self.lines[name] or fell_back or name in self.other_age):
                values[name] = ""
            else:
                # The offer of a person is made once, even where two fallbacks must show.
                values[name] = self.fallbacks[name]
                if not fell_back:
                    values[name] += f" {self.talk_offer}"
                fell_back = True
        kept = [ln for ln in lines if not PLACEHOLDER_LINE.fullmatch(ln) or values[ln[1:-1]]]
        return "\n".join(kept).format_map(values)
