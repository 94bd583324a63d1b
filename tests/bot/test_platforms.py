"""The platform list in content/platforms.toml, as a content editor meets it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from responder.bot.content import load
from responder.bot.platforms import FILE
from responder.cli import cli
from tests.bot.test_content import SHIPPED, errors, write_content

GOOD = '[[platforms]]\nid = "instagram"\nname = "Instagram"\n'


def with_platforms(root: Path, text: str | None) -> Path:
    write_content(root)
    if text is not None:
        (root / FILE).write_text(text, encoding="utf-8")
    return root


def test_the_shipped_list_ends_with_the_two_choices_always_offered() -> None:
    platforms = load(SHIPPED).platforms
    ids = [platform.id for platform in platforms]
    assert ids[-2:] == ["other", "unknown"]
    assert "instagram" in ids and "snapchat" in ids
    assert len(ids) == len(set(ids))
    assert dict((p.id, p.name) for p in platforms)["unknown"] == "Not known"


def test_without_the_file_only_somewhere_else_and_not_known_are_offered(tmp_path: Path) -> None:
    root = with_platforms(tmp_path, None)
    assert errors(root) == []
    assert [p.name for p in load(root).platforms] == ["Somewhere else", "Not known"]


def test_an_edited_list_is_offered_in_its_order(tmp_path: Path) -> None:
    text = GOOD + '[[platforms]]\nid = "kik"\nname = "Kik"\n'
    root = with_platforms(tmp_path, text)
    assert errors(root) == []
    assert [p.id for p in load(root).platforms] == ["instagram", "kik", "other", "unknown"]


@pytest.mark.parametrize(
    ("text", "entry", "says"),
    [
        pytest.param(GOOD + GOOD, "platforms #2", "used already", id="twice"),
        pytest.param(
            '[[platforms]]\nid = "other"\nname = "Other"\n', "platforms #1", "used", id="other"
        ),
        pytest.param(
            '[[platforms]]\nid = "Insta Gram"\nname = "Instagram"\n',
            "platforms #1",
            "lower-case",
            id="bad-id",
        ),
        pytest.param(
            '[[platforms]]\nid = "kik"\nname = ""\n', "platforms #1", "the name", id="no-name"
        ),
        pytest.param(
            '[[platforms]]\nid = "kik"\nname = "Kik"\nurl = "x"\n',
            "platforms #1",
            "nothing else",
            id="extra-field",
        ),
        pytest.param('[[platforms]\nid = "kik"', "-", "TOML", id="invalid-toml"),
        pytest.param('platforms = "kik"\n', "-", "[[platforms]]", id="not-a-list"),
    ],
)
def test_a_broken_list_is_named(tmp_path: Path, text: str, entry: str, says: str) -> None:
    root = with_platforms(tmp_path, text)
    problems = errors(root)
    path = str(root / FILE)
    assert any(p.file == path and p.entry == entry and says in p.message for p in problems), (
        "\n".join(str(p) for p in problems) or "no errors reported"
    )


def test_the_content_check_command_fails_on_a_broken_list(tmp_path: Path) -> None:
    root = with_platforms(tmp_path, GOOD + GOOD)
    result = CliRunner().invoke(cli, ["content", "check"], env={"RESPONDER_CONTENT_DIR": str(root)})
    assert result.exit_code == 1
    assert str(root / FILE) in result.output
    assert "used already" in result.output
