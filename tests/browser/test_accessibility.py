"""Every console page, scanned by axe-core for WCAG 2.1 A and AA failures, in Chromium.

The pages are scanned as a counsellor meets them on shift: a crisis texter waiting, a
conversation held with messages in it, a closed one, and the supervisor's and the
admin's pages. Each page is scanned in the light and in the dark theme, because a
colour that passes on white can fail on the dark background, and in each of the
console's languages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page, expect

from responder import create_app, services
from responder.store.migrate import upgrade
from tests.browser.live import LiveHelpline, log_in
from tests.browser.test_console import claim, reply
from tests.browser.test_live import log_in_with_a_new_code
from tests.console_sessions import update_account
from tests.counsellors import number

pytestmark = pytest.mark.browser

# The WCAG 2.0 and 2.1 success criteria at levels A and AA, as axe-core tags them.
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
THEMES = ("light", "dark")
# Each page in each of the console's languages: a translation changes lengths, names
# and labels, and a label left empty or a name lost would show only there.
LANGUAGES = ("en", "fr")


def violations(page: Page) -> list[str]:
    """Scan the page as it stands; name each failing rule and the elements it failed on."""
    results = Axe().run(page, options=WCAG_AA)
    return [
        f"{rule['id']} ({rule['impact']}): "
        + "; ".join(" ".join(node["target"]) for node in rule["nodes"][:5])
        for rule in results.response["violations"]
    ]


def scan(context: BrowserContext, url: str, language: str = "en") -> dict[str, list[str]]:
    """Open the url in both colour schemes and return what axe found in each."""
    found = {}
    page = context.new_page()
    for theme in THEMES:
        page.emulate_media(color_scheme=theme)
        page.goto(url)
        page.wait_for_load_state("networkidle")
        expect(page.locator("html")).to_have_attribute("lang", language)
        found[theme] = violations(page)
    page.close()
    return found


def assert_clean(found: dict[str, dict[str, list[str]]]) -> None:
    failing = {
        f"{path} [{theme}]": problems
        for path, themes in found.items()
        for theme, problems in themes.items()
        if problems
    }
    assert not failing, "\n".join(f"{where}: {problems}" for where, problems in failing.items())


def test_the_sign_in_page_has_no_wcag_violation(
    helpline: LiveHelpline, new_context: Callable[[], BrowserContext]
) -> None:
    assert_clean({"/console/login": scan(new_context(), helpline.url + "/console/login")})


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_counsellors_pages_have_no_wcag_violation(
    helpline: LiveHelpline, new_context: Callable[[], BrowserContext], language: str
) -> None:
    helpline.add_counsellor("ada")
    context = new_context()
    page = context.new_page()
    log_in(page, helpline, "ada")
    held = helpline.texter_asks_for_a_person(number(1))
    page.goto(helpline.url + "/console/queue")
    claim(page, helpline, number(1), held)
    reply(page, "Hi, I am Ada. You did the right thing by writing.")
    helpline.texter_says(number(1), "they say they will send it to everyone")
    helpline.texter_says(number(2), "i want to kill myself")
    closed = helpline.texter_asks_for_a_person(number(3))
    page.goto(helpline.url + "/console/queue")
    claim(page, helpline, number(3), closed)
    helpline.close(closed)
    expect(page.get_by_role("navigation", name="Your conversations")).to_be_visible()
    update_account(helpline.app, "ada", console_language=language)

    paths = [
        "/console/queue",
        f"/console/conversations/{held}",
        f"/console/conversations/{closed}",
        "/console/two-factor",
    ]
    assert_clean({path: scan(context, helpline.url + path, language) for path in paths})


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_supervisors_and_an_admins_pages_have_no_wcag_violation(
    helpline: LiveHelpline, new_context: Callable[[], BrowserContext], language: str
) -> None:
    helpline.add_counsellor("ada")
    helpline.add_counsellor("sam", role="admin")
    waiting = helpline.texter_asks_for_a_person(number(4))
    # Held by someone else: the page offers to step in (take over, number, transcript).
    held = helpline.texter_asks_for_a_person(number(5))
    claimed = helpline.client.post(
        f"/api/v1/conversations/{held}/claim", headers=helpline.tokens["ada"]
    )
    assert claimed.status_code == 200
    context = new_context()
    log_in_with_a_new_code(context.new_page(), helpline, "sam")
    update_account(helpline.app, "sam", console_language=language)

    # /console/queue/held and /console/board/live are fragments their pages redraw
    # themselves with, scanned there.
    paths = [
        "/console/queue",
        f"/console/conversations/{waiting}",
        f"/console/conversations/{held}",
        "/console/board",
        "/console/audit",
        "/console/stats",
        "/console/accounts",
    ]
    assert_clean({path: scan(context, helpline.url + path, language) for path in paths})


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[LiveHelpline]:
    """The helpline in development, where the phone simulator is served."""
    app = create_app({"RESPONDER_ENV": "development", "INSTANCE_PATH": str(tmp_path)})
    upgrade(services.of(app).sessions.kw["bind"])
    live = LiveHelpline(app)
    live.start()
    yield live
    live.stop()
    services.of(app).sessions.kw["bind"].dispose()


def test_the_phone_simulator_has_no_wcag_violation_with_a_conversation_in_it(
    simulator: LiveHelpline, new_context: Callable[[], BrowserContext]
) -> None:
    """Its bubbles are read against their own colours: the helpline's, the texter's and
    the simulator's own notes, in the SMS skin and the WhatsApp one."""
    page = new_context().new_page()
    page.goto(simulator.url + "/simulator/")
    found = {}
    for channel in ("sms", "whatsapp"):
        page.select_option("#channel", channel)
        page.fill("#body", "hi")
        page.press("#body", "Enter")
        expect(page.locator("#thread li.in").last).to_contain_text("Main menu")
        page.fill("#body", "STOP")
        page.press("#body", "Enter")
        expect(page.locator("#thread li.system").last).to_have_text("(no reply)")
        found[channel] = violations(page)
    assert found == {"sms": [], "whatsapp": []}
