"""The console's words, a folder of catalogue files per language, and the language each page speaks.

Templates and views name a phrase by its key (`t("nav.queue")`) instead of writing it, so
that a translator edits one file per language and never a template. A signed-in
counsellor's pages speak the language chosen in their account; pages before signing in
follow the browser's preferred languages. Every catalogue must hold exactly the keys and
the placeholders of the English one: a missing or extra phrase fails at loading, not on
a counsellor's screen in the middle of a shift.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from flask import g, request, session

from responder.errors import HandoffError

# The console's languages, each named in its own language for the chooser.
LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français"}
DEFAULT = "en"
CATALOGUES = Path(__file__).resolve().parent.parent / "words"
_KEY = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")


class CatalogueError(ValueError):
    """A catalogue that cannot be used, naming the file and the phrase."""


def load(directory: Path) -> dict[str, dict[str, str]]:
    """Read every language's catalogue as {language: {key: text}}, checked against English.

    A language's catalogue is a folder of files, one per part of the console
    (`en/queue.toml`, `fr/queue.toml`); each file must hold exactly the keys and
    placeholders of the English file of the same name, and no key may be in two files.
    """
    names = sorted(path.name for path in (directory / DEFAULT).glob("*.toml"))
    if not names:
        raise CatalogueError(f"{DEFAULT}/: no catalogue files")
    english = {name: _read(directory / DEFAULT / name, f"{DEFAULT}/{name}") for name in names}
    catalogues: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        found = sorted(path.name for path in (directory / language).glob("*.toml"))
        if found != names:
            raise CatalogueError(f"{language}/: holds {found}, English has {names}")
        catalogue: dict[str, str] = {}
        for name in names:
            where = f"{language}/{name}"
            words = _read(directory / language / name, where)
            _match(where, english[name], words)
            twice = sorted(set(words) & set(catalogue))
            if twice:
                raise CatalogueError(f"{where}: {twice} are in another file too")
            catalogue.update(words)
        catalogues[language] = catalogue
    return catalogues


def _match(where: str, english: dict[str, str], words: dict[str, str]) -> None:
    missing = sorted(set(english) - set(words))
    extra = sorted(set(words) - set(english))
    if missing or extra:
        raise CatalogueError(f"{where}: missing {missing or 'none'}, unknown {extra or 'none'}")
    for key, text in words.items():
        wanted = _placeholders(english[key])
        if _placeholders(text) != wanted:
            raise CatalogueError(f"{where}: {key} must use the placeholders {sorted(wanted)}")


@cache
def catalogues() -> dict[str, dict[str, str]]:
    """The packaged catalogues, read once: they change only with a new release."""
    return load(CATALOGUES)


def language() -> str:
    """The language of the page being drawn: the account's choice, else the browser's.

    Before the account is read, its choice as the session cookie last carried it stands in.
    """
    counsellor = g.get("counsellor")
    chosen = getattr(counsellor, "console_language", None) or session.get("console_language")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT


def say(key: str, **values: object) -> str:
    """The phrase for key in the page's language, with its placeholders filled in."""
    return phrase(language(), key, **values)


def refusal(error: HandoffError) -> str:
    """Why an action was refused, in the page's language, from the refusal's code."""
    return say(f"script.refused.{error.code}", **error.values)


def script_words() -> dict[str, str]:
    """The phrases the console's scripts show, in the page's language, without `script.`.

    They travel in the page itself (a data attribute of its body), so a script never
    holds words of its own and a switched-in conversation needs no second request.
    """
    prefix = "script."
    words = catalogues()[language()]
    return {key.removeprefix(prefix): text for key, text in words.items() if key.startswith(prefix)}


def phrase(in_language: str, key: str, **values: object) -> str:
    """The phrase for key in the given language; a key no catalogue has is a bug, and raises."""
    text = catalogues()[in_language].get(key)
    if text is None:
        raise KeyError(f"no console phrase {key!r}")
    return text.format_map(values) if values else text


def _read(path: Path, where: str) -> dict[str, str]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"{where}: {exc}") from exc
    words: dict[str, str] = {}
    _flatten(where, "", data, words)
    return words


def _flatten(where: str, prefix: str, table: Mapping[str, object], into: dict[str, str]) -> None:
    # Tables group the phrases by page ([login], [nav]); keys are their dotted paths.
    for name, value in table.items():
        key = f"{prefix}{name}"
        if not _KEY.match(key):
            raise CatalogueError(f"{where}: {key!r} is not a key (lower case, digits, _ and .)")
        if isinstance(value, dict):
            _flatten(where, key + ".", value, into)
        elif isinstance(value, str) and value.strip():
            into[key] = value
        else:
            raise CatalogueError(f"{where}: {key} must be text")


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}
