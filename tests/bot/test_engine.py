"""The menu state machine, driven with the shipped content as a texter would drive it."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta

import pytest

from responder.bot.content import load
from responder.bot.engine import HISTORY_LIMIT, Age, Context, MenuState, Outcome, step
from responder.bot.language import MAIN
from responder.bot.sms import encode
from tests.checkout import ROOT

CONTENT = load(ROOT / "content")
LANG = CONTENT.language("en")
MSG = LANG.messages
MAIN_OPTIONS = LANG.pages[MAIN].options
# Options that show a page (the "talk" option asks for a person instead).
PAGE_OPTIONS = [n for n, p in enumerate(MAIN_OPTIONS, 1) if LANG.pages[p].action is None]
RIGHT_NOW = "now_stop"  # first step of the "right now" path (content/en/pages.toml)
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
A_MINUTE = timedelta(minutes=1)
# A texter who has had the age question and skipped it: pages follow at once
# (tests/conversations/test_age.py covers the question itself).
ASKED = Age(asked=True)
NOT_ASKED = Age()


NOT_UNDERSTOOD = MSG["not_understood"]


def offer(country: str | None = None) -> str:
    """The offer of a person and a number that ends a "did not understand" reply."""
    return LANG.unsafe_offer(CONTENT.crisis_help("en", country, None))


def title(page_id: str) -> str:
    """The title of a shipped page."""
    return LANG.pages[page_id].title


def send(
    text: str,
    page: str | None = MAIN,
    history: tuple[str, ...] = (),
    *,
    channel: str = "sms",
    idle: timedelta = A_MINUTE,
    timeout: timedelta | None = None,
    age: Age = NOT_ASKED,
) -> Outcome:
    """Send one message from a texter on page, idle for a while since their last one."""
    state = MenuState(page, history, None if page is None else NOW - idle)
    context = Context(channel, "en", NOW, age=age)
    if timeout is not None:
        context = Context(channel, "en", NOW, menu_timeout=timeout, age=age)
    return step(state, text, CONTENT, context)


DEEP = ("main", "now_stop", "now_dont_pay")  # history of a texter on now_save
STOP_OPTIONS = LANG.pages["now_stop"].options


def case(
    page: str | None,
    history: tuple[str, ...],
    text: str,
    expected: str,
    starts: str | None = None,
    *,
    label: str,
) -> pytest.ParameterSet:
    """A step row; the reply starts with starts, or else with the expected page's title."""
    return pytest.param(page, history, text, expected, starts or title(expected), id=label)


@pytest.mark.parametrize(
    ("page", "history", "text", "expected", "starts"),
    [
        case(None, (), "hello", MAIN, MSG["welcome"], label="first-message"),
        case(None, (), "3", MAIN, MSG["welcome"], label="first-message-number"),
        case(None, (), "BACK", MAIN, MSG["welcome"], label="first-message-back"),
        case(None, (), "", MAIN, MSG["welcome"], label="first-message-empty"),
        case("retired", ("main",), "1", MAIN, MSG["welcome"], label="page-gone-from-content"),
        case(MAIN, (), "1", MAIN_OPTIONS[0], title(RIGHT_NOW), label="1-is-right-now"),
        case(MAIN, (), "3", MAIN_OPTIONS[2], label="3-from-main"),
        case(
            MAIN, (), str(PAGE_OPTIONS[-1]), MAIN_OPTIONS[PAGE_OPTIONS[-1] - 1], label="last-page"
        ),
        case("now_stop", ("main",), "2", STOP_OPTIONS[1], label="2-from-a-step"),
        case(MAIN, (), "0", MAIN, label="0-on-main"),
        case("now_save", DEEP, "BACK", "now_dont_pay", label="back"),
        case("now_save", DEEP, "back.", "now_dont_pay", label="back-with-dot"),
        case("now_stop", ("main", "retired"), "back", MAIN, label="back-skips-gone-page"),
        case(MAIN, (), "BACK", MAIN, MSG["back_at_start"], label="back-on-main"),
        case("now_stop", (), "back", "now_stop", MSG["back_at_start"], label="back-no-history"),
        case(
            MAIN,
            (),
            str(len(MAIN_OPTIONS) + 1),
            MAIN,
            MSG["out_of_range"].format(count=len(MAIN_OPTIONS)),
            label="out-of-range-main",
        ),
        case(
            "now_stop",
            ("main",),
            "7",
            "now_stop",
            MSG["out_of_range"].format(count=len(STOP_OPTIONS)),
            label="out-of-range-step",
        ),
        case("q_common", ("main",), "1", "q_common", MSG["not_understood"], label="no-options"),
        case("now_save", DEEP, "", "now_save", MSG["empty"], label="empty"),
        case("now_save", DEEP, "  \n\t ", "now_save", MSG["empty"], label="whitespace"),
        case(MAIN, (), "i'm being blackmailed", RIGHT_NOW, label="blackmailed"),
        case(MAIN, (), "blakmail", RIGHT_NOW, label="typo-blakmail"),
        case(MAIN, (), "they want money", "now_dont_pay", label="want-money"),
        case("now_stop", ("main",), "i already paid them", "paid_already", label="paid"),
        case(MAIN, (), "how do i report to police", "now_police", label="police"),
        case("now_block", DEEP, "zzzz qqq", "now_block", MSG["not_understood"], label="gibberish"),
    ],
)
def test_step(
    page: str | None, history: tuple[str, ...], text: str, expected: str, starts: str
) -> None:
    """One message moves the texter to the expected page, with the expected words first."""
    outcome = send(text, page, history)
    assert outcome.page == outcome.state.page == expected
    reply, *rest = outcome.replies
    # Only a message the bot could not place gets a second one: the offer of help.
    assert rest == ([] if not starts.startswith(NOT_UNDERSTOOD) else [offer()])
    assert reply.startswith(starts)
    assert title(expected) in reply


