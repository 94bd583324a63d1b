"""Settings: defaults, environment variables, and development secrets in the instance folder."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from responder.channels.transport import normalise
from responder.errors import AddressError

if TYPE_CHECKING:
    from flask import Flask

ENVIRONMENTS = ("development", "production")
SESSION_LIFETIME = timedelta(hours=12)

# Secrets a production deployment must be given; development generates what it can.
PRODUCTION_REQUIRED = (
    "SECRET_KEY",
    "RESPONDER_DATA_KEY",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "PUBLIC_URL",
)

# Where a missing production setting is explained, named in the one-line refusal.
SETTINGS_DOCS = "docs/operating.md"

# `make run` and `make chat` write this file into the instance folder of a checkout, so
# that the `responder` command typed there afterwards runs in development as well.
CHECKOUT_SETTINGS = "responder.env"

# Generated once into the instance folder when development runs without them.
DEVELOPMENT_SECRETS = ("SECRET_KEY", "RESPONDER_DATA_KEY", "TWILIO_AUTH_TOKEN")

STRING_SETTINGS = (
    "SECRET_KEY",
    "RESPONDER_DATA_KEY",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_MESSAGING_SERVICE_SID",
    "TWILIO_FROM_NUMBER",
    "TWILIO_WHATSAPP_FROM",
    "TWILIO_API_BASE_URL",
    "PUBLIC_URL",
    "LOG_LEVEL",
    "RESPONDER_CONTENT_DIR",
    "RESPONDER_HOURS_FILE",
    "TWILIO_WHATSAPP_TEMPLATE_SID",
    "RESPONDER_ONCALL_NUMBER",
    "RESPONDER_METRICS_TOKEN",
    "RESPONDER_SPOOL_DIR",
)

INT_SETTINGS = (
    "RESPONDER_TRUSTED_PROXIES",
    "RESPONDER_MENU_TIMEOUT_MINUTES",
    "RESPONDER_EPISODE_HOURS",
    "RESPONDER_WAIT_NOTICE_MINUTES",
    "RESPONDER_WAITING_REPLY_MINUTES",
    "RESPONDER_CRISIS_FOLLOWUP_SECONDS",
    "RESPONDER_OVERDUE_CRISIS_MINUTES",
    "RESPONDER_OVERDUE_MINUTES",
    "RESPONDER_ALERT_EVERY_MINUTES",
    "RESPONDER_SURGE_CONVERSATIONS",
    "RESPONDER_SURGE_MINUTES",
    "RESPONDER_MAX_OPEN_CONVERSATIONS",
    "RESPONDER_PRESENCE_SECONDS",
    "RESPONDER_RATE_LIMIT_PER_MINUTE",
    "RESPONDER_RETENTION_DAYS",
    "RESPONDER_ANONYMISE_DAYS",
    "RESPONDER_TOKEN_DAYS",
    "RESPONDER_EARLY_STATUS_MINUTES",
    "RESPONDER_DB_CONNECT_TIMEOUT_SECONDS",
    "RESPONDER_DB_STATEMENT_TIMEOUT_SECONDS",
    "RESPONDER_DB_LOCK_TIMEOUT_SECONDS",
)

BOOL_SETTINGS = ("RESPONDER_QUEUE_WHEN_CLOSED", "RESPONDER_ASK_AGE")

# Earlier secrets still read while their key is rotated (docs/operating.md), given in
# the environment separated by commas or spaces. Flask reads SECRET_KEY_FALLBACKS
# itself: a session cookie signed with one of them still opens until it expires.
LIST_SETTINGS = ("SECRET_KEY_FALLBACKS", "RESPONDER_DATA_KEY_FALLBACKS")

DEFAULTS: dict[str, Any] = {
    "RESPONDER_ENV": "production",
    "TWILIO_API_BASE_URL": "https://api.twilio.com",
    "RESPONDER_TRUSTED_PROXIES": 0,
    "LOG_LEVEL": "INFO",
    "RESPONDER_MENU_TIMEOUT_MINUTES": 30,
    "RESPONDER_EPISODE_HOURS": 24,
    "RESPONDER_WAIT_NOTICE_MINUTES": 10,
    # A texter writing while they wait is answered at most this often.
    "RESPONDER_WAITING_REPLY_MINUTES": 10,
    # A crisis nobody has claimed after this long gets a follow-up and a second alert.
    "RESPONDER_CRISIS_FOLLOWUP_SECONDS": 300,
    # A texter waiting this long for an answer stands out on the supervisors' board.
    "RESPONDER_OVERDUE_CRISIS_MINUTES": 5,
    "RESPONDER_OVERDUE_MINUTES": 10,
    # At most one text to the on-call number in this time; alerts meanwhile go together.
    "RESPONDER_ALERT_EVERY_MINUTES": 5,
    # This many texters joining the queue within so many minutes is a surge: supervisors
    # hear of it once (the board, the feed, the on-call number).
    "RESPONDER_SURGE_CONVERSATIONS": 20,
    "RESPONDER_SURGE_MINUTES": 5,
    "RESPONDER_MAX_OPEN_CONVERSATIONS": 3,
    # An available counsellor counts as there while a console page of theirs was seen
    # this recently; after that texters are told nobody is free.
    "RESPONDER_PRESENCE_SECONDS": 120,
    "RESPONDER_RATE_LIMIT_PER_MINUTE": 20,
    "RESPONDER_QUEUE_WHEN_CLOSED": True,
    # Message text and notes go this many days after their conversation ended;
    # whole conversations lose every link to the texter after the second figure.
    "RESPONDER_RETENTION_DAYS": 30,
    "RESPONDER_ANONYMISE_DAYS": 365,
    "RESPONDER_ASK_AGE": True,
    # A new API token works this many days unless its maker says otherwise.
    "RESPONDER_TOKEN_DAYS": 90,
    # A status callback for a sid the worker has not stored yet waits this long for it.
    "RESPONDER_EARLY_STATUS_MINUTES": 10,
    # Limits on waiting for the database, so a webhook answers well inside Twilio's
    # 15 seconds even when the database is stalled (store/timeouts.py).
    "RESPONDER_DB_CONNECT_TIMEOUT_SECONDS": 2,
    "RESPONDER_DB_STATEMENT_TIMEOUT_SECONDS": 5,
    "RESPONDER_DB_LOCK_TIMEOUT_SECONDS": 2,
    "SECRET_KEY_FALLBACKS": (),
    "RESPONDER_DATA_KEY_FALLBACKS": (),
}


class ConfigError(RuntimeError):
    """The settings cannot run the helpline; the message says which and why."""


def load(app: Flask, overrides: Mapping[str, Any] | None, environ: Mapping[str, str]) -> None:
    """Fill app.config from defaults, the environment and explicit overrides, then check it."""
    app.config.update(DEFAULTS)
    app.config["RESPONDER_ENV"] = environ.get("RESPONDER_ENV", DEFAULTS["RESPONDER_ENV"]).strip()
    for name in STRING_SETTINGS:
        if environ.get(name, "").strip():
            app.config[name] = environ[name].strip()
    for name in INT_SETTINGS:
        if name in environ:
            app.config[name] = _integer(name, environ[name])
    for name in BOOL_SETTINGS:
        if name in environ:
            app.config[name] = _boolean(name, environ[name])
    for name in LIST_SETTINGS:
        if name in environ:
            app.config[name] = tuple(environ[name].replace(",", " ").split())
    if environ.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = environ["DATABASE_URL"]
    if overrides:
        app.config.update(overrides)

    env = app.config["RESPONDER_ENV"]
    if env not in ENVIRONMENTS:
        raise ConfigError(f"RESPONDER_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    if env == "production":
        missing = [name for name in PRODUCTION_REQUIRED if not app.config.get(name)]
        if missing:
            raise ConfigError(_not_set(missing))
    else:
        instance = Path(app.instance_path)
        for name in DEVELOPMENT_SECRETS:
            if not app.config.get(name):
                app.config[name] = instance_secret(instance, name.lower())

    app.config.setdefault(
        "DATABASE_URL", "sqlite:///" + str(Path(app.instance_path) / "responder.sqlite3")
    )
    app.config["DATABASE_URL"] = normalise_database_url(app.config["DATABASE_URL"])
    # Messages that came while the database was away wait here, encrypted.
    app.config.setdefault("RESPONDER_SPOOL_DIR", str(Path(app.instance_path) / "spool"))
    if app.config.get("PUBLIC_URL"):
        app.config["PUBLIC_URL"] = app.config["PUBLIC_URL"].rstrip("/")
    # The console's session cookie: script cannot read it, other sites' requests do not
    # carry it, it travels only over HTTPS when the helpline is served so, and it
    # lasts one shift.
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = app.config.get("PUBLIC_URL", "").startswith("https://")
    app.config["PERMANENT_SESSION_LIFETIME"] = SESSION_LIFETIME
    oncall = app.config.get("RESPONDER_ONCALL_NUMBER")
    if oncall and not _is_e164(oncall):
        # A typo here would only show when the first crisis alert fails to go.
        raise ConfigError(
            "RESPONDER_ONCALL_NUMBER must be a phone number in E.164 form, like +447700900123"
        )


def checkout_environment(instance: Path, environ: Mapping[str, str]) -> str | None:
    """Return RESPONDER_ENV as the instance folder's settings file records it.

    None when the environment sets RESPONDER_ENV itself (an explicit value always
    wins) or when there is no such file. Only the `responder` command calls this; see
    cli.py for why the web server never does.
    """
    if "RESPONDER_ENV" in environ:
        return None
    path = instance / CHECKOUT_SETTINGS
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    found = None
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = (part.strip() for part in line.partition("="))
        if name != "RESPONDER_ENV" or not equals or value not in ENVIRONMENTS:
            # Only the environment is read here; a secret or a database URL written
            # in this file would be silently ignored, so say so instead.
            raise ConfigError(
                f"{path}, line {number}: only RESPONDER_ENV=development "
                "(or production) belongs in this file"
            )
        found = value
    return found


def normalise_database_url(url: str) -> str:
    """Accept Heroku-style postgres:// URLs and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def instance_secret(instance: Path, name: str) -> str:
    """Return the secret stored in the instance folder, creating it once.

    Several workers may start together. Each writes a candidate to a temporary file
    and links it into place; os.link fails when the name exists, so exactly one
    candidate wins and every worker reads that one.
    """
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / name
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=instance, prefix=f".{name}.")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32))
            os.chmod(tmp, 0o600)
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


def _not_set(names: list[str]) -> str:
    if len(names) == 1:
        return f"{names[0]} is not set (production needs it; see {SETTINGS_DOCS})"
    listed = ", ".join(names[:-1]) + " and " + names[-1]
    return f"{listed} are not set (production needs them; see {SETTINGS_DOCS})"


def _is_e164(number: str) -> bool:
    try:
        return normalise(number) == number
    except AddressError:
        return False


def _boolean(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def _integer(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value
