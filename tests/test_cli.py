"""The `responder` command: database upgrade and the terminal chat."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from responder.cli import cli
from tests.twilio_requests import table_names


def dev_env(tmp_path: Path) -> dict[str, str]:
    return {
        "RESPONDER_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'chat.sqlite3'}",
        "SECRET_KEY": "s",
        "RESPONDER_DATA_KEY": "k",
        "TWILIO_AUTH_TOKEN": "t",
    }


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    env = dev_env(tmp_path)
    result = CliRunner().invoke(cli, ["db", "upgrade"], env=env)
    assert result.exit_code == 0, result.output
    assert {"contacts", "conversations", "messages"} <= table_names(env["DATABASE_URL"])


def test_chat_talks_to_the_bot_through_the_webhook(tmp_path: Path) -> None:
    env = dev_env(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0
    result = runner.invoke(cli, ["chat", "--from", "+447700900456"], input="hi\n1\nSTOP\n", env=env)
    assert result.exit_code == 0, result.output
    assert "1 Right now" in result.output
    assert "Step 1 of 6" in result.output
    assert "(no reply)" in result.output


def test_chat_on_whatsapp_shows_bold_titles(tmp_path: Path) -> None:
    env = dev_env(tmp_path)
    runner = CliRunner()
    runner.invoke(cli, ["db", "upgrade"], env=env)
    result = runner.invoke(cli, ["chat", "--whatsapp"], input="hello\n", env=env)
    assert "*Main menu*" in result.output


def test_chat_refuses_a_bad_number(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["chat", "--from", "12345"], env=dev_env(tmp_path))
    assert result.exit_code == 2
    assert "--from" in result.output
