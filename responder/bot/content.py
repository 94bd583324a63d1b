"""Load the helpline's words from content/ into frozen values, and lay pages out as messages.

Content is edited by helpline workers, not programmers, so every problem is reported
with the file and the entry it sits in.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from string import Formatter
from types import MappingProxyType
from typing import Any

from responder.bot import canned, resources
from responder.bot.crisis import CrisisList
from responder.bot.problems import Problem
from responder.bot.resources import ROLES, Directory

MAIN = "main"
LOCAL_HELP = "local_help"  # shown after the texter changes their country
FILES = ("language.toml", "pages.toml", "messages.toml", "keywords.toml")
LANGUAGE_FOLDER = re.compile(r"^[a-z]{2,3}$")
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
    "queued": ("position", "wait"),
    "wait_estimate": ("minutes",),
    "nobody_free": ("opens",),
    "opens_at": ("day", "time"),
    "already_waiting": ("position",),
    "country_set": ("country",),
    "country_unknown": ("code",),
    "crisis": ("crisis", "emergency"),
    "crisis_nobody_free": ("opens", "crisis", "emergency"),
    "crisis_followup": ("crisis", "emergency"),
    "waiting_reply": ("position",),
    "waiting_reply_nobody_free": ("opens",),
    "crisis_again": ("crisis", "emergency"),
    "unsafe_offer": ("line",),
}
# The most places to turn, and emergency numbers, a crisis reply lists (Content.crisis_help).
TURN_TO_LINES = 2
EMERGENCY_LINES = 3
PLACEHOLDER_LINE = re.compile(r"\{\w+\}")
# What a page's text may refer to: the texter's country and its local help, by role.
PAGE_PLACEHOLDERS = frozenset({"country", *ROLES})
KEYWORD_KINDS = ("menu", "back", "help", "talk", "country", "delete")
# What choosing a page can do besides showing it: ask for a person, or switch language.
ACTION = re.compile(r"^(talk|language:[a-z]{2,3})$")
PAGE_ID = re.compile(r"^[a-z0-9_]+$")
# A page's text for a texter who said they are under 18, or 18 and over.
AGE_TEXTS = {True: "text_under_18", False: "text_adult"}
PAGE_FIELDS = frozenset(
    {"title", "text", "options", "keywords", "action", "asks_age", "despair", *AGE_TEXTS.values()}
)


class ContentError(Exception):
    """The content cannot be loaded; problems lists every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Page:
    id: str
    title: str
    text: str
    options: tuple[str, ...]
    keywords: tuple[str, ...]
    action: str | None = None  # "talk" or "language:<code>"
    # Choosing the page first asks "are you under 18?", once per texter.
    asks_age: bool = False
    # What the page says instead of text to a texter who is under 18, or 18 and over.
    text_under_18: str | None = None
    text_adult: str | None = None
    # The page for despair: free text that fits any of its keywords comes here,
    # whatever else it fits, so a cry for help is never answered about something else.
    despair: bool = False

    def text_for(self, under_18: bool | None) -> str:
        """Return the text for a texter's age; None (not known) gets the general text."""
        if under_18 is None:
            return self.text
        return getattr(self, AGE_TEXTS[under_18]) or self.text


