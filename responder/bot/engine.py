"""The menu state machine: one inbound text in, the next state and the replies out.

Pure on purpose: no Flask, SQL, Twilio or clock. The caller passes the time, so every
path can be tested from a table and replayed exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import phonenumbers

from responder.bot import typos
from responder.bot.content import Content
from responder.bot.keywords import normalise_keyword, tokens
from responder.bot.language import LOCAL_HELP, MAIN, Language

HISTORY_LIMIT = 20
# How well a typed word fits a keyword's word: a longer form of it, or a typo of it.
PREFIX_SCORE, TYPO_SCORE = 0.9, 0.8
# The answers to the age question; any other reply skips it.
AGE_ANSWERS = {"1": True, "2": False}
# Every region with its own numbering plan: what "COUNTRY XX" accepts.
VALID_COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)


@dataclass(frozen=True)
class MenuState:
    """Where a texter is in the menu: the page last shown and the way back."""

    page: str | None = None  # None: nothing shown yet in this conversation
    history: tuple[str, ...] = ()
    last_message_at: datetime | None = None
    # The page chosen when the age question was asked: the next message answers it.
    age_question_for: str | None = None


@dataclass(frozen=True)
class Age:
    """What is known of a texter's age: whether they were asked, and their answer."""

    asked: bool = False
    under_18: bool | None = None  # None: not known (never asked, or skipped)


@dataclass(frozen=True)
class Context:
    channel: str
    language: str
    now: datetime
    menu_timeout: timedelta = timedelta(minutes=30)
    country: str | None = None  # the texter's country, for local help
    age: Age = Age()
    ask_age: bool = True  # False: never ask, and show every texter the general pages


@dataclass(frozen=True)
class Outcome:
    state: MenuState
    replies: tuple[str, ...]
    page: str  # the page the reply shows, or the texter stays on
    language: str  # the conversation's language from now on
    country: str | None  # the texter's country from now on
    age: Age  # what is known of the texter's age from now on
    # Something the caller must do besides replying: "talk" asks for a person.
    action: str | None = None


def step(state: MenuState, text: str, content: Content, context: Context) -> Outcome:
    """Answer one message sent while the bot is serving the menu."""
    lang = content.language(context.language)
    # A page id stored before the content was edited may no longer exist.
    current = state.page if state.page in lang.pages else None
    turn = _Turn(state, content, context, lang, current)
    word = normalise_keyword(text)
    if current is None:
        return _first_message(turn, word)
    if state.age_question_for in lang.pages:
        return _age_reply(turn, state.age_question_for, word)
    return _on_page(turn, current, text, word)


def _first_message(turn: _Turn, word: str) -> Outcome:
    """Welcome a texter the bot has shown nothing yet in this conversation."""
    lang = turn.lang
    welcome = lang.messages["welcome"]
    # Someone whose first word is TALK still reads what is kept and how to stop.
    if word in lang.keywords["talk"]:
        return turn.act("talk", (welcome,))
    switch_to = _switch_word(turn.content, word)
    if switch_to is not None:
        return turn.switch(switch_to, switch_to.messages["welcome"])
    chosen = _country_command(lang, word)
    if chosen in VALID_COUNTRIES:
        return turn.show(MAIN, (), welcome, place=chosen)
    return turn.show(MAIN, (), welcome)


def _age_reply(turn: _Turn, chosen_page: str, word: str) -> Outcome:
    """Take the answer to the age question, or its skip, and show the page it was asked for.

    The page shows at once, even after a long silence: the question is the last thing the
    texter was sent. TALK skips to the queue, since a person was asked for.
    """
    age = Age(asked=True, under_18=age_answer(word))
    if word in turn.lang.keywords["talk"] and turn.talk_page is not None:
        chosen_page = turn.talk_page
    return turn.go(chosen_page, age)