@pytest.mark.parametrize("word", ["0", "MENU", "menu", " Menu! ", "main menu"])
def test_menu_goes_home_and_clears_history(word: str) -> None:
    """MENU or 0 goes to the main menu from deep in, and then there is nothing to go back to."""
    outcome = send(word, "now_save", DEEP)
    assert outcome.page == MAIN
    assert outcome.replies[0].startswith(title(MAIN))
    assert outcome.state.history == ()
    back = step(outcome.state, "BACK", CONTENT, Context("sms", "en", NOW))
    assert back.replies[0].startswith(MSG["back_at_start"])


@pytest.mark.parametrize(
    "text", ["menu please", "the menu", "0 0", "go to menu", "go back", "back please", "BACK BACK"]
)
def test_keywords_are_whole_messages(text: str) -> None:
    """A keyword inside a longer message is not the keyword: the texter stays put."""
    outcome = send(text, "now_save", DEEP)
    assert outcome.page == "now_save"
    assert outcome.state.history == DEEP


@pytest.mark.parametrize(
    ("idle", "timeout", "reset"),
    [
        pytest.param(timedelta(minutes=31), None, True, id="31-min"),
        pytest.param(timedelta(hours=5), None, True, id="5-hours"),
        pytest.param(timedelta(minutes=29), None, False, id="29-min"),
        pytest.param(timedelta(minutes=6), timedelta(minutes=5), True, id="custom-5-after-6"),
        pytest.param(timedelta(minutes=4), timedelta(minutes=5), False, id="custom-5-after-4"),
        pytest.param(timedelta(minutes=31), timedelta(hours=2), False, id="custom-2h-after-31"),
    ],
)
def test_idle_texter_starts_again(idle: timedelta, timeout: timedelta | None, reset: bool) -> None:
    """After the menu timeout any message brings welcome_back and the main menu."""
    outcome = send("2", "now_stop", ("main",), idle=idle, timeout=timeout)
    if reset:
        assert outcome.page == MAIN
        assert outcome.state.history == ()
        assert outcome.replies[0].startswith(MSG["welcome_back"])
    else:
        assert outcome.page == LANG.pages["now_stop"].options[1]
        assert MSG["welcome_back"] not in outcome.replies[0]


@pytest.mark.parametrize("number", [0, *PAGE_OPTIONS])
def test_whatsapp_bolds_titles_and_sms_does_not(number: int) -> None:
    """WhatsApp shows the title in *bold*; SMS shows it plain, with no stray stars."""
    whatsapp = send(str(number), channel="whatsapp", age=ASKED)
    sms = send(str(number), age=ASKED)
    page_title = title(sms.page)
    assert whatsapp.replies[0].splitlines()[0] == f"*{page_title}*"
    assert sms.replies[0].splitlines()[0] == page_title
    assert "*" not in sms.replies[0]


def test_every_page_is_reachable_by_numbers_and_fits_three_sms() -> None:
    """Choosing every option on every page reaches all pages, each within 3 GSM-7 segments."""
    first = send("hi", None).replies[0]
    replies = {MAIN: first}
    queue = deque([MAIN])
    while queue:
        page = queue.popleft()
        for number, target in enumerate(LANG.pages[page].options, 1):
            outcome = send(str(number), page, age=ASKED)
            action = LANG.pages[target].action
            if action == "talk":
                assert (outcome.action, outcome.replies) == ("talk", ())
                continue
            if action is not None:
                assert outcome.language == action.removeprefix("language:")
                continue
            reply = outcome.replies[0]
            assert outcome.page != page, f"{page} option {number} leads nowhere"
            assert reply.startswith(title(outcome.page)), f"{page} option {number}: {reply}"
            if outcome.page not in replies:
                replies[outcome.page] = reply
                queue.append(outcome.page)
    assert set(replies) == {p for p in LANG.pages if LANG.pages[p].action is None}
    for page, reply in replies.items():
        encoding = encode(reply)
        assert encoding.name == "GSM-7", f"{page}: {encoding.outside_gsm7}"
        assert encoding.segments <= 3, f"{page}: {encoding.units} characters"


