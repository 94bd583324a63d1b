"""Where the checkout is, for tests that read its content, docs and examples."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