def _on_page(turn: _Turn, current: str, text: str, word: str) -> Outcome:
    """Answer a message sent while a page is shown: a command, a number or free text."""
    lang, state = turn.lang, turn.state
    # Asking for a person is answered at once, even after a long silence.
    if word in lang.keywords["talk"]:
        return turn.go(turn.talk_page) if turn.talk_page is not None else turn.act("talk")
    switch_to = _switch_word(turn.content, word)
    if switch_to is not None:
        return turn.switch(switch_to)
    chosen = _country_command(lang, word)
    if chosen is not None:
        return _set_country(turn, current, chosen)
    context = turn.context
    if state.last_message_at and context.now - state.last_message_at >= context.menu_timeout:
        return turn.show(MAIN, (), lang.messages["welcome_back"])
    if not word:
        return turn.show(current, state.history, lang.messages["empty"])
    if word in lang.keywords["menu"]:
        return turn.show(MAIN, ())
    if word in lang.keywords["back"]:
        history = tuple(p for p in state.history if p in lang.pages)
        if not history:
            return turn.show(current, (), lang.messages["back_at_start"])
        return turn.show(history[-1], history[:-1])
    # Only ASCII digits are menu numbers; other scripts' digits are read as words.
    if word.isascii() and word.isdigit():
        return _option(turn, current, int(word))
    matched = match_page(lang, text)
    if matched is not None:
        return turn.go(matched)
    return turn.not_understood()


def _set_country(turn: _Turn, current: str, chosen: str) -> Outcome:
    """Answer "COUNTRY XX": show that country's local help, or say the code is unknown."""
    lang, state = turn.lang, turn.state
    if chosen not in VALID_COUNTRIES:
        prefix = lang.messages["country_unknown"].format(code=chosen)
        return turn.show(current, state.history, prefix)
    name = turn.content.directory.name(chosen, lang.code) or chosen
    prefix = lang.messages["country_set"].format(country=name)
    history = (*state.history, current) if current != LOCAL_HELP else state.history
    return turn.show(LOCAL_HELP, history, prefix, place=chosen)


def _option(turn: _Turn, current: str, choice: int) -> Outcome:
    """Follow a page's numbered option, or say which numbers there are."""
    options = turn.lang.pages[current].options
    if 1 <= choice <= len(options):
        return turn.go(options[choice - 1])
    if not options:
        return turn.not_understood()
    prefix = turn.lang.messages["out_of_range"].format(count=len(options))
    return turn.show(current, turn.state.history, prefix)


def _switch_word(content: Content, word: str) -> Language | None:
    """Return the language a whole-message switch word asks for, if the message is one."""
    return next((other for other in content.languages.values() if word in other.switch_words), None)


