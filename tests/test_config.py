"""Settings: production refuses to start without its secrets; development makes its own."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from responder import create_app, services
from responder.config import (
    CHECKOUT_SETTINGS,
    PRODUCTION_REQUIRED,
    ConfigError,
    checkout_environment,
    instance_secret,
)
from responder.privacy.addresses import Keys
from tests.twilio_requests import settings


def test_production_is_the_default_and_needs_every_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as error:
        create_app({"INSTANCE_PATH": str(tmp_path)})
    for name in PRODUCTION_REQUIRED:
        assert name in str(error.value)
    assert not list(tmp_path.iterdir())  # production never invents secrets


@pytest.mark.parametrize("missing", PRODUCTION_REQUIRED)
def test_production_names_the_missing_secret(tmp_path: Path, missing: str) -> None:
    config = settings(f"sqlite:///{tmp_path}/db.sqlite3", **{missing: ""})
    with pytest.raises(ConfigError) as error:
        create_app(config)
    assert str(error.value) == (
        f"{missing} is not set (production needs it; see docs/operating.md)"
    )


def test_several_missing_settings_are_named_in_one_sentence(tmp_path: Path) -> None:
    config = settings(f"sqlite:///{tmp_path}/db.sqlite3", SECRET_KEY="", PUBLIC_URL="")
    with pytest.raises(ConfigError) as error:
        create_app(config)
    assert str(error.value) == (
        "SECRET_KEY and PUBLIC_URL are not set (production needs them; see docs/operating.md)"
    )


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    environment = {
        "RESPONDER_ENV": "production",
        "DATABASE_URL": "postgres://user@db.example.org/helpline",
        "SECRET_KEY": "s",
        "RESPONDER_DATA_KEY": "k",
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TWILIO_AUTH_TOKEN": "t",
        "PUBLIC_URL": "https://helpline.example.org/",
        "RESPONDER_MENU_TIMEOUT_MINUTES": "45",
        "LOG_LEVEL": "warning",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = create_app()
    assert app.config["DATABASE_URL"] == "postgresql+psycopg://user@db.example.org/helpline"
    assert app.config["PUBLIC_URL"] == "https://helpline.example.org"
    assert app.config["RESPONDER_MENU_TIMEOUT_MINUTES"] == 45
    services.of(app).sessions.kw["bind"].dispose()


def test_fallback_keys_come_from_the_environment_separated_by_commas_or_spaces(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", "first, second third")
    monkeypatch.setenv("RESPONDER_DATA_KEY_FALLBACKS", " old-data-key ")
    app = create_app(settings(f"sqlite:///{tmp_path}/db.sqlite3"))
    assert app.config["SECRET_KEY_FALLBACKS"] == ("first", "second", "third")
    keys = services.of(app).keys
    assert [old.hash("+14155550123") for old in keys.earlier] == [
        Keys.from_secret("old-data-key").hash("+14155550123")
    ]
    services.of(app).sessions.kw["bind"].dispose()


def test_without_fallbacks_only_the_current_keys_are_read(tmp_path: Path) -> None:
    app = create_app(settings(f"sqlite:///{tmp_path}/db.sqlite3"))
    assert app.config["SECRET_KEY_FALLBACKS"] == ()
    assert services.of(app).keys.earlier == ()
    services.of(app).sessions.kw["bind"].dispose()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RESPONDER_ENV", "staging", "RESPONDER_ENV"),
        ("RESPONDER_MENU_TIMEOUT_MINUTES", "half an hour", "whole number"),
        ("RESPONDER_TRUSTED_PROXIES", "-1", "negative"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
    ],
)
def test_bad_settings_are_explained(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    config = settings(f"sqlite:///{tmp_path}/db.sqlite3")
    if name in config:
        del config[name]
    with pytest.raises(ConfigError, match=message):
        create_app(config)


def test_development_generates_secrets_once(tmp_path: Path) -> None:
    config = {"RESPONDER_ENV": "development", "INSTANCE_PATH": str(tmp_path)}
    first = create_app(config)
    second = create_app(config)
    for name in ("SECRET_KEY", "RESPONDER_DATA_KEY", "TWILIO_AUTH_TOKEN"):
        assert first.config[name]
        assert first.config[name] == second.config[name]
        assert (tmp_path / name.lower()).stat().st_mode & 0o077 == 0
    assert first.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'responder.sqlite3'}"


def test_workers_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    barrier = threading.Barrier(8)
    seen: list[str] = []

    def start() -> None:
        barrier.wait()
        seen.append(instance_secret(tmp_path, "secret_key"))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8
    assert len(set(seen)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def write_checkout_settings(instance: Path, text: str) -> None:
    instance.mkdir(exist_ok=True)
    (instance / CHECKOUT_SETTINGS).write_text(text)


def test_the_checkout_file_records_the_environment(tmp_path: Path) -> None:
    assert checkout_environment(tmp_path, {}) is None
    write_checkout_settings(tmp_path, "# written by make run\n\nRESPONDER_ENV = development\n")
    assert checkout_environment(tmp_path, {}) == "development"
    write_checkout_settings(tmp_path, "RESPONDER_ENV=production\n")
    assert checkout_environment(tmp_path, {}) == "production"


@pytest.mark.parametrize("explicit", ["production", "development", ""])
def test_an_explicit_environment_wins_over_the_file(tmp_path: Path, explicit: str) -> None:
    write_checkout_settings(tmp_path, "RESPONDER_ENV=development\n")
    assert checkout_environment(tmp_path, {"RESPONDER_ENV": explicit}) is None


@pytest.mark.parametrize(
    "line", ["SECRET_KEY=abc", "RESPONDER_ENV=staging", "RESPONDER_ENV", "development"]
)
def test_the_checkout_file_holds_only_the_environment(tmp_path: Path, line: str) -> None:
    write_checkout_settings(tmp_path, f"RESPONDER_ENV=development\n{line}\n")
    with pytest.raises(ConfigError) as error:
        checkout_environment(tmp_path, {})
    assert f"{tmp_path / CHECKOUT_SETTINGS}, line 2: only RESPONDER_ENV" in str(error.value)


def test_the_app_itself_never_reads_the_checkout_file(tmp_path: Path) -> None:
    # gunicorn builds the app with create_app: a file left by `make run` changes nothing.
    write_checkout_settings(tmp_path, "RESPONDER_ENV=development\n")
    with pytest.raises(ConfigError, match="production needs them"):
        create_app({"INSTANCE_PATH": str(tmp_path)})
    assert sorted(p.name for p in tmp_path.iterdir()) == [CHECKOUT_SETTINGS]
