"""`responder content check`: prove every message the bot can send fits its channel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from responder.content import MAIN, Content, ContentError, Language, Problem, load
from responder.sms import encode

SMS_MAX_SEGMENTS = 3
WHATSAPP_MAX_CHARS = 1024
MAX_OPTIONS = 9  # one digit each; 0 is always the main menu

# Messages sent on their own, not in front of a page.
STANDALONE = ("help", "opted_in", "media", "too_long", "empty", "fallback")


def check(folder: Path) -> list[Problem]:
    """Return every problem in the content under folder, errors and warnings alike."""
    try:
        content = load(folder)
    except ContentError as exc:
        return exc.problems
    problems: list[Problem] = []
    for language in content.languages.values():
        problems.extend(_structure(language))
        if not any(p.entry.startswith("pages.") and not p.warning for p in problems):
            problems.extend(_budgets(language))
    return problems


def sample_messages(language: Language) -> Iterator[tuple[str, str, str, str]]:
    """Yield (file, entry, channel, text) for every message the bot can compose."""
    pages = str(language.folder / "pages.toml")
    messages = str(language.folder / "messages.toml")
    for channel in ("sms", "whatsapp"):
        for page_id, page in language.pages.items():
            entry = f"pages.{page_id}"
            yield pages, entry, channel, language.render(page_id, channel)
            prefixes = ["not_understood", "back_at_start"]
            if page_id == MAIN:
                prefixes += ["welcome", "welcome_back"]
            for key in prefixes:
                prefix = language.messages[key]
                yield (
                    pages,
                    f"{entry} after messages.{key}",
                    channel,
                    language.render(page_id, channel, prefix),
                )
            if page.options:
                prefix = language.messages["out_of_range"].format(count=len(page.options))
                yield (
                    pages,
                    f"{entry} after messages.out_of_range",
                    channel,
                    language.render(page_id, channel, prefix),
                )
        for key in STANDALONE:
            yield messages, f"messages.{key}", channel, language.messages[key]


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


def _budgets(language: Language) -> list[Problem]:
    problems: list[Problem] = []
    for file, entry, channel, text in sample_messages(language):
        if channel == "whatsapp":
            if len(text) > WHATSAPP_MAX_CHARS:
                problems.append(
                    Problem(
                        file,
                        entry,
                        f"WhatsApp message is {len(text)} characters; at most {WHATSAPP_MAX_CHARS}",
                    )
                )
            continue
        encoding = encode(text)
        if encoding.name != "GSM-7":
            shown = " ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in encoding.outside_gsm7)
            problems.append(Problem(file, entry, f"SMS text is not GSM-7: {shown}"))
        elif encoding.segments > SMS_MAX_SEGMENTS:
            problems.append(
                Problem(
                    file,
                    entry,
                    f"SMS message is {encoding.segments} segments ({encoding.units} characters); "
                    f"at most {SMS_MAX_SEGMENTS}",
                )
            )
    return problems


def content_of(folder: Path) -> Content:
    """Load content for the app, refusing to serve content that fails its checks."""
    problems = [p for p in check(folder) if not p.warning]
    if problems:
        raise ContentError(problems)
    return load(folder)
