"""What a crisis list is made of: the tiers, and entries read into words and number patterns."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Tier(IntEnum):
    """How urgent a message looks; the lower value is the more urgent."""

    T1 = 1  # crisis: crisis reply at once, first in the queue, supervisors alerted
    T2 = 2  # escalate: sextortion pressure raises queue priority, without the crisis reply


# "..." in an entry: a few words of any kind, or none ("tell my ... i love her"). It stays
# "..." among the entry's parts: no word of a message is ever that.
SKIP = "..."


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


def lettered_runs(parts: tuple[str | Range, ...]) -> list[list[str]]:
    """Split an entry's parts into runs of words of letters (numbers, emoji, "..." break them)."""
    runs: list[list[str]] = [[]]
    for part in parts:
        if isinstance(part, str) and part.isalpha():
            runs[-1].append(part)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]
