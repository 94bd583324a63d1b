"""Read one language folder of content/ into a Language, reporting every problem found.

Content is edited by helpline workers, not programmers, so every problem is reported
with the file and the entry it sits in, and reading goes on past the first one.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from string import Formatter
from types import MappingProxyType
from typing import Any

from responder.bot import canned, resources
from responder.bot.crisis_lists import CrisisList
from responder.bot.keywords import normalise_keyword, tokens
from responder.bot.language import AGE_TEXTS, MAIN, Language, Page
from responder.bot.problems import Problem
from responder.bot.resources import ROLES

FILES = ("language.toml", "pages.toml", "messages.toml", "keywords.toml")
MESSAGE_KEYS = (
    "welcome",
    "welcome_back",
    "not_understood",
    "out_of_range",
    "back_at_start",
    "help",
    "opted_in",
    "media",
    "too_long",
    "empty",
    "fallback",
    "outage",
    "crisis_outage",
    "queued",
    "wait_estimate",
    "wait_unknown",
    "nobody_free",
    "opens_at",
    "opens_unknown",
    "queued_while_closed",
    "not_queued",
    "already_waiting",
    "left_queue",
    "wait_notice",
    "released",
    "requeued",
    "survey_question",
    "survey_thanks",
    "country_set",
    "country_unknown",
    "your_country",
    "language_set",
    "crisis",
    "crisis_nobody_free",
    "crisis_followup",
    "waiting_reply",
    "waiting_reply_nobody_free",
    "waiting_kept",
    "waiting_kept_crisis",
    "crisis_again",
    "unsafe_offer",
    "delete_confirm",
    "erased",
    "slow_down",
    "age_question",
    *(f"none_{role}" for role in ROLES),
    "talk_offer",
)
# The placeholders each message must carry; every other message carries none.
PLACEHOLDERS = {
    "out_of_range": ("count",),
    "help": ("emergency",),
    "fallback": ("emergency",),
    "outage": ("emergency",),
    "slow_down": ("emergency",),
    "queued": ("position", "wait", "emergency"),
    "wait_estimate": ("minutes",),
    "nobody_free": ("opens", "emergency"),
    "wait_notice": ("emergency",),
    "opens_at": ("day", "time"),
    "already_waiting": ("position",),
    "country_set": ("country",),
    "country_unknown": ("code",),
    "crisis": ("crisis", "emergency"),
    "crisis_nobody_free": ("opens", "crisis", "emergency"),
    "crisis_followup": ("crisis", "emergency"),
    "crisis_outage": ("crisis", "emergency"),
    "waiting_reply": ("position",),
    "waiting_reply_nobody_free": ("opens",),
    "waiting_kept_crisis": ("line",),
    "crisis_again": ("crisis", "emergency"),
    "unsafe_offer": ("line",),
}
# What a page's text may refer to: the texter's country and its local help, by role.
PAGE_PLACEHOLDERS = frozenset({"country", *ROLES})
KEYWORD_KINDS = ("menu", "back", "help", "talk", "country", "delete")
# What choosing a page can do besides showing it: ask for a person, or switch language.
ACTION = re.compile(r"^(talk|language:[a-z]{2,3})$")
PAGE_ID = re.compile(r"^[a-z0-9_]+$")
PAGE_FIELDS = frozenset(
    {"title", "text", "options", "keywords", "action", "asks_age", "despair", *AGE_TEXTS.values()}
)


def read(folder: Path, problems: list[Problem]) -> Language | None:
    """Read a language folder, adding its problems; return None when it has errors."""
    raw: dict[str, dict[str, Any]] = {}
    before = len(problems)
    for name in FILES:
        path = folder / name
        try:
            with path.open("rb") as handle:
                raw[name] = tomllib.load(handle)
        except FileNotFoundError:
            problems.append(Problem(str(path), "-", "file is missing"))
        except tomllib.TOMLDecodeError as exc:
            problems.append(Problem(str(path), "-", f"not valid TOML: {exc}"))
    if len(problems) > before:
        return None

    about = _about(folder / "language.toml", raw["language.toml"], problems)
    pages = _pages(folder / "pages.toml", raw["pages.toml"], problems)
    messages = _messages(folder / "messages.toml", raw["messages.toml"], problems)
    keywords = _keywords(folder / "keywords.toml", raw["keywords.toml"], problems)
    crisis = CrisisList.read(folder / "crisis.toml", problems)
    if any(not p.warning for p in problems[before:]) or about is None or crisis is None:
        return None
    table = tuple(
        (page.id, tokens(keyword))
        for page in pages.values()
        for keyword in page.keywords
        if tokens(keyword)
    )
    name, switch_words, countries, require_gsm7, days = about
    replies = canned.read(folder / canned.FILE, require_gsm7, problems)
    if any(not p.warning for p in problems[before:]):
        return None
    return Language(
        folder.name,
        folder,
        name,
        switch_words,
        countries,
        require_gsm7,
        days,
        crisis,
        MappingProxyType(pages),
        MappingProxyType(messages),
        MappingProxyType(keywords),
        table,
        replies,
    )


def _pages(path: Path, data: dict[str, Any], problems: list[Problem]) -> dict[str, Page]:
    """Read pages.toml: one [pages.<id>] table a page, the main menu among them."""
    file = str(path)
    tables = data.get("pages")
    if not isinstance(tables, dict) or not tables:
        problems.append(Problem(file, "pages", "needs [pages.<id>] tables"))
        return {}
    pages: dict[str, Page] = {}
    for page_id, table in tables.items():
        page = _page(file, page_id, table, problems)
        if page is not None:
            pages[page_id] = page
    if MAIN not in pages and not any(p.entry == f"pages.{MAIN}" for p in problems):
        problems.append(Problem(file, f"pages.{MAIN}", "the main menu page is missing"))
    return pages


def _page(file: str, page_id: str, table: Any, problems: list[Problem]) -> Page | None:
    """Read one page's table; a page with a problem is left out, with the first one said."""
    entry = f"pages.{page_id}"
    if not PAGE_ID.match(page_id):
        problem: str | None = "page ids use a-z, 0-9 and _ only"
    elif not isinstance(table, dict):
        problem = "must be a table"
    else:
        # Unknown fields are reported, yet the page is still read: a typo in an optional
        # field name must not hide the problems after it.
        unknown = set(table) - PAGE_FIELDS
        if unknown:
            problems.append(Problem(file, entry, f"unknown fields: {', '.join(sorted(unknown))}"))
        problem = _page_problem(page_id, table)
    if problem is not None:
        problems.append(Problem(file, entry, problem))
        return None
    ages = {name: table.get(name) for name in AGE_TEXTS.values()}
    return Page(
        page_id,
        table["title"].strip(),
        table["text"].strip(),
        tuple(table.get("options", [])),
        tuple(table.get("keywords", [])),
        table.get("action"),
        table.get("asks_age", False),
        despair=table.get("despair", False),
        **{name: t.strip() for name, t in ages.items() if t is not None},
    )


