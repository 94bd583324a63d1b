"""The content check, as a content editor meets it: every mistake named by file and entry."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from responder.bot.check import check, content_of
from responder.bot.content import load
from responder.bot.language import MAIN
from responder.bot.problems import Problem
from responder.cli import cli
from tests.checkout import ROOT

SHIPPED = ROOT / "content"
APPEND = ""  # as the old text of an edit: add the new text at the end of the file
PAGES = """\
[pages.main]
title = "Main menu"
text = "Reply with a number."
options = ["stop"]

[pages.local_help]
title = "Help where you live"
text = "Help for {country}: {police}"
keywords = ["local help"]

[pages.stop]
title = "Stop replying"
text = "Do not reply to them again."
options = ["local_help"]
keywords = ["stop replying"]
"""
EM_DASH, CURLY = "\N{EM DASH}", "\N{RIGHT SINGLE QUOTATION MARK}"
MORE = [f"more_{n}" for n in range(1, 10)]


def page(page_id: str) -> str:
    """A small valid page as TOML."""
    return (
        f'\n[pages.{page_id}]\ntitle = "{page_id}"\ntext = "Some text."\nkeywords = ["{page_id}"]\n'
    )


def write_content(root: Path, edits: Sequence[tuple[str, str, str]] = ()) -> Path:
    """Write a minimal valid content folder under root, with (file, old, new) edits applied."""
    files = {
        "language.toml": (SHIPPED / "en" / "language.toml").read_text(encoding="utf-8"),
        "pages.toml": PAGES,
        "messages.toml": (SHIPPED / "en" / "messages.toml").read_text(encoding="utf-8"),
        "keywords.toml": (SHIPPED / "en" / "keywords.toml").read_text(encoding="utf-8"),
        "crisis.toml": (SHIPPED / "en" / "crisis.toml").read_text(encoding="utf-8"),
    }
    for name, old, new in edits:
        if old == APPEND:
            files[name] += new
        else:
            assert old in files[name], f"edit does not apply: {old!r} not in {name}"
            files[name] = files[name].replace(old, new)
    folder = root / "en"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    shutil.copytree(SHIPPED / "resources", root / "resources")
    return root


def errors(root: Path) -> list[Problem]:
    """Run the content check, failing the test if it crashes instead of reporting."""
    try:
        return [p for p in check(root) if not p.warning]
    except Exception as exc:
        pytest.fail(f"content check crashed instead of naming the problem: {exc!r}")


def test_shipped_content_passes() -> None:
    """The content the helpline ships has no errors."""
    assert [str(p) for p in errors(SHIPPED)] == []


def test_minimal_content_passes(tmp_path: Path) -> None:
    """The starting point of every broken case below is itself valid."""
    assert errors(write_content(tmp_path)) == []


LONG = "Do not reply to them again. " * 40  # 1,120 characters


@pytest.mark.parametrize(
    ("edits", "file", "entry", "says"),
    [
        pytest.param(
            [("pages.toml", '["stop"]', '["stop", "nowhere"]')],
            "pages.toml",
            "pages.main",
            "nowhere",
            id="option-to-missing-page",
        ),
        pytest.param(
            [("pages.toml", APPEND, page("lost"))],
            "pages.toml",
            "pages.lost",
            "reached",
            id="unreachable-page",
        ),
        pytest.param(
            [("pages.toml", "Do not reply", f"Don{CURLY}t reply")],
            "pages.toml",
            "pages.stop",
            CURLY,
            id="curly-quote-in-page",
        ),
        pytest.param(
            [("messages.toml", "This is a free, private", f"This is a free {EM_DASH} private")],
            "messages.toml",
            "messages.help",
            EM_DASH,
            id="em-dash-in-help",
        ),
        pytest.param(
            [("messages.toml", "Welcome back.", f"Welcome back {EM_DASH}")],
            "messages.toml",
            "messages.welcome_back",
            EM_DASH,
            id="em-dash-in-welcome-back",
        ),
        pytest.param(
            [("pages.toml", "Do not reply to them again.", "Do not reply to them again. " * 17)],
            "pages.toml",
            "pages.stop",
            "segments",
            id="page-over-3-sms",
        ),
        pytest.param(
            [("pages.toml", "Do not reply to them again.", LONG)],
            "pages.toml",
            "pages.stop",
            "segments",
            id="very-long-page-sms",
        ),
        pytest.param(
            [("pages.toml", "Do not reply to them again.", LONG)],
            "pages.toml",
            "pages.stop",
            "WhatsApp",
            id="very-long-page-whatsapp",
        ),
        pytest.param(
            [("pages.toml", "[pages.main]", "[pages.home]")],
            "pages.toml",
            "pages.main",
            "missing",
            id="no-main-page",
        ),
        pytest.param(
            [("messages.toml", "\nhelp = ", "\n# help = ")],
            "messages.toml",
            "messages.help",
            "missing",
            id="missing-message",
        ),
        pytest.param(
            [("messages.toml", "{count}", "9")],
            "messages.toml",
            "messages.out_of_range",
            "{count}",
            id="out-of-range-without-count",
        ),
        pytest.param(
            [("messages.toml", "{count}", "{count} or {zero}")],
            "messages.toml",
            "messages.out_of_range",
            "{zero}",
            id="out-of-range-unknown-placeholder",
        ),
        pytest.param(
            [("pages.toml", 'title = "Main menu"', 'title = "Main menu')],
            "pages.toml",
            "",  # no entry: the whole file cannot be read
            "TOML",
            id="invalid-toml",
        ),
        pytest.param(
            [
                ("pages.toml", '["stop"]', json.dumps(["stop", *MORE])),
                *(("pages.toml", APPEND, page(page_id)) for page_id in MORE),
            ],
            "pages.toml",
            "pages.main",
            "10 options",
            id="ten-options",
        ),
        pytest.param(
            [("pages.toml", 'keywords = ["stop replying"]\n', "")],
            "pages.toml",
            "pages.stop",
            "keywords",
            id="page-without-keywords",
        ),
        pytest.param(
            [("pages.toml", 'keywords = ["stop replying"]', 'keywords = ["stop"]\ncolour = "red"')],
            "pages.toml",
            "pages.stop",
            "colour",
            id="unknown-page-field",
        ),
    ],
)
def test_broken_content_is_named(
    tmp_path: Path, edits: list[tuple[str, str, str]], file: str, entry: str, says: str
) -> None:
    """Each mistake is reported as an error naming its file, its entry and what is wrong."""
    root = write_content(tmp_path, edits)
    problems = errors(root)
    path = str(root / "en" / file)
    assert any(p.file == path and entry in p.entry and says in p.message for p in problems), (
        "\n".join(str(p) for p in problems) or "no errors reported"
    )


def test_cli_names_the_file_and_entry(tmp_path: Path) -> None:
    """`responder content check` fails on broken content and says where the mistake is."""
    root = write_content(tmp_path, [("pages.toml", '["stop"]', '["stop", "nowhere"]')])
    result = CliRunner().invoke(cli, ["content", "check"], env={"RESPONDER_CONTENT_DIR": str(root)})
    assert result.exit_code == 1
    assert str(root / "en" / "pages.toml") in result.output
    assert "pages.main" in result.output
    assert "nowhere" in result.output


def test_cli_passes_shipped_content() -> None:
    """`responder content check` succeeds on the shipped content."""
    result = CliRunner().invoke(
        cli, ["content", "check"], env={"RESPONDER_CONTENT_DIR": str(SHIPPED)}
    )
    assert result.exit_code == 0, result.output


def test_every_page_but_main_can_be_found_by_free_text() -> None:
    """A texter who types words instead of numbers can reach every page but the menu itself."""
    pages = load(SHIPPED).language("en").pages
    assert [p.id for p in pages.values() if p.id != MAIN and not p.keywords] == []


def test_what_to_do_right_now_comes_first() -> None:
    """Option 1 of the main menu is step 1 of the right-now path: stop replying to them."""
    lang = load(SHIPPED).language("en")
    first = lang.pages[lang.pages[MAIN].options[0]]
    assert re.search(r"\bstep 1\b", first.text, re.IGNORECASE)
    assert re.search(r"\b(stop|do not|don't) repl", f"{first.title}\n{first.text}", re.IGNORECASE)


def test_an_app_made_after_an_edit_reads_the_edit_and_one_made_without_reuses_the_load(
    tmp_path: Path,
) -> None:
    """Apps made one after another (a restart, a test per app) share a load while the files
    are the same, and never serve an edit stale."""
    root = tmp_path / "content"
    shutil.copytree(SHIPPED, root)
    first = content_of(root)
    assert content_of(root) is first
    messages = root / "en" / "messages.toml"
    text = messages.read_text(encoding="utf-8")
    messages.write_text(text.replace("Welcome back.", "Hello again."), encoding="utf-8")
    edited = content_of(root)
    assert edited is not first
    assert edited.language("en").messages["welcome_back"].startswith("Hello again.")
    assert first.language("en").messages["welcome_back"].startswith("Welcome back.")
