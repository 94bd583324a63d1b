"""Fixtures for the browser tests: Debian's Chromium through Playwright, and a live helpline.

Without a Chromium the tests are skipped with the reason shown, so a checkout
without one still runs the rest of the suite; under CI=true they fail instead,
because there a missing browser means the console went untested.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from responder import create_app, services
from responder.store.db import make_engine
from responder.store.migrate import upgrade
from tests.browser.live import NAVIGATION_TIMEOUT_MS, WAIT_MS, LiveHelpline
from tests.twilio_requests import settings

MISSING = "Chromium not found: apt-get install chromium (or set RESPONDER_CHROMIUM to its path)"

# Playwright's own browser download cannot work on a closed network, so it drives
# the system's Chromium. Without the background-networking flags Chromium keeps
# trying to reach Google's hosts, and a closed network refuses every attempt.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Assertions on what a page shows wait as long as actions do.
expect.set_options(timeout=WAIT_MS)


def chromium_path() -> str | None:
    """RESPONDER_CHROMIUM when set, else the chromium on PATH; None when there is none."""
    configured = os.environ.get("RESPONDER_CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{MISSING}; CI=true needs the browser tests to run", pytrace=False)
        pytest.skip(MISSING)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


@pytest.fixture
def helpline(tmp_path: Path) -> Iterator[LiveHelpline]:
    """The app on a free port, on a fresh SQLite database, with production settings."""
    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    app = create_app(settings(url, INSTANCE_PATH=str(tmp_path / "instance")))
    live = LiveHelpline(app)
    live.start()
    yield live
    live.stop()
    services.of(app).sessions.kw["bind"].dispose()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    """Open browser contexts (one per counsellor, each with its own cookies); close them after."""
    contexts: list[BrowserContext] = []

    def open_context() -> BrowserContext:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        # The suite runs the browser beside other tests on two cores, where a page load or
        # a live update can pass 5 s; waiting longer only slows a test that would fail.
        context.set_default_timeout(WAIT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[[], BrowserContext]) -> Page:
    return new_context().new_page()
