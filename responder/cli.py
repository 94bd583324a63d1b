"""The `responder` command: Flask's own commands plus the helpline's."""

from __future__ import annotations

import logging
import os
import sys
import threading
from datetime import date
from pathlib import Path
from typing import IO, Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, NoAppException, with_appcontext

from responder import config, create_app, paths
from responder.account_commands import counsellor
from responder.channels.phone import DEFAULT_NUMBER, Delivered, Inbox, Phone, PhoneError
from responder.channels.transport import normalise
from responder.config import ConfigError
from responder.errors import AddressError
from responder.privacy import rotation

log = logging.getLogger(__name__)


class SettingsError(NoAppException):
    """The settings cannot run the helpline: one line on stderr, no usage, no traceback.

    A NoAppException, so that `responder --help` still lists the commands.
    """

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"responder: {self.format_message()}", file=file, err=True)


class Responder(FlaskGroup):
    """Flask's command group, whose commands all refuse bad settings in one line."""

    def invoke(self, ctx: click.Context) -> Any:
        # A setting a command itself finds wrong (the worker's transport) reads as one
        # line too, like those create_app refuses.
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise SettingsError(str(exc)) from None


def instance_folder() -> Path:
    """The instance folder create_app uses when none is given: instance/ in a checkout."""
    return Path(Flask("responder").instance_path)


def app_for_commands() -> Flask:
    """Build the app for a command, in development when `make run` left that recorded.

    Only the `responder` command reads the instance folder's settings file: gunicorn
    calls create_app directly and never does, so a file left by `make run` cannot turn
    a server into a development one with generated secrets and the phone simulator
    open. The file lives in the instance folder, beside the development secrets and
    SQLite database that production never uses, and an installed copy's instance
    folder is not the checkout's. A RESPONDER_ENV in the environment always wins, and
    the command says on stderr when it took the file's, so nobody runs in development
    without knowing why.
    """
    instance = instance_folder()
    try:
        recorded = config.checkout_environment(instance, os.environ)
        if recorded:
            click.echo(
                f"responder: RESPONDER_ENV={recorded} from {instance / config.CHECKOUT_SETTINGS}",
                err=True,
            )
        return create_app({"RESPONDER_ENV": recorded} if recorded else None)
    except ConfigError as exc:
        raise SettingsError(str(exc)) from None


@click.group(cls=Responder, create_app=app_for_commands)
def cli() -> None:
    """Helpline Responder: an SMS and WhatsApp helpline for people targeted by sextortion."""


cli.add_command(counsellor)


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


@cli.command("chat")
@click.option("--from", "number", default=None, help="The texter's number, in E.164.")
@click.option("--whatsapp", is_flag=True, help="Write as a WhatsApp user instead of by SMS.")
@with_appcontext
def chat(number: str | None, whatsapp: bool) -> None:
    """Talk to the bot in the terminal, through the same path as the webhook.

    A counsellor's messages, and the helpline's other later ones, show as they arrive.
    """
    try:
        address = normalise(number or DEFAULT_NUMBER)
    except AddressError as exc:
        raise click.BadParameter(str(exc), param_hint="--from") from None
    app = current_app._get_current_object()
    if "LOG_LEVEL" not in os.environ:
        # Request logs would interleave with the conversation on the same terminal.
        logging.getLogger("responder").setLevel(logging.WARNING)
    phone = Phone(app, address, "whatsapp" if whatsapp else "sms")
    inbox = Inbox.of(app, address)
    screen = Screen(interactive=sys.stdin.isatty())
    click.echo(f"Texting the helpline as {address} by {phone.channel}. Ctrl-D to leave.")
    stop = threading.Event()
    if inbox and screen.interactive:
        threading.Thread(target=watch, args=(inbox, screen, stop), daemon=True).start()
    try:
        while True:
            try:
                text = screen.ask()
            except (EOFError, KeyboardInterrupt):
                click.echo()
                return
            with screen.lock:
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
                if inbox:
                    screen.show(inbox.new())
    finally:
        stop.set()


PROMPT = "> "
WATCH_SECONDS = 1.0


class Screen:
    """The chat's terminal: the line being typed, and messages arriving above it."""

    def __init__(self, interactive: bool) -> None:
        self.interactive = interactive
        # Held while a message goes out and its replies print, so that what arrives
        # meanwhile waits and shows after them, never in the middle.
        self.lock = threading.RLock()
        self.typing = False
        self.readline: Any = None
        if interactive:
            try:
                # Importing it is what lets input() edit the line and recall earlier ones
                # like a shell. History stays in memory: nothing typed is written to disk.
                import readline

                self.readline = readline
            except ImportError:
                pass

    def ask(self) -> str:
        with self.lock:
            self.typing = True
        try:
            return input(PROMPT)
        finally:
            with self.lock:
                self.typing = False

    def show(self, arrived: list[Delivered]) -> None:
        if not arrived:
            return
        lines = [arrival(message) for message in arrived]
        with self.lock:
            if not (self.interactive and self.typing):
                for line in lines:
                    click.echo(line)
                return
            # Clear the half-typed line, print above it, then put back the prompt and
            # what was typed so far (all of it with readline; the prompt alone without).
            typed = self.readline.get_line_buffer() if self.readline else ""
            sys.stdout.write("\r\x1b[K" + "".join(line + "\n" for line in lines) + PROMPT + typed)
            sys.stdout.flush()


