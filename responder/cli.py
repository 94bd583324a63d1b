"""The `responder` command: Flask's own commands plus the helpline's."""

from __future__ import annotations

import logging
import os
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from responder import create_app, paths
from responder.addresses import AddressError, normalise


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
    from responder import db as database
    from responder.migrate import upgrade

    upgrade(database.engine(), revision)
    click.echo(f"database upgraded to {revision}")


@cli.group()
def content() -> None:
    """Check the helpline's content."""


@content.command("check", with_appcontext=False)
def content_check() -> None:
    """Check that every page is reachable and every message fits its channel."""
    from responder.content_check import check

    folder = paths.content_dir({"RESPONDER_CONTENT_DIR": os.environ.get("RESPONDER_CONTENT_DIR")})
    problems = check(folder)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) in {folder}", err=True)
        sys.exit(1)
    click.echo(f"content in {folder} is fine")


@cli.command("chat")
@click.option("--from", "number", default=None, help="The texter's number, in E.164.")
@click.option("--whatsapp", is_flag=True, help="Write as a WhatsApp user instead of by SMS.")
@with_appcontext
def chat(number: str | None, whatsapp: bool) -> None:
    """Talk to the bot in the terminal, through the same path as the webhook."""
    from responder.phone import DEFAULT_NUMBER, Phone, PhoneError

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
