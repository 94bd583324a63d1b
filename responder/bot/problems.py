"""A problem found in files a helpline worker edits, located by file and entry."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

NAME = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class Problem:
    file: str
    entry: str
    message: str
    # A warning is reported but does not fail the check (an entry due for a re-check).
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning: " if self.warning else ""
        return f"{self.file}: {self.entry}: {kind}{self.message}"


def named_lists(
    file: str, where: str, table: dict[str, object], problems: list[Problem]
) -> Iterator[tuple[str, str, list[str]]]:
    """Yield each well-formed list of texts in a table, with its name and where it sits;
    add a problem for the rest, since the people editing the files are not programmers."""
    for name, values in table.items():
        at = f"{where}.{name}"
        if not NAME.match(name):
            problems.append(Problem(file, at, "list names use a-z, 0-9 and _ only"))
        elif not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problems.append(Problem(file, at, 'must be a list of texts: ["...", "..."]'))
        else:
            yield name, at, values