HOSTILE = [
    pytest.param("please help me " * 106, id="1590-chars"),
    pytest.param("9" * 1600, id="1600-digits"),
    pytest.param("\x00", id="nul"),
    pytest.param("\x00BACK\x00", id="nul-back"),
    pytest.param("🙂🔥💀", id="emoji"),
    pytest.param("👨‍👩‍👧 1", id="zwj-emoji-and-number"),
    pytest.param("ساعدني من فضلك", id="rtl"),
    pytest.param("\u202eUNEM", id="rtl-override"),
    pytest.param("999999999999999999999", id="huge-number"),
    pytest.param("-1", id="negative"),
    pytest.param("1.5", id="decimal"),
    pytest.param("½", id="vulgar-fraction"),
    pytest.param("²", id="superscript"),
    pytest.param("BACK BACK", id="back-back"),
    pytest.param("?!", id="punctuation"),
    pytest.param("help ПОМОГИТЕ 帮助 1", id="mixed-scripts"),
    pytest.param("1\u0301", id="combining-on-digit"),
    pytest.param("z\u0301\u0302\u0303\u0304\u0305" * 50, id="zalgo"),
    pytest.param("\r\n\r\n", id="crlf"),
    pytest.param("{count}", id="format-braces"),
]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize(
    ("page", "history"),
    [(MAIN, ()), ("now_stop", ("main",)), ("passwords", ("main", "now_stop"))],
)
def test_no_input_crashes_or_traps(text: str, page: str, history: tuple[str, ...]) -> None:
    """Whatever arrives, there is a page in reply, then at most the offer of help, and "0"
    still leads home."""
    outcome = send(text, page, history)
    assert outcome.replies[0].strip()
    assert outcome.replies[1:] in ((), (offer(),))
    assert outcome.state.page == outcome.page
    home = step(outcome.state, "0", CONTENT, Context("sms", "en", NOW))
    assert home.page == MAIN


def test_digits_python_cannot_read_do_not_crash() -> None:
    """An Ethiopic digit ("፩") passes str.isdigit() but int() rejects it: still one reply."""
    try:
        outcome = send("፩", MAIN)
    except ValueError as exc:
        pytest.fail(f"engine.step raised on the Ethiopic digit one: {exc}")
    assert outcome.replies[1:] == (offer(),)


def test_history_is_bounded_and_back_still_works() -> None:
    """After many moves the history stays bounded and BACK leads to the start in time."""
    state = MenuState(MAIN, (), NOW - A_MINUTE)
    context = Context("sms", "en", NOW)
    for text in ["i'm being blackmailed", "they want money"] * 30:
        state = step(state, text, CONTENT, context).state
    assert 0 < len(state.history) <= HISTORY_LIMIT
    back = step(state, "BACK", CONTENT, context)
    assert back.page == RIGHT_NOW
    for _ in range(HISTORY_LIMIT + 1):
        back = step(back.state, "BACK", CONTENT, context)
        if back.replies[0].startswith(MSG["back_at_start"]):
            break
    else:
        pytest.fail("BACK never reached the start of the menu")


@pytest.mark.parametrize(
    ("page", "text"),
    [
        (MAIN, str(MAIN_OPTIONS.index("talk") + 1)),
        ("now_save", "TALK"),
        ("now_save", "human"),
        ("now_save", "i want to talk to a real person"),
    ],
)
def test_asking_for_a_person_is_an_action_not_a_page(page: str, text: str) -> None:
    """Choosing "talk" or writing TALK hands over to the queue; the texter stays put."""
    outcome = send(text, page, ("main",), age=ASKED)
    assert outcome.action == "talk"
    assert outcome.replies == ()
    assert outcome.state.page == page


def test_talk_wins_over_the_idle_reset_and_first_contact() -> None:
    """TALK after a long silence queues at once; as a first message it comes with the welcome."""
    assert send("TALK", "now_save", idle=timedelta(hours=3), age=ASKED).action == "talk"
    first = send("TALK", None)
    assert first.action == "talk"
    assert first.replies == (MSG["welcome"],)
