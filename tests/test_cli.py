"""The `responder` command: database upgrade and the terminal chat."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from responder.channels.phone import Delivered
from responder.cli import Screen, arrival, cli, watch
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


def test_later_messages_say_who_wrote_them() -> None:
    assert arrival(Delivered("Hi, I'm Alex.", counsellor=True)) == "counsellor> Hi, I'm Alex."
    assert arrival(Delivered("Still in the queue.", counsellor=False)) == (
        "helpline> Still in the queue."
    )
    assert arrival(Delivered(None, counsellor=False)) == (
        "helpline> (WhatsApp template: an invitation to write back)"
    )


def test_a_message_arriving_while_typing_keeps_the_typed_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    screen = Screen(interactive=False)
    screen.interactive, screen.typing = True, True
    screen.readline = SimpleNamespace(get_line_buffer=lambda: "I think")
    screen.show([Delivered("Are you safe?", counsellor=True)])
    assert capsys.readouterr().out == "\r\x1b[Kcounsellor> Are you safe?\n> I think"


def test_between_lines_messages_print_plainly(capsys: pytest.CaptureFixture[str]) -> None:
    screen = Screen(interactive=False)
    screen.show([Delivered("one", counsellor=True), Delivered("two", counsellor=False)])
    screen.show([])
    assert capsys.readouterr().out == "counsellor> one\nhelpline> two\n"


def test_the_chat_watches_its_inbox_until_it_ends(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("responder.cli.WATCH_SECONDS", 0.01)
    # A failed read is tried again, not the end of the chat.
    reads: list[list[Delivered] | Exception] = [
        [],
        [Delivered("first", counsellor=True)],
        OSError("database is locked"),
        [Delivered("second", counsellor=True)],
    ]
    stop = threading.Event()

    class Feed:
        def new(self) -> list[Delivered]:
            if not reads:
                stop.set()
                return []
            read = reads.pop(0)
            if isinstance(read, Exception):
                raise read
            return read

    thread = threading.Thread(target=watch, args=(Feed(), Screen(interactive=False), stop))
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert capsys.readouterr().out == "counsellor> first\ncounsellor> second\n"
