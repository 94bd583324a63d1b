"""`responder content check`: prove every message the bot can send fits its channel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from responder.content import MAIN, Content, ContentError, Language, Problem, load
from responder.sms import encode

SMS_MAX_SEGMENTS = 3
WHATSAPP_MAX_CHARS = 1024  # the limit of a WhatsApp session message body
MAX_OPTIONS = 9  # one digit each; 0 is always the main menu

# Messages the bot puts in front of a page, and those it sends on their own.
PAGE_PREFIXES = ("not_understood", "back_at_start", "empty")
MAIN_PREFIXES = ("welcome", "welcome_back")
STANDALONE = (
    "help",
    "opted_in",
    "media",
    "too_long",
    "fallback",
    "wait_notice",
    "released",
    "survey_question",
    "survey_thanks",
)
# Long but real values for the placeholders, so the check measures what is sent.
SAMPLE_POSITION, SAMPLE_MINUTES, SAMPLE_OPENS = 120, 120, "Wednesday at 09:00"


def check(folder: Path) -> list[Problem]:
    """Return every problem in the content under folder."""
    try:
        content = load(folder)
    except ContentError as exc:
        return exc.problems
    problems: list[Problem] = []
    for language in content.languages.values():
        structure = _structure(language)
        problems.extend(structure)
        # Pages cannot be laid out while an option points nowhere.
        if not structure:
            problems.extend(_characters(language))
            problems.extend(_lengths(language))
    return problems


def composed_messages(language: Language) -> Iterator[tuple[str, str, str, str]]:
    """Yield (file, entry, channel, text) for every message the bot can compose."""
    pages = str(language.folder / "pages.toml")
    messages = str(language.folder / "messages.toml")
    for channel in ("sms", "whatsapp"):
        for page_id, page in language.pages.items():
            entry = f"pages.{page_id}"
            yield pages, entry, channel, language.render(page_id, channel)
            prefixes = {key: language.messages[key] for key in PAGE_PREFIXES}
            if page_id == MAIN:
                prefixes.update((key, language.messages[key]) for key in MAIN_PREFIXES)
            if page.options:
                count = len(page.options)
                prefixes["out_of_range"] = language.messages["out_of_range"].format(count=count)
            for key, prefix in prefixes.items():
                text = language.render(page_id, channel, prefix)
                yield pages, f"{entry} with messages.{key} in front", channel, text
        for key in STANDALONE:
            yield messages, f"messages.{key}", channel, language.messages[key]
        yield messages, "messages.queued", channel, language.queued(SAMPLE_POSITION, SAMPLE_MINUTES)
        yield messages, "messages.queued", channel, language.queued(SAMPLE_POSITION, None)
        for opens in (SAMPLE_OPENS, None):
            for queued in (True, False):
                yield messages, "messages.nobody_free", channel, language.nobody_free(opens, queued)
        # A first message of TALK gets the welcome in front of the queue reply.
        welcome = language.messages["welcome"]
        first = language.queued(SAMPLE_POSITION, SAMPLE_MINUTES)
        yield messages, "messages.welcome with messages.queued", channel, f"{welcome}\n\n{first}"
        closed = language.nobody_free(SAMPLE_OPENS, True)
        yield (
            messages,
            "messages.welcome with messages.nobody_free",
            channel,
            f"{welcome}\n\n{closed}",
        )
        already = language.messages["already_waiting"].format(position=SAMPLE_POSITION)
        yield messages, "messages.already_waiting", channel, already
        home = language.render(MAIN, channel, language.messages["left_queue"])
        yield pages, f"pages.{MAIN} with messages.left_queue in front", channel, home


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


def _characters(language: Language) -> list[Problem]:
    """Check each text where it is written, so the problem names the file to open."""
    sources = [
        (str(language.folder / "pages.toml"), f"pages.{page_id}", language.render(page_id, "sms"))
        for page_id in language.pages
    ]
    sources += [
        (str(language.folder / "messages.toml"), f"messages.{key}", text)
        for key, text in language.messages.items()
    ]
    problems = []
    for file, entry, text in sources:
        outside = encode(text).outside_gsm7
        if outside:
            shown = " ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in outside)
            problems.append(Problem(file, entry, f"SMS text is not GSM-7: {shown}"))
    return problems


def _lengths(language: Language) -> list[Problem]:
    problems: list[Problem] = []
    for file, entry, channel, text in composed_messages(language):
        if channel == "whatsapp":
            if len(text) > WHATSAPP_MAX_CHARS:
                message = f"WhatsApp message is {len(text)} characters; at most 1024"
                problems.append(Problem(file, entry, message))
            continue
        encoding = encode(text)
        # Text outside GSM-7 is reported once, by _characters, where it is written.
        if encoding.name == "GSM-7" and encoding.segments > SMS_MAX_SEGMENTS:
            message = (
                f"SMS message is {encoding.segments} segments ({encoding.units} characters); "
                f"at most {SMS_MAX_SEGMENTS}"
            )
            problems.append(Problem(file, entry, message))
    return problems


def content_of(folder: Path) -> Content:
    """Load content for the app, refusing to serve content that fails its checks."""
    problems = check(folder)
    if problems:
        raise ContentError(problems)
    return load(folder)
