"""`responder counsellor ...`: accounts and their API tokens, from the server's terminal."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from responder.staff.auth import (
    AccountError,
    add_counsellor,
    counsellor_named,
    issue_token,
    revoke_token,
    token_named,
    tokens,
)
from responder.store.db import get_session


@click.group()
def counsellor() -> None:
    """Manage counsellor accounts and their API tokens."""


@counsellor.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(("counsellor", "supervisor", "admin")),
    default="counsellor",
    show_default=True,
    help="Supervisors and admins may reassign, release and close any conversation.",
)
@with_appcontext
def counsellor_add(name: str, role: str) -> None:
    """Create the account NAME; the password is read from stdin when it is not a terminal."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    limit = current_app.config["RESPONDER_MAX_OPEN_CONVERSATIONS"]
    session = get_session()
    try:
        add_counsellor(session, name, role, password, limit, datetime.now(UTC))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"added {role} {name} (at most {limit} open conversations)")


@counsellor.command("token")
@click.argument("name")
@click.option(
    "--name", "token_name", default=None, help="What the token is for; token-N if not given."
)
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=None,
    help="How long it works [default: RESPONDER_TOKEN_DAYS, 90].",
)
@with_appcontext
def counsellor_token(name: str, token_name: str | None, days: int | None) -> None:
    """Print a new API token for NAME. It is shown only this once."""
    lifetime = timedelta(days=days or current_app.config["RESPONDER_TOKEN_DAYS"])
    session = get_session()
    try:
        token = issue_token(session, name, datetime.now(UTC), token_name, lifetime)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(token)
    click.echo("Keep it now: only its hash is stored, so it cannot be shown again.", err=True)


@counsellor.command("tokens")
@click.argument("name")
@with_appcontext
def counsellor_tokens(name: str) -> None:
    """List NAME's API tokens: when each was made, last used and ends, and whether it works."""
    session, now = get_session(), datetime.now(UTC)
    try:
        found = tokens(session, counsellor_named(session, name).id)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    if not found:
        click.echo(f"{name} has no API token")
        return
    click.echo(f"{'name':<20}  {'made':<16}  {'last used':<16}  {'ends':<16}  state")
    for token in found:
        state = "revoked" if token.revoked_at else "works" if token.working(now) else "expired"
        used = _minute(token.last_used_at) if token.last_used_at else "never"
        click.echo(
            f"{token.name:<20}  {_minute(token.created_at)}  {used:<16}  "
            f"{_minute(token.expires_at)}  {state}"
        )


@counsellor.command("revoke")
@click.argument("name")
@click.argument("token_name")
@with_appcontext
def counsellor_revoke(name: str, token_name: str) -> None:
    """Stop NAME's API token TOKEN_NAME at once."""
    session, now = get_session(), datetime.now(UTC)
    try:
        token = token_named(session, name, token_name)
        revoke_token(session, token.counsellor_id, token.id, now)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"revoked {name}'s token {token_name}: it no longer works")


def _minute(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
