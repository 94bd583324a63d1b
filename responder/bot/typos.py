"""How far apart two words are, in the typos people make: the menu and the crisis lists
both forgive small slips, and must agree on what one slip is."""

from __future__ import annotations


def distance(a: str, b: str, limit: int) -> int:
    """Edit distance with adjacent swaps (a typo's usual shapes), giving up past limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            row.append(value)
        if min(row) > limit:
            return limit + 1
        previous2, previous = previous, row
    return previous[-1]
