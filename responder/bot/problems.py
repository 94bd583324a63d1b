"""A problem found in files a helpline worker edits, located by file and entry."""

from __future__ import annotations

from dataclasses import dataclass


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