def _page_problem(page_id: str, table: dict[str, Any]) -> str | None:
    """Say the first thing wrong with a page's fields, if anything."""
    title, text = table.get("title"), table.get("text")
    keywords = table.get("keywords", [])
    action = table.get("action")
    despair = table.get("despair", False)
    ages = {name: table.get(name) for name in AGE_TEXTS.values()}
    if not isinstance(title, str) or not title.strip():
        return "needs a title"
    if not isinstance(text, str) or not text.strip():
        return "needs a text"
    if not _list_of_strings(table.get("options", [])):
        return "options must be a list of page ids"
    if not _list_of_strings(keywords):
        return "keywords must be a list of words"
    if action is not None and not (isinstance(action, str) and ACTION.match(action)):
        return 'action must be "talk" or "language:<code>"'
    if not isinstance(despair, bool) or (despair and not keywords):
        return "despair must be true or false, with keywords"
    age_problem = _age_problem(page_id, action, table.get("asks_age", False), ages)
    if age_problem:
        return age_problem
    texts = [text, *(t for t in ages.values() if t is not None)]
    fields = {name for t in texts for _, name, _, _ in Formatter().parse(t) if name is not None}
    if fields - PAGE_PLACEHOLDERS:
        unknown = ", ".join("{" + f + "}" for f in sorted(fields - PAGE_PLACEHOLDERS))
        allowed = ", ".join("{" + f + "}" for f in sorted(PAGE_PLACEHOLDERS))
        return f"uses {unknown}; pages may use {allowed}"
    return None


