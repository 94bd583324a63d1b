"""`responder content check`: prove every message the bot can send fits its channel.

Every page is laid out for every language and every country with local help (and for
a texter whose country is unknown), with every prefix the bot can put in front of it,
and measured as the phone network will bill it.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from responder.bot import resources
from responder.bot.content import Content, ContentError, load
from responder.bot.language import AGE_TEXTS, LOCAL_HELP, MAIN, Language, Page
from responder.bot.problems import Problem
from responder.bot.sms import Encoding, encode

SMS_MAX_SEGMENTS = 3
WHATSAPP_MAX_CHARS = 1024  # the limit of a WhatsApp session message body
MAX_OPTIONS = 9  # one digit each; 0 is always the main menu

# Messages the bot puts in front of a page, and those it sends on their own.
PAGE_PREFIXES = ("not_understood", "back_at_start", "empty")
MAIN_PREFIXES = ("welcome", "welcome_back", "language_set")
STANDALONE = (
    "opted_in",
    "media",
    "too_long",
    "released",
    "requeued",
    "survey_question",
    "survey_thanks",
    "delete_confirm",
    "erased",
    "age_question",
)
# Messages that end on the texter's own emergency number: composed for every country.
IN_DANGER = ("help", "fallback", "outage", "slow_down", "wait_notice")
# A page's text for each age: not known (the general text), under 18, 18 and over.
AGES = (None, True, False)
# Long but real values for the placeholders, so the check measures what is sent.
SAMPLE_POSITION, SAMPLE_MINUTES, SAMPLE_OPENS = 120, 120, (2, "09:00")


@dataclass(frozen=True)
class Composed:
    """One message the bot can send, and where its words come from."""

    file: str
    entry: str
    channel: str
    country: str | None
    text: str


@dataclass(frozen=True)
class Report:
    problems: list[Problem]
    # Most SMS segments any country needs, by page and then language.
    segments: dict[str, dict[str, int]]


def check(folder: Path, today: date | None = None) -> list[Problem]:
    """Return every problem in the content under folder; warnings do not fail it."""
    return report(folder, today).problems


def report(folder: Path, today: date | None = None) -> Report:
    """Check the content and measure each page's SMS segments per language."""
    try:
        content = load(folder)
    except ContentError as exc:
        return Report(exc.problems, {})
    problems = resources.stale(content.directory, today or date.today())
    problems.extend(_same_everywhere(content))
    segments: dict[str, dict[str, int]] = {}
    for language in content.languages.values():
        structure = _structure(language)
        problems.extend(structure)
        # Pages cannot be laid out while an option points nowhere.
        if structure:
            continue
        problems.extend(_characters(content, language))
        problems.extend(_lengths(content, language, segments))
    return Report(problems, segments)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if not p.warning]


def content_of(folder: Path) -> Content:
    """Load content for the app, refusing content the bot could not walk through.

    Only the structure is checked here (every option leads to a page, every language
    has the same pages): measuring every message for every country takes a second or
    more, too slow for each worker's start, and is the content check's job.

    Loading takes a second or two (the crisis lists and what their examples teach), and
    Content never changes once made, so a process that makes apps again on the same files
    (the tests make one per test) gets the one it made before. The files' bytes are the
    key: an edited file is read afresh.
    """
    return _checked(folder, _fingerprint(folder))


