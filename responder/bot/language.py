"""One language's words: its pages laid out as messages, and its messages filled in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from responder.bot import canned
from responder.bot.crisis_lists import CrisisList
from responder.bot.local_help import CrisisHelp, Local

MAIN = "main"
LOCAL_HELP = "local_help"  # shown after the texter changes their country
# A page's text for a texter who said they are under 18, or 18 and over.
AGE_TEXTS = {True: "text_under_18", False: "text_adult"}


@dataclass(frozen=True)
class Page:
    """One page of the menu: what it says, where it leads, and the words that find it."""

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

    def queued(self, position: int, minutes: int | None, emergency: str) -> str:
        """Tell a texter their place in the queue and, if it can be told, the wait;
        emergency is what to call in danger meanwhile (CrisisHelp.first_emergency)."""
        m = self.messages
        wait = m["wait_unknown"] if minutes is None else m["wait_estimate"].format(minutes=minutes)
        return m["queued"].format(position=position, wait=wait, emergency=emergency)

    def nobody_free(self, opens: tuple[int, str] | None, queued: bool, emergency: str) -> str:
        """Tell a texter honestly that nobody can answer now, and what happens next.

        opens is the next opening as a weekday (0 is Monday) and a time.
        """
        m = self.messages
        then = m["queued_while_closed"] if queued else m["not_queued"]
        told = m["nobody_free"].format(opens=self.opening(opens), emergency=emergency)
        return f"{told}\n\n{then}"

    def in_danger(self, key: str, turn_to: CrisisHelp) -> str:
        """A reply that ends on the number to call in danger (help, fallback, outage,
        slow_down, wait_notice): the country's first emergency number, or none_emergency."""
        return self.messages[key].format(emergency=turn_to.first_emergency)

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

    def waiting_kept(self, turn_to: CrisisHelp | None) -> str:
        """Answer a texter in the queue told their place a moment ago: this message is kept
        too; after crisis words, with the first number to call now."""
        if turn_to is None:
            return self.messages["waiting_kept"]
        return self.messages["waiting_kept_crisis"].format(line=turn_to.first)

    def crisis_followup(self, turn_to: CrisisHelp) -> str:
        """Write to a texter whose crisis nobody has taken yet."""
        return self.messages["crisis_followup"].format(
            crisis=turn_to.lines, emergency=turn_to.emergency
        )

    def crisis_outage(self, turn_to: CrisisHelp) -> str:
        """Answer crisis words while the database is away: the numbers, and no promise."""
        return self.messages["crisis_outage"].format(
            crisis=turn_to.lines, emergency=turn_to.emergency
        )

    def unsafe_offer(self, turn_to: CrisisHelp) -> str:
        """End a "did not understand" reply with a person and a number to turn to."""
        return self.messages["unsafe_offer"].format(line=turn_to.first)
