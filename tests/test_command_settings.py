"""The `responder` command as a person types it: after `make run`, and in production.

Each test runs the real command in a process of its own, in a copy of a checkout: a
folder holding the package (linked) with its own instance folder beside it, so neither
the checkout's instance folder nor the test's environment is touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from responder import paths
from responder.config import CHECKOUT_SETTINGS, PRODUCTION_REQUIRED

COMMAND = Path(sys.executable).with_name("responder")
SETTINGS_FILE = f"instance/{CHECKOUT_SETTINGS}"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A folder laid out as a checkout, whose package is this one."""
    (tmp_path / "responder").symlink_to(paths.CHECKOUT / "responder", target_is_directory=True)
    return tmp_path


def responder(checkout: Path, *args: str, stdin: str = "", **settings: str):
    # conftest has already removed every setting from this process's environment.
    environment = os.environ | {"PYTHONPATH": str(checkout)} | settings
    return subprocess.run(
        [str(COMMAND), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=checkout,
        env=environment,
        timeout=120,
        check=False,
    )


def make_run_settings(checkout: Path) -> None:
    """Write the settings file with the Makefile's own recipe, as `make run` does first."""
    makefile = paths.CHECKOUT / "Makefile"
    make = shutil.which("make") or "make"
    done = subprocess.run(
        [make, "-s", "-C", str(checkout), "-f", str(makefile), SETTINGS_FILE],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_make_run_and_make_chat_write_the_settings_file_first() -> None:
    makefile = (paths.CHECKOUT / "Makefile").read_text()
    assert f"CHECKOUT_SETTINGS := {SETTINGS_FILE}\n" in makefile
    assert "\nrun: $(VENV)/.installed $(CHECKOUT_SETTINGS)\n" in makefile
    assert "\nchat: $(VENV)/.installed $(CHECKOUT_SETTINGS)\n" in makefile


def test_after_make_run_the_command_needs_no_variables(checkout: Path) -> None:
    make_run_settings(checkout)
    assert "RESPONDER_ENV=development" in (checkout / SETTINGS_FILE).read_text()

    assert responder(checkout, "db", "upgrade").returncode == 0
    added = responder(checkout, "counsellor", "add", "alex", stdin="long enough\n")
    assert added.returncode == 0, added.stderr
    assert "added counsellor alex" in added.stdout
    # The command says where development came from; it never runs so silently.
    assert added.stderr == (
        f"responder: RESPONDER_ENV=development from {checkout / SETTINGS_FILE}\n"
    )
    assert (checkout / "instance" / "responder.sqlite3").exists()


def test_an_explicit_environment_wins_over_the_file(checkout: Path) -> None:
    make_run_settings(checkout)
    refused = responder(checkout, "stats", RESPONDER_ENV="production")
    assert refused.returncode == 1
    assert refused.stderr.startswith("responder: SECRET_KEY, RESPONDER_DATA_KEY")
    assert not (checkout / "instance" / "responder.sqlite3").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["counsellor", "add", "alex"],
        ["counsellor", "token", "alex"],
        ["db", "upgrade"],
        ["worker"],
        ["worker", "--once"],
        ["chat"],
        ["purge"],
        ["keys", "rotate"],
    ],
    ids=" ".join,
)
def test_production_refuses_in_one_line(checkout: Path, args: list[str]) -> None:
    given = {name: "set" for name in PRODUCTION_REQUIRED if name != "SECRET_KEY"}
    refused = responder(checkout, *args, **given)
    assert refused.returncode == 1
    assert refused.stderr == (
        "responder: SECRET_KEY is not set (production needs it; see docs/operating.md)\n"
    )
    assert refused.stdout == ""


def test_production_without_any_setting_names_them_all(checkout: Path) -> None:
    refused = responder(checkout, "worker")
    assert refused.returncode == 1
    (line,) = refused.stderr.splitlines()
    assert line.startswith("responder: ")
    for name in PRODUCTION_REQUIRED:
        assert name in line
    assert not (checkout / "instance").exists()  # production never invents secrets


def test_a_bad_settings_file_is_one_line_too(checkout: Path) -> None:
    (checkout / "instance").mkdir()
    (checkout / SETTINGS_FILE).write_text("DATABASE_URL=sqlite:///elsewhere.sqlite3\n")
    refused = responder(checkout, "stats")
    assert refused.returncode == 1
    assert refused.stderr == (
        f"responder: {checkout / SETTINGS_FILE}, line 1: only RESPONDER_ENV=development "
        "(or production) belongs in this file\n"
    )