def _fingerprint(folder: Path) -> bytes:
    """A digest of every file under the folder, by path and bytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.digest()


@functools.lru_cache(maxsize=4)
def _checked(folder: Path, fingerprint: bytes) -> Content:
    content = load(folder)
    failures = _same_everywhere(content)
    for language in content.languages.values():
        failures.extend(_structure(language))
    if failures:
        raise ContentError(failures)
    return content


def countries(content: Content) -> list[str | None]:
    """Every country with local help, and None for a texter whose country is unknown."""
    return [*sorted(content.directory.places), None]


def composed_messages(content: Content, language: Language) -> Iterator[Composed]:
    """Yield every message the bot can compose in a language, for every country."""
    pages = str(language.folder / "pages.toml")
    messages = str(language.folder / "messages.toml")
    for channel in ("sms", "whatsapp"):
        for country in countries(content):
            locals_by_age = {age: content.local(language.code, country, age) for age in AGES}
            for page_id, page, under_18 in _page_texts(language):
                local = locals_by_age[under_18]
                entry = f"pages.{page_id}"
                if under_18 is not None:
                    entry += f".{AGE_TEXTS[under_18]}"
                text = language.render(page_id, channel, local, under_18=under_18)
                yield Composed(pages, entry, channel, country, text)
                prefixes = {key: language.messages[key] for key in PAGE_PREFIXES}
                if page_id == MAIN:
                    prefixes.update((key, language.messages[key]) for key in MAIN_PREFIXES)
                    prefixes["left_queue"] = language.messages["left_queue"]
                if page_id == LOCAL_HELP:
                    # A long name stands in for a country without a file.
                    name = content.directory.name(country, language.code)
                    name = name or "Bosnia and Herzegovina"
                    prefixes["country_set"] = language.messages["country_set"].format(country=name)
                if page.options:
                    count = len(page.options)
                    prefixes["out_of_range"] = language.messages["out_of_range"].format(count=count)
                for key, prefix in prefixes.items():
                    text = language.render(page_id, channel, local, prefix, under_18)
                    yield Composed(
                        pages, f"{entry} with messages.{key} in front", channel, country, text
                    )

        yield from _messages(content, language, messages, channel)


def _page_texts(language: Language) -> Iterator[tuple[str, Page, bool | None]]:
    """Yield each page shown as a page, once for each age it has a text for."""
    for page_id, page in language.pages.items():
        if page.action is not None:
            continue  # choosing it does something else than showing it
        for under_18 in AGES:
            # A page without a text of its own for an age shows the general text,
            # and leaving services out for an age only ever shortens it.
            if under_18 is None or getattr(page, AGE_TEXTS[under_18]) is not None:
                yield page_id, page, under_18


def _messages(content: Content, language: Language, file: str, channel: str) -> Iterator[Composed]:
    m = language.messages
    for key in STANDALONE:
        yield Composed(file, f"messages.{key}", channel, None, m[key])
    already = m["already_waiting"].format(position=SAMPLE_POSITION)
    yield Composed(file, "messages.already_waiting", channel, None, already)
    unknown = m["country_unknown"].format(code="XYZ")
    yield Composed(file, "messages.country_unknown", channel, None, unknown)
    for country in countries(content):
        for under_18 in AGES:
            turn_to = content.crisis_help(language.code, country, under_18)
            yield from _asking(language, file, channel, country, turn_to.first_emergency)
            for free in (True, False):
                text = language.crisis_reply(turn_to, free, SAMPLE_OPENS)
                yield Composed(file, "messages.crisis", channel, country, text)
            offer = language.unsafe_offer(turn_to)
            yield Composed(file, "messages.unsafe_offer", channel, country, offer)
            followup = language.crisis_followup(turn_to)
            yield Composed(file, "messages.crisis_followup", channel, country, followup)
            outage = language.crisis_outage(turn_to)
            yield Composed(file, "messages.crisis_outage", channel, country, outage)
            for key in IN_DANGER:
                text = language.in_danger(key, turn_to)
                yield Composed(file, f"messages.{key}", channel, country, text)
            kept = language.waiting_kept(turn_to)
            yield Composed(file, "messages.waiting_kept_crisis", channel, country, kept)
            for free in (True, False):
                text = language.waiting_reply(SAMPLE_POSITION, free, SAMPLE_OPENS, turn_to)
                yield Composed(file, "messages.waiting_reply", channel, country, text)


def _asking(
    language: Language, file: str, channel: str, country: str | None, emergency: str
) -> Iterator[Composed]:
    """Compose the replies to asking for a person, each with the country's emergency number."""
    welcome = language.messages["welcome"]
    for minutes in (SAMPLE_MINUTES, None):
        text = language.queued(SAMPLE_POSITION, minutes, emergency)
        yield Composed(file, "messages.queued", channel, country, text)
        # A first message of TALK gets the welcome in front of the queue reply.
        entry = "messages.welcome with messages.queued"
        yield Composed(file, entry, channel, country, f"{welcome}\n\n{text}")
    for opens in (SAMPLE_OPENS, None):
        for queued in (True, False):
            text = language.nobody_free(opens, queued, emergency)
            yield Composed(file, "messages.nobody_free", channel, country, text)
            entry = "messages.welcome with messages.nobody_free"
            yield Composed(file, entry, channel, country, f"{welcome}\n\n{text}")


def _same_everywhere(content: Content) -> list[Problem]:
    """Every language has the same pages, so a texter can switch at any point."""
    default = content.language(content.default_language)
    problems = []
    for language in content.languages.values():
        file = str(language.folder / "pages.toml")
        for page_id in sorted(set(default.pages) - set(language.pages)):
            problems.append(Problem(file, f"pages.{page_id}", f"missing; {default.code}/ has it"))
        for page_id in sorted(set(language.pages) - set(default.pages)):
            problems.append(Problem(file, f"pages.{page_id}", f"not in {default.code}/"))
        for page_id in sorted(set(language.pages) & set(default.pages)):
            page, model = language.pages[page_id], default.pages[page_id]
            entry = f"pages.{page_id}"
            if page.options != model.options:
                problems.append(Problem(file, entry, f"options differ from {default.code}/"))
            if page.despair != model.despair:
                problems.append(Problem(file, entry, f"despair differs from {default.code}/"))
            if page.asks_age != model.asks_age:
                asks = "asks" if model.asks_age else "does not ask"
                problems.append(Problem(file, entry, f"{asks} the age in {default.code}/"))
            for name in AGE_TEXTS.values():
                if getattr(model, name) is not None and getattr(page, name) is None:
                    problems.append(Problem(file, entry, f"{name} missing; {default.code}/ has it"))
                if getattr(model, name) is None and getattr(page, name) is not None:
                    problems.append(Problem(file, entry, f"{name} is not in {default.code}/"))
    return problems


