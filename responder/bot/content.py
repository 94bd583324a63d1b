"""Load the helpline's words from content/ into frozen values, one Language per folder.

Content is edited by helpline workers, not programmers, so every problem is reported
with the file and the entry it sits in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from responder.bot import language_files, resources
from responder.bot import platforms as platform_list
from responder.bot.crisis_lists import CrisisList
from responder.bot.language import Language
from responder.bot.local_help import CrisisHelp, Local
from responder.bot.platforms import Platform
from responder.bot.problems import Problem
from responder.bot.resources import ROLES, Directory

LANGUAGE_FOLDER = re.compile(r"^[a-z]{2,3}$")
# The most places to turn, and emergency numbers, a crisis reply lists (Content.crisis_help).
TURN_TO_LINES = 2
EMERGENCY_LINES = 3


class ContentError(Exception):
    """The content cannot be loaded; problems lists every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Content:
    """Everything the helpline says, in every language, and the local help it points to."""

    languages: Mapping[str, Language]
    directory: Directory
    default_language: str = "en"
    # Where sextortion happened, as a counsellor's wrap-up names it (content/platforms.toml).
    platforms: tuple[Platform, ...] = platform_list.ALWAYS

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
        own = directory.own(country, "emergency", under_18)
        emergency = own or directory.international_entries("emergency", under_18)
        none = lang.messages["none_emergency"]
        lines = list(dict.fromkeys(r.line(lang.code) for r in found))[:TURN_TO_LINES] or [none]
        emergency_lines = [r.line(lang.code) for r in emergency][:EMERGENCY_LINES]
        emergency_text = "\n".join(emergency_lines) or none
        first_emergency = own[0].line(lang.code) if own else none
        return CrisisHelp("\n".join(lines), emergency_text, lines[0], first_emergency)

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


def load(folder: Path) -> Content:
    """Load every language folder under content/; raise ContentError listing all problems."""
    problems: list[Problem] = []
    languages: dict[str, Language] = {}
    if not folder.is_dir():
        raise ContentError([Problem(str(folder), "-", "content folder not found")])
    for lang_dir in sorted(p for p in folder.iterdir() if LANGUAGE_FOLDER.match(p.name)):
        language = language_files.read(lang_dir, problems)
        if language is not None:
            languages[language.code] = language
    if "en" not in languages and not problems:
        problems.append(Problem(str(folder), "en", "the default language folder en/ is missing"))
    directory = resources.load(folder / "resources", problems)
    platforms = platform_list.load(folder, problems)
    for language in languages.values():
        for page in language.pages.values():
            target = page.action.partition(":")[2] if page.action else ""
            if target and target not in languages:
                file = str(language.folder / "pages.toml")
                problems.append(Problem(file, f"pages.{page.id}", f"no language folder {target}/"))
    failures = [p for p in problems if not p.warning]
    if failures or directory is None:
        raise ContentError(failures)
    return Content(MappingProxyType(languages), directory, platforms=platforms)
