"""`responder counsellor add` and `responder counsellor token` (tokens: test_tokens.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from types import SimpleNamespace

import click
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import select
from werkzeug.security import check_password_hash

from responder.account_commands import counsellor_add
from responder.cli import cli
from responder.store.db import get_session
from responder.store.models import ROLES, ApiToken, Counsellor


def run(app: Flask, *args: str, stdin: str | None = None):
    """Run `responder counsellor ...` on the test app, whose engine the fixture disposes."""
    script = ScriptInfo(create_app=lambda: app)
    return CliRunner().invoke(cli, ["counsellor", *args], input=stdin, obj=script)


def accounts(app: Flask) -> dict[str, Counsellor]:
    with app.app_context():
        return {c.username: c for c in get_session().scalars(select(Counsellor))}


@pytest.mark.parametrize("role", ROLES)
def test_add_reads_the_password_from_stdin(app: Flask, role: str) -> None:
    result = run(app, "add", "alex", "--role", role, stdin="correct horse battery\n")
    assert result.exit_code == 0, result.output
    assert f"added {role} alex" in result.output
    account = accounts(app)["alex"]
    assert account.role == role
    assert account.max_open == 3
    assert account.available is False
    assert check_password_hash(account.password_hash, "correct horse battery")
    assert "correct horse battery" not in account.password_hash


def test_add_prompts_twice_for_a_hidden_password_on_a_terminal(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = SimpleNamespace(stdin=SimpleNamespace(isatty=lambda: True))
    monkeypatch.setattr("responder.account_commands.sys", terminal)
    result = run(app, "add", "alex", stdin="long enough\nlong enough\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") == 1
    assert "Repeat for confirmation" in result.output
    assert "long enough" not in result.output
    assert check_password_hash(accounts(app)["alex"].password_hash, "long enough")


def test_the_default_role_is_counsellor(app: Flask) -> None:
    assert run(app, "add", "alex", stdin="long enough\n").exit_code == 0
    assert accounts(app)["alex"].role == "counsellor"


def test_the_open_limit_follows_the_setting(make_app: Callable[..., Flask]) -> None:
    app = make_app(RESPONDER_MAX_OPEN_CONVERSATIONS=5)
    assert run(app, "add", "alex", stdin="long enough\n").exit_code == 0
    assert accounts(app)["alex"].max_open == 5


def test_a_name_is_added_once(app: Flask) -> None:
    assert run(app, "add", "alex", stdin="long enough\n").exit_code == 0
    again = run(app, "add", "alex", "--role", "admin", stdin="another password\n")
    assert again.exit_code == 1
    assert "a counsellor named 'alex' already exists" in again.output
    assert accounts(app)["alex"].role == "counsellor"


@pytest.mark.parametrize(
    ("args", "stdin", "words"),
    [
        (["add", "alex"], "short\n", "at least 8 characters"),
        (["add", "alex"], "", "at least 8 characters"),
        (["add", "al ex"], "long enough\n", "letters, digits"),
        (["add", "x" * 65], "long enough\n", "letters, digits"),
    ],
)
def test_add_refuses_bad_accounts(app: Flask, args, stdin, words) -> None:
    result = run(app, *args, stdin=stdin)
    assert result.exit_code == 1
    assert words in result.output
    assert accounts(app) == {}


def test_an_unknown_role_is_refused(app: Flask) -> None:
    result = run(app, "add", "alex", "--role", "owner", stdin="long enough\n")
    assert result.exit_code == 2
    assert "--role" in result.output


def test_the_role_choices_are_the_schemas(app: Flask) -> None:
    (role,) = [p for p in counsellor_add.params if p.name == "role"]
    assert isinstance(role.type, click.Choice)
    assert tuple(role.type.choices) == ROLES


def test_token_prints_a_token_that_opens_the_api(
    app: Flask, make_app: Callable[..., Flask]
) -> None:
    run(app, "add", "alex", "--role", "supervisor", stdin="long enough\n")
    result = run(app, "token", "alex")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert len(token) >= 40
    assert "cannot be shown again" in result.stderr

    # Another process, as the web server would be, knows the token from its hash alone.
    app = make_app()
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json()["username"] == "alex"
    assert response.get_json()["role"] == "supervisor"
    with app.app_context():
        stored = get_session().scalars(select(ApiToken)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_each_token_is_new(app: Flask) -> None:
    run(app, "add", "alex", stdin="long enough\n")
    first, second = (run(app, "token", "alex").stdout.strip() for _ in range(2))
    assert first != second


def test_token_for_an_unknown_name_fails(app: Flask) -> None:
    result = run(app, "token", "nobody")
    assert result.exit_code == 1
    assert "no counsellor named 'nobody'" in result.output