def arrival(message: Delivered) -> str:
    """One later message as the chat prints it, saying who wrote it."""
    who = "counsellor" if message.counsellor else "helpline"
    if message.body is None:
        return f"{who}> (WhatsApp template: an invitation to write back)"
    return f"{who}> {message.body}"


def watch(inbox: Inbox, screen: Screen, stop: threading.Event) -> None:
    """Show what reaches the chat's number while the person at the terminal types."""
    while not stop.wait(WATCH_SECONDS):
        try:
            arrived = inbox.new()
        except Exception:
            # A locked database or a closing engine: the next look may well work, and
            # the chat must not end while someone is typing.
            log.debug("chat inbox read failed", exc_info=True)
            continue
        screen.show(arrived)


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


@cli.group("stats", invoke_without_command=True)
@click.option(
    "--days", type=click.IntRange(min=1), default=30, show_default=True, help="How many days back."
)
@click.pass_context
def stats(ctx: click.Context, days: int) -> None:
    """Print the anonymous daily counts of the last DAYS days (today included).

    `responder stats export` writes a period's figures out as CSV or JSON instead.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(stats_table, days=days)


@with_appcontext
def stats_table(days: int) -> None:
    from datetime import UTC, datetime

    from responder.store import counts
    from responder.store.db import get_session

    rows = counts.recent(get_session(), datetime.now(UTC).date(), days)
    click.echo(counts.table(rows) if rows else f"no counts in the last {days} days")


def _day(ctx: click.Context, param: click.Parameter, value: str) -> date:
    from responder.reports import figures

    try:
        return figures.day(value)
    except figures.PeriodError as exc:
        raise click.BadParameter(str(exc)) from None


@stats.command("export")
@click.option(
    "--from", "start", required=True, metavar="YYYY-MM-DD", callback=_day, help="First day."
)
@click.option(
    "--to", "end", required=True, metavar="YYYY-MM-DD", callback=_day, help="Last day, included."
)
@click.option(
    "--format", "form", type=click.Choice(("csv", "json")), default="csv", show_default=True
)
@click.option(
    "--shape",
    type=click.Choice(("daily", "chi")),
    default="daily",
    show_default=True,
    help="daily: each day's figures and the totals; chi: Child Helpline International's summary.",
)
@click.option(
    "--by",
    "grain",
    type=click.Choice(("day", "week", "month")),
    default="day",
    show_default=True,
    help="For --shape daily: add the figures up by day, week (from Monday) or month.",
)
def stats_export(start: date, end: date, form: str, shape: str, grain: str) -> None:
    """Write a period's anonymous figures to stdout; figures from 1 to 4 show as "<5"."""
    from responder.reports import export, figures
    from responder.store.db import get_session

    try:
        within = figures.period(start, end)
    except figures.PeriodError as exc:
        raise click.BadParameter(str(exc), param_hint="'--from'") from None
    click.echo(export.export(get_session(), within, shape, form, grain), nl=False)


@cli.group()
def keys() -> None:
    """Rotate the keys the helpline keeps its data under."""


@keys.command("rotate")
@click.option(
    "--batch",
    type=click.IntRange(1, 10_000),
    default=rotation.BATCH,
    show_default=True,
    help="Rows changed in each transaction.",
)
@with_appcontext
def keys_rotate(batch: int) -> None:
    """Re-encrypt and re-hash, under RESPONDER_DATA_KEY, what its fallbacks made.

    Run it once every process reads under RESPONDER_DATA_KEY_FALLBACKS too: each batch
    commits, so the helpline keeps serving, and a second run, or one after an
    interruption, changes only what is still to do. Prints counts, never numbers.
    """
    from responder import services
    from responder.store.db import get_session

    try:
        done = rotation.rotate(get_session(), services.of().keys, batch)
    except rotation.Refused as refused:
        raise click.ClickException(str(refused)) from None
    for line in done.lines():
        click.echo(line)
    if done.unreadable:
        raise click.ClickException(
            f"{done.unreadable} value(s) were encrypted with a key that is neither "
            "RESPONDER_DATA_KEY nor in RESPONDER_DATA_KEY_FALLBACKS: keep the fallbacks, "
            "add that key to them and run this again"
        )