@dataclass(frozen=True)
class _Turn:
    """One message being answered, and the ways an answer can be made from where it stands."""

    state: MenuState
    content: Content
    context: Context
    lang: Language
    current: str | None  # the page shown, if it is still in the content

    @property
    def talk_page(self) -> str | None:
        """The page whose action asks for a person, if the content has one."""
        return next((p.id for p in self.lang.pages.values() if p.action == "talk"), None)

    def show(
        self,
        page: str,
        history: tuple[str, ...],
        prefix: str | None = None,
        language: Language | None = None,
        place: str | None = None,
        age: Age | None = None,
    ) -> Outcome:
        """Show a page; language, place and age default to the conversation's own."""
        context = self.context
        language = language or self.lang
        place = place if place is not None else context.country
        age = age if age is not None else context.age
        # With the question switched off, everyone reads the general pages.
        under_18 = age.under_18 if context.ask_age else None
        local = self.content.local(language.code, place, under_18)
        reply = language.render(page, context.channel, local, prefix, under_18)
        new_state = MenuState(page, history[-HISTORY_LIMIT:], context.now)
        return Outcome(new_state, (reply,), page, language.code, place, age)

    def go(self, page: str, age: Age | None = None) -> Outcome:
        """Choose a page: ask the age first if it needs it, act if it is an action."""
        age = age if age is not None else self.context.age
        if self.context.ask_age and not age.asked and self.lang.pages[page].asks_age:
            return self.ask(page)
        action = self.lang.pages[page].action
        if action == "talk":
            return self.act(action, age=age)
        if action is not None:
            return self.switch(self.content.language(action.partition(":")[2]))
        state, current = self.state, self.current
        history = (*state.history, current) if current and page != current else state.history
        return self.show(page, history, age=age)

    def ask(self, page: str) -> Outcome:
        """Ask the age before showing a page where the answer changes the advice."""
        stay = self.current or MAIN
        new_state = MenuState(stay, self.state.history, self.context.now, age_question_for=page)
        asked = Age(asked=True)
        reply = (self.lang.messages["age_question"],)
        return Outcome(new_state, reply, stay, self.lang.code, self.context.country, asked)

    def act(self, action: str, replies: tuple[str, ...] = (), age: Age | None = None) -> Outcome:
        """Stay on the page and leave the caller something to do, with these replies."""
        age = age if age is not None else self.context.age
        page = self.current or MAIN
        new_state = MenuState(page, self.state.history, self.context.now)
        return Outcome(new_state, replies, page, self.lang.code, self.context.country, age, action)

    def not_understood(self) -> Outcome:
        """Say the message was not understood, and offer a person and a number."""
        # A message the bot cannot place may be a cry for help the crisis lists missed:
        # the reply always ends with a person and a number to turn to, as a message of
        # its own so that the page keeps its length.
        lang, context = self.lang, self.context
        prefix = lang.messages["not_understood"]
        outcome = self.show(self.current or MAIN, self.state.history, prefix)
        under_18 = context.age.under_18 if context.ask_age else None
        offer = lang.unsafe_offer(self.content.crisis_help(lang.code, context.country, under_18))
        return replace(outcome, replies=(*outcome.replies, offer))

    def switch(self, language: Language, prefix: str | None = None) -> Outcome:
        """Switch to a language and show its main menu, saying so."""
        return self.show(MAIN, (), prefix or language.messages["language_set"], language)


def age_answer(word: str) -> bool | None:
    """Read a reply to the age question: True under 18, False 18 or over, None skipped."""
    return AGE_ANSWERS.get(word)


def _country_command(lang: Language, word: str) -> str | None:
    """Read "COUNTRY FR": return the code typed (valid or not), or None for other text."""
    parts = word.split()
    if len(parts) == 2 and parts[0] in lang.keywords["country"] and len(parts[1]) <= 3:
        return parts[1]
    return None


def match_page(lang: Language, text: str) -> str | None:
    """Pick the page whose keywords best fit free text, forgiving small typos.

    Despair wins: text holding any keyword of the despair page goes there, even if it
    fits another page better ("i want to die, he will tell my mum" is not a message
    about telling a parent). A guessed typo does not win that way: "trying" is one
    letter from "crying".
    """
    words = tokens(text)
    if not words:
        return None
    scores: dict[str, float] = {}
    for page_id, keyword in lang.match_table:
        score = _phrase_score(keyword, words)
        if score:
            if lang.pages[page_id].despair and score >= len(keyword) * PREFIX_SCORE:
                return page_id
            scores[page_id] = scores.get(page_id, 0.0) + score
    if not scores:
        return None
    order = list(lang.pages)
    return max(scores, key=lambda page: (scores[page], -order.index(page)))


def _phrase_score(keyword: tuple[str, ...], words: tuple[str, ...]) -> float:
    """Score a keyword phrase: every word of it must appear, exactly or nearly."""
    total = 0.0
    for part in keyword:
        best = max(_word_score(part, word) for word in words)
        if not best:
            return 0.0
        total += best
    return total


def _word_score(keyword: str, word: str) -> float:
    if keyword == word:
        return 1.0
    # One letter changes a short word into another ("back" and "bank"): no guessing there.
    if len(keyword) < 5 or len(word) < 5:
        return 0.0
    # "blackmail" should catch "blackmailed" and "blackmailing".
    if word.startswith(keyword):
        return PREFIX_SCORE
    allowed = 1 if len(keyword) < 8 else 2
    return TYPO_SCORE if typos.distance(keyword, word, allowed) <= allowed else 0.0
