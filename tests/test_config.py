"""Settings: production refuses to start without its secrets; development makes its own."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from responder import create_app, services
from responder.config import PRODUCTION_REQUIRED, ConfigError, instance_secret
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
    with pytest.raises(ConfigError, match=missing):
        create_app(config)


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