@dataclass(frozen=True)
class Language:
    """Everything the bot says in one language."""

    code: str
    folder: Path
    name: str
    # Whole-message words that switch to this language, from any language.
    switch_words: frozenset[str]
    # Countries whose texters start in this language.
    countries: frozenset[str]
    # Refuse SMS text outside GSM-7 instead of warning about it.
    require_gsm7: bool
    # The names of the weekdays, Monday first, for opening times.
    days: tuple[str, ...]
    # Words that may mean a texter is in danger (crisis.toml).
    crisis: CrisisList
    pages: Mapping[str, Page]
    messages: Mapping[str, str]
    keywords: Mapping[str, frozenset[str]]
    # Page keywords, normalised once for free-text matching: (page id, keyword tokens).
    match_table: tuple[tuple[str, tuple[str, ...]], ...] = field(repr=False)
    # Replies counsellors can insert in the console (canned.toml, optional).
    canned: tuple[canned.Reply, ...] = ()

    def render(
        self,
        page_id: str,
        channel: str,
        local: Local,
        prefix: str | None = None,
        under_18: bool | None = None,
    ) -> str:
        """Lay a page out as one message: title, text, numbered options, the way home.

        local fills the page's placeholders ({police}, {crisis}, ...) for the texter's
        country; Content.local gives it. under_18 picks the page's text for that age.
        """
        page = self.pages[page_id]
        title = f"*{page.title}*" if channel == "whatsapp" else page.title
        lines = [title, local.fill(page.text_for(under_18))]
        if page.options:
            lines.append("")
            lines.extend(
                f"{n} {self.pages[target].title}" for n, target in enumerate(page.options, 1)
            )
        if page_id != MAIN:
            if not page.options:
                lines.append("")
            lines.append(f"0 {self.pages[MAIN].title}")
        body = "\n".join(lines)
        return f"{prefix}\n\n{body}" if prefix else body

    def queued(self, position: int, minutes: int | None) -> str:
        """Tell a texter their place in the queue and, if it can be told, the wait."""
        m = self.messages
        wait = m["wait_unknown"] if minutes is None else m["wait_estimate"].format(minutes=minutes)
        return m["queued"].format(position=position, wait=wait)

    def nobody_free(self, opens: tuple[int, str] | None, queued: bool) -> str:
        """Tell a texter honestly that nobody can answer now, and what happens next.

        opens is the next opening as a weekday (0 is Monday) and a time.
        """
        m = self.messages
        then = m["queued_while_closed"] if queued else m["not_queued"]
        return m["nobody_free"].format(opens=self.opening(opens)) + "\n\n" + then

    def opening(self, opens: tuple[int, str] | None) -> str:
        """Say when someone will be there: the next opening, or as soon as they can."""
        if opens is None:
            return self.messages["opens_unknown"]
        return self.messages["opens_at"].format(day=self.days[opens[0]], time=opens[1])

    def crisis_reply(self, turn_to: CrisisHelp, free: bool, opens: tuple[int, str] | None) -> str:
        """Answer crisis words, telling the truth about whether a person can reply now."""
        if free:
            return self.messages["crisis"].format(crisis=turn_to.lines, emergency=turn_to.emergency)
        return self.messages["crisis_nobody_free"].format(
            opens=self.opening(opens), crisis=turn_to.lines, emergency=turn_to.emergency
        )

    def waiting_reply(
        self,
        position: int,
        free: bool,
        opens: tuple[int, str] | None,
        turn_to: CrisisHelp | None,
    ) -> str:
        """Answer a texter writing in the queue; after crisis words, with the numbers again."""
        m = self.messages
        if free:
            reply = m["waiting_reply"].format(position=position)
        else:
            reply = m["waiting_reply_nobody_free"].format(opens=self.opening(opens))
        if turn_to is None:
            return reply
        again = m["crisis_again"].format(crisis=turn_to.lines, emergency=turn_to.emergency)
        return f"{reply}\n{again}"

    def crisis_followup(self, turn_to: CrisisHelp) -> str:
        """Write to a texter whose crisis nobody has taken yet."""
        return self.messages["crisis_followup"].format(
            crisis=turn_to.lines, emergency=turn_to.emergency
        )

    def unsafe_offer(self, turn_to: CrisisHelp) -> str:
        """End a "did not understand" reply with a person and a number to turn to."""
        return self.messages["unsafe_offer"].format(line=turn_to.first)


@dataclass(frozen=True)
class CrisisHelp:
    """Where a texter in crisis can turn now, written out in their language."""

    lines: str  # crisis lines, else the child line, else a directory of crisis lines
    emergency: str  # the emergency number, or what to do when none is known
    first: str  # the one line offered when a message was not understood


@dataclass(frozen=True)
class Content:
    languages: Mapping[str, Language]
    directory: Directory
    default_language: str = "en"

    # Both are read for every inbound message: work them out once per loaded content.
    @cached_property
    def crisis_lists(self) -> tuple[CrisisList, ...]:
        """Every language's crisis list: texters mix languages, so each message meets all."""
        return tuple(language.crisis for language in self.languages.values())

    @cached_property
    def delete_words(self) -> frozenset[str]:
        """DELETE in every language: a texter may not write in the language shown."""
        return frozenset().union(*(lang.keywords["delete"] for lang in self.languages.values()))

    def language(self, code: str | None) -> Language:
        """Return the language asked for, or the default one when it is not there."""
        return self.languages.get(code or "", self.languages[self.default_language])

    def language_for(self, country: str | None) -> str:
        """Return the language texters from a country start in."""
        for language in self.languages.values():
            if country in language.countries:
                return language.code
        return self.default_language

    def crisis_help(self, code: str, country: str | None, under_18: bool | None) -> CrisisHelp:
        """Find where a texter in crisis can turn now, never leaving them without a number.

        The country's crisis lines and, for an under-18 or a texter whose age is unknown,
        its youth line too: a teenager is likelier to call a line made for them, so it
        comes first when they said they are under 18. Without either, the international
        directory of crisis lines. The emergency number has a line of its own in every
        crisis reply, so it is not repeated as the place to turn. Only verified entries
        are used, as everywhere, and a service listed under both roles shows once. At
        most TURN_TO_LINES places and EMERGENCY_LINES emergency numbers: in a crisis two
        numbers are a choice, five are a list to read, and the reply must fit in an SMS.
        """
        lang = self.language(code)
        directory = self.directory
        crisis = directory.own(country, "crisis", under_18)
        youth = directory.own(country, "child", under_18) if under_18 is not False else ()
        first, then = (youth, crisis) if under_18 else (crisis, youth)
        found = (*first[:1], *then[:1], *first[1:], *then[1:])
        found = found or directory.international_entries("crisis", under_18)
        emergency = directory.own(country, "emergency", under_18)
        emergency = emergency or directory.international_entries("emergency", under_18)
        none = lang.messages["none_emergency"]
        lines = list(dict.fromkeys(r.line(lang.code) for r in found))[:TURN_TO_LINES] or [none]
        emergency_lines = [r.line(lang.code) for r in emergency][:EMERGENCY_LINES]
        emergency_text = "\n".join(emergency_lines) or none
        return CrisisHelp("\n".join(lines), emergency_text, lines[0])

    def local(self, code: str, country: str | None, under_18: bool | None = None) -> Local:
        """Gather a country's help in a language for the page placeholders, never unverified.

        When the texter's age is known, entries for the other age group are left out.
        """
        lang = self.language(code)
        name = self.directory.name(country, lang.code)
        lines = {
            role: tuple(
                r.line(lang.code) for r in self.directory.entries(country, role) if r.fits(under_18)
            )
            for role in ROLES
        }
        fallbacks = {role: lang.messages[f"none_{role}"] for role in ROLES}
        return Local(
            name or lang.messages["your_country"],
            MappingProxyType(lines),
            MappingProxyType(fallbacks),
            lang.messages["talk_offer"],
            frozenset() if under_18 is None else frozenset({"adult" if under_18 else "child"}),
        )


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


