"""Where the content and migrations folders are, in a checkout or an installed copy."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

CHECKOUT = Path(__file__).resolve().parent.parent
INSTALLED = Path(sys.prefix) / "share" / "helpline-responder"


def content_dir(config: Mapping[str, Any]) -> Path:
    """Return RESPONDER_CONTENT_DIR if set, else the content/ shipped with the code."""
    configured = config.get("RESPONDER_CONTENT_DIR")
    return Path(configured) if configured else _shipped("content")


def migrations_dir() -> Path:
    return _shipped("migrations")


def _shipped(name: str) -> Path:
    # An editable install runs from the checkout; a regular one has the data files.
    checkout = CHECKOUT / name
    return checkout if checkout.is_dir() else INSTALLED / name