def _age_problem(
    page_id: str, action: str | None, asks_age: Any, ages: dict[str, Any]
) -> str | None:
    """Say what is wrong with a page's age question and age texts, if anything."""
    if not isinstance(asks_age, bool):
        return "asks_age must be true or false"
    for name, text in ages.items():
        if text is not None and (not isinstance(text, str) or not text.strip()):
            return f"{name} must be text"
    given = [name for name, text in ages.items() if text is not None]
    if asks_age and page_id == MAIN:
        # The question never comes before the texter has seen the menu.
        return "the main menu cannot ask the age"
    if asks_age and action is not None and action != "talk":
        return "only pages that are shown, or talk, can ask the age"
    if given and not asks_age:
        return f"has {', '.join(given)} but does not ask the age (asks_age = true)"
    if given and action is not None:
        return f"has {', '.join(given)}, but choosing it is an action, not a page"
    return None


def _about(
    path: Path, data: dict[str, Any], problems: list[Problem]
) -> tuple[str, frozenset[str], frozenset[str], bool, tuple[str, ...]] | None:
    """Read language.toml: the language's name, switch words, countries and weekdays."""
    name, switch, countries = data.get("name"), data.get("switch", []), data.get("countries", [])
    require, days = data.get("require_gsm7", False), data.get("days")
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem(str(path), "name", "needs the language's own name"))
    elif not _list_of_strings(switch) or not switch:
        problems.append(Problem(str(path), "switch", "needs the words that switch to it"))
    elif not isinstance(countries, list) or not all(
        isinstance(c, str) and resources.COUNTRY_CODE.match(c) for c in countries
    ):
        problems.append(Problem(str(path), "countries", "must be upper-case ISO codes"))
    elif not isinstance(require, bool):
        problems.append(Problem(str(path), "require_gsm7", "must be true or false"))
    elif not _list_of_strings(days) or len(days) != 7:
        problems.append(Problem(str(path), "days", "needs the 7 weekday names, Monday first"))
    else:
        words = frozenset(normalise_keyword(w) for w in switch)
        return name.strip(), words, frozenset(countries), require, tuple(days)
    return None


def _messages(path: Path, data: dict[str, Any], problems: list[Problem]) -> dict[str, str]:
    """Read messages.toml: every message the bot sends, each with its placeholders."""
    table = data.get("messages")
    if not isinstance(table, dict):
        problems.append(Problem(str(path), "messages", "needs a [messages] table"))
        return {}
    messages: dict[str, str] = {}
    for key in MESSAGE_KEYS:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(str(path), f"messages.{key}", "is missing or empty"))
        else:
            messages[key] = value.strip()
    for key in sorted(set(table) - set(MESSAGE_KEYS)):
        problems.append(Problem(str(path), f"messages.{key}", "is not a message the bot uses"))
    for key, text in messages.items():
        problem = _placeholder_problem(text, PLACEHOLDERS.get(key, ()))
        if problem:
            problems.append(Problem(str(path), f"messages.{key}", problem))
    return messages


def _placeholder_problem(template: str, names: tuple[str, ...]) -> str | None:
    """Say what is wrong with a message's placeholders, if anything."""
    expected = ", ".join("{" + n + "}" for n in names) or "no {placeholder}"
    try:
        filled = template.format(**{name: "\0" for name in names})
    except KeyError as exc:
        return f"uses {{{exc.args[0]}}}, but only {expected} is filled in"
    except (IndexError, ValueError):
        return f"has a stray {{ or }}; it may hold {expected} only"
    if filled.count("\0") != len(names):
        return f"must contain {expected}, each once"
    return None


def _keywords(
    path: Path, data: dict[str, Any], problems: list[Problem]
) -> dict[str, frozenset[str]]:
    """Read keywords.toml: the words of each reserved command, normalised."""
    table = data.get("keywords")
    if not isinstance(table, dict):
        problems.append(Problem(str(path), "keywords", "needs a [keywords] table"))
        return {}
    keywords: dict[str, frozenset[str]] = {}
    for kind in KEYWORD_KINDS:
        words = table.get(kind)
        if not _list_of_strings(words) or not words:
            problems.append(Problem(str(path), f"keywords.{kind}", "needs a list of words"))
        else:
            keywords[kind] = frozenset(normalise_keyword(w) for w in words)
    return keywords


def _list_of_strings(value: Any) -> bool:
    """Tell whether a value is a list of texts, none of them blank."""
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)