def load(folder: Path) -> Content:
    """Load every language folder under content/; raise ContentError listing all problems."""
    problems: list[Problem] = []
    languages: dict[str, Language] = {}
    if not folder.is_dir():
        raise ContentError([Problem(str(folder), "-", "content folder not found")])
    for lang_dir in sorted(p for p in folder.iterdir() if LANGUAGE_FOLDER.match(p.name)):
        language = _load_language(lang_dir, problems)
        if language is not None:
            languages[language.code] = language
    if "en" not in languages and not problems:
        problems.append(Problem(str(folder), "en", "the default language folder en/ is missing"))
    directory = resources.load(folder / "resources", problems)
    for language in languages.values():
        for page in language.pages.values():
            target = page.action.partition(":")[2] if page.action else ""
            if target and target not in languages:
                file = str(language.folder / "pages.toml")
                problems.append(Problem(file, f"pages.{page.id}", f"no language folder {target}/"))
    failures = [p for p in problems if not p.warning]
    if failures or directory is None:
        raise ContentError(failures)
    return Content(MappingProxyType(languages), directory)


def _load_language(folder: Path, problems: list[Problem]) -> Language | None:
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
    file = str(path)
    tables = data.get("pages")
    if not isinstance(tables, dict) or not tables:
        problems.append(Problem(file, "pages", "needs [pages.<id>] tables"))
        return {}
    pages: dict[str, Page] = {}
    for page_id, table in tables.items():
        entry = f"pages.{page_id}"
        if not PAGE_ID.match(page_id):
            problems.append(Problem(file, entry, "page ids use a-z, 0-9 and _ only"))
            continue
        if not isinstance(table, dict):
            problems.append(Problem(file, entry, "must be a table"))
            continue
        title, text = table.get("title"), table.get("text")
        options = table.get("options", [])
        keywords = table.get("keywords", [])
        action = table.get("action")
        asks_age = table.get("asks_age", False)
        despair = table.get("despair", False)
        ages = {name: table.get(name) for name in AGE_TEXTS.values()}
        unknown = set(table) - PAGE_FIELDS
        if unknown:
            problems.append(Problem(file, entry, f"unknown fields: {', '.join(sorted(unknown))}"))
        if not isinstance(title, str) or not title.strip():
            problems.append(Problem(file, entry, "needs a title"))
            continue
        if not isinstance(text, str) or not text.strip():
            problems.append(Problem(file, entry, "needs a text"))
            continue
        if not _list_of_strings(options):
            problems.append(Problem(file, entry, "options must be a list of page ids"))
            continue
        if not _list_of_strings(keywords):
            problems.append(Problem(file, entry, "keywords must be a list of words"))
            continue
        if action is not None and not (isinstance(action, str) and ACTION.match(action)):
            problems.append(Problem(file, entry, 'action must be "talk" or "language:<code>"'))
            continue
        if not isinstance(despair, bool) or (despair and not keywords):
            problems.append(Problem(file, entry, "despair must be true or false, with keywords"))
            continue
        age_problem = _age_problem(page_id, action, asks_age, ages)
        if age_problem:
            problems.append(Problem(file, entry, age_problem))
            continue
        texts = [text, *(t for t in ages.values() if t is not None)]
        fields = {name for t in texts for _, name, _, _ in Formatter().parse(t) if name is not None}
        if fields - PAGE_PLACEHOLDERS:
            unknown = ", ".join("{" + f + "}" for f in sorted(fields - PAGE_PLACEHOLDERS))
            allowed = ", ".join("{" + f + "}" for f in sorted(PAGE_PLACEHOLDERS))
            problems.append(Problem(file, entry, f"uses {unknown}; pages may use {allowed}"))
            continue
        pages[page_id] = Page(
            page_id,
            title.strip(),
            text.strip(),
            tuple(options),
            tuple(keywords),
            action,
            asks_age,
            despair=despair,
            **{name: t.strip() for name, t in ages.items() if t is not None},
        )
    if MAIN not in pages and not any(p.entry == f"pages.{MAIN}" for p in problems):
        problems.append(Problem(file, f"pages.{MAIN}", "the main menu page is missing"))
    return pages


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
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)
