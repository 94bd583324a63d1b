"""Fold typed text so that it compares loosely with keywords: no case, no accents, no marks."""

from __future__ import annotations

import re
import unicodedata


def normalise_keyword(text: str) -> str:
    """Reduce a whole message to the form reserved keywords are compared in."""
    words = re.sub(r"[^\w\s]", " ", fold(text)).split()
    return " ".join(words).upper()


def fold(text: str) -> str:
    """Lower-case and strip accents, so that typed text compares loosely."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> tuple[str, ...]:
    """Split folded text into words, squeezing long runs of one letter ("pleeease")."""
    squeezed = re.sub(r"(.)\1{2,}", r"\1\1", fold(text))
    return tuple(re.findall(r"[^\W_]+", squeezed))
