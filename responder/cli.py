"""The `responder` command: Flask's own commands plus the helpline's."""

from __future__ import annotations

import logging
import os
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from responder import create_app, paths
from responder.channels.transport import normalise
from responder.errors import AddressError


@click.group(cls=FlaskGroup, create_app=create_app)
def cli() -> None:
    """Helpline Responder: an SMS and WhatsApp helpline for people targeted by sextortion."""


@cli.group()
def db() -> None:
    """Manage the database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from responder.store import db as database
    from responder.store.migrate import upgrade

    upgrade(database.engine(), revision)
    click.echo(f"database upgraded to {revision}")


@cli.group()
def content() -> None:
    """Check the helpline's content."""


@content.command("check", with_appcontext=False)
def content_check() -> None:
    """Check every page and message in every language, and print SMS segments per page."""
    from responder.bot.check import errors, report, table

    folder = paths.content_dir({"RESPONDER_CONTENT_DIR": os.environ.get("RESPONDER_CONTENT_DIR")})
    result = report(folder)
    if result.segments:
        click.echo("SMS segments per page (the most any country needs):")
        click.echo(table(result.segments))
    for problem in result.problems:
        click.echo(str(problem), err=True)
    failures = errors(result.problems)
    if failures:
        click.echo(f"{len(failures)} error(s) in {folder}", err=True)
        sys.exit(1)
    warnings = len(result.problems) - len(failures)
    click.echo(f"content in {folder} is fine" + (f" ({warnings} warning(s))" if warnings else ""))


@cli.group()
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
    from datetime import UTC, datetime

    from responder.staff.auth import AccountError, add_counsellor
    from responder.store.db import get_session

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
@with_appcontext
def counsellor_token(name: str) -> None:
    """Print a new API token for NAME. It is shown only this once."""
    from datetime import UTC, datetime

    from responder.staff.auth import AccountError, issue_token
    from responder.store.db import get_session

    session = get_session()
    try:
        token = issue_token(session, name, datetime.now(UTC))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(token)
    click.echo("Keep it now: only its hash is stored, so it cannot be shown again.", err=True)


@cli.command("chat")
@click.option("--from", "number", default=None, help="The texter's number, in E.164.")
@click.option("--whatsapp", is_flag=True, help="Write as a WhatsApp user instead of by SMS.")
@with_appcontext
def chat(number: str | None, whatsapp: bool) -> None:
    """Talk to the bot in the terminal, through the same path as the webhook."""
    from responder.channels.phone import DEFAULT_NUMBER, Phone, PhoneError

    try:
        address = normalise(number or DEFAULT_NUMBER)
    except AddressError as exc:
        raise click.BadParameter(str(exc), param_hint="--from") from None
    app = current_app._get_current_object()
    if "LOG_LEVEL" not in os.environ:
        # Request logs would interleave with the conversation on the same terminal.
        logging.getLogger("responder").setLevel(logging.WARNING)
    phone = Phone(app, address, "whatsapp" if whatsapp else "sms")
    click.echo(f"Texting the helpline as {address} by {phone.channel}. Ctrl-D to leave.")
    while True:
        try:
            text = input("> ")
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        try:
            replies = phone.send(text)
        except PhoneError as exc:
            click.echo(f"! {exc}", err=True)
            continue
        if not replies:
            click.echo("(no reply)")
        for reply in replies:
            click.echo(reply)
            click.echo()


@cli.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due, run the timed jobs once, exit.")
@with_appcontext
def worker(once: bool) -> None:
    """Deliver the outbox through Twilio and run the timed jobs, until SIGTERM or Ctrl-C."""
    from responder import worker as outbox_worker

    outbox_worker.run(current_app._get_current_object(), once=once)


@cli.command("purge")
@with_appcontext
def purge() -> None:
    """Apply the retention periods now, as the worker does every hour, and print the figures."""
    from datetime import UTC, datetime

    from responder.privacy import retention
    from responder.store.db import get_session

    session = get_session()
    done = retention.run(session, datetime.now(UTC), current_app.config)
    session.commit()
    for line in done.lines():
        click.echo(line)


@cli.command("stats")
@click.option(
    "--days", type=click.IntRange(min=1), default=30, show_default=True, help="How many days back."
)
@with_appcontext
def stats(days: int) -> None:
    """Print the anonymous daily counts of the last DAYS days (today included)."""
    from datetime import UTC, datetime

    from responder.store import counts
    from responder.store.db import get_session

    rows = counts.recent(get_session(), datetime.now(UTC).date(), days)
    click.echo(counts.table(rows) if rows else f"no counts in the last {days} days")
