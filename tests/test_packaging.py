"""What an installed copy holds: the licence, the templates and static files, pages, migrations."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from responder import paths

CHECKOUT = paths.CHECKOUT
PYPROJECT = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]

# The MD5 by which packagers recognise the FSF's text of the AGPL, version 3.
AGPL_3_MD5 = "73f1eb20517c55bf9493b7dd6e480788"


def test_the_licence_is_the_agpl_word_for_word() -> None:
    text = (CHECKOUT / "LICENSE").read_bytes()
    assert text.startswith(b"                    GNU AFFERO GENERAL PUBLIC LICENSE\n")
    assert hashlib.md5(text, usedforsecurity=False).hexdigest() == AGPL_3_MD5
    assert PYPROJECT["project"]["license"] == "AGPL-3.0-or-later"


def shipped(base: Path, patterns: list[str]) -> set[Path]:
    return {path for pattern in patterns for path in base.glob(pattern)}


def test_every_template_and_static_file_is_package_data() -> None:
    web = CHECKOUT / "responder" / "web"
    wanted = {
        path
        for folder in ("templates", "static")
        for path in (web / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert wanted
    assert wanted <= shipped(web, SETUPTOOLS["package-data"]["responder.web"])
    # Named only there: include-package-data would warn about their folders on every build.
    assert SETUPTOOLS["include-package-data"] is False


def test_every_page_and_migration_is_installed_as_data() -> None:
    patterns = [pattern for files in SETUPTOOLS["data-files"].values() for pattern in files]
    wanted = {
        path
        for folder in ("content", "migrations")
        for path in (CHECKOUT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert wanted <= shipped(CHECKOUT, patterns)