def _structure(language: Language) -> list[Problem]:
    file = str(language.folder / "pages.toml")
    problems: list[Problem] = []
    pages = language.pages
    for page in pages.values():
        entry = f"pages.{page.id}"
        for target in page.options:
            if target not in pages:
                problems.append(Problem(file, entry, f"option {target!r} is not a page"))
        if len(page.options) > MAX_OPTIONS:
            problems.append(Problem(file, entry, f"has {len(page.options)} options; at most 9"))
        if page.id != MAIN and not page.keywords:
            problems.append(Problem(file, entry, "has no keywords for free-text matching"))
    if LOCAL_HELP not in pages:
        problems.append(Problem(file, f"pages.{LOCAL_HELP}", "the local help page is missing"))
    seen: set[str] = set()
    frontier = [MAIN] if MAIN in pages else []
    while frontier:
        page_id = frontier.pop()
        if page_id in seen or page_id not in pages:
            continue
        seen.add(page_id)
        frontier.extend(pages[page_id].options)
    for page_id in pages:
        if page_id not in seen:
            problems.append(
                Problem(file, f"pages.{page_id}", "cannot be reached from the main menu")
            )
    return problems


def _characters(content: Content, language: Language) -> list[Problem]:
    """Check each text where it is written, so the problem names the file to open."""
    pages, messages = str(language.folder / "pages.toml"), str(language.folder / "messages.toml")
    sources = [
        (pages, f"pages.{page_id}", f"{page.title}\n{page.text}")
        for page_id, page in language.pages.items()
    ]
    sources += [
        (pages, f"pages.{page_id}.{name}", text)
        for page_id, page in language.pages.items()
        for name in AGE_TEXTS.values()
        if (text := getattr(page, name)) is not None
    ]
    sources += [(messages, f"messages.{key}", text) for key, text in language.messages.items()]
    for place in (*content.directory.places.values(), content.directory.international):
        sources += [
            (str(place.file), f"resources #{n} ({r.name})", line)
            for n, r in enumerate(place.resources, 1)
            if r.verified
            for line in sorted(r.lines())
        ]
    problems = []
    for file, entry, text in sources:
        outside = encode(text).outside_gsm7
        if outside:
            shown = " ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in outside)
            if language.require_gsm7:
                message = f"SMS text is not GSM-7: {shown}"
            else:
                message = f"SMS text goes out as UCS-2 (70 characters a segment) because of {shown}"
            problems.append(Problem(file, entry, message, warning=not language.require_gsm7))
    return problems


def _lengths(
    content: Content, language: Language, segments: dict[str, dict[str, int]]
) -> list[Problem]:
    problems: list[Problem] = []
    reported: set[tuple[str, str]] = set()
    for message in composed_messages(content, language):
        where = f" (for {message.country})" if message.country else ""
        if message.channel == "whatsapp":
            if len(message.text) > WHATSAPP_MAX_CHARS and (message.entry, "wa") not in reported:
                reported.add((message.entry, "wa"))
                problems.append(
                    Problem(
                        message.file,
                        message.entry,
                        f"WhatsApp message is {len(message.text)} characters; at most 1024{where}",
                    )
                )
            continue
        encoding = encode(message.text)
        _count(segments, message, language, encoding)
        if encoding.segments > SMS_MAX_SEGMENTS and (message.entry, "sms") not in reported:
            # One problem per entry: the first country that breaks it is example enough.
            reported.add((message.entry, "sms"))
            problems.append(
                Problem(
                    message.file,
                    message.entry,
                    f"SMS message is {encoding.segments} segments "
                    f"({encoding.units} {encoding.name} units); at most {SMS_MAX_SEGMENTS}{where}",
                )
            )
    return problems


def _count(
    segments: dict[str, dict[str, int]], message: Composed, language: Language, encoding: Encoding
) -> None:
    if " with " in message.entry or not message.entry.startswith("pages."):
        return
    row = segments.setdefault(message.entry.removeprefix("pages."), {})
    row[language.code] = max(row.get(language.code, 0), encoding.segments)


def table(segments: dict[str, dict[str, int]]) -> str:
    """Lay the segment counts out as a page-by-language table."""
    codes = sorted({code for row in segments.values() for code in row})
    width = max([len("page"), *(len(page) for page in segments)])
    lines = ["page".ljust(width) + "".join(f"  {code:>3}" for code in codes)]
    for page in segments:
        cells = "".join(f"  {segments[page].get(code, '-'):>3}" for code in codes)
        lines.append(page.ljust(width) + cells)
    return "\n".join(lines)
