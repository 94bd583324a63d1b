"""The console's colours: both palettes keep WCAG AA contrast, and Dark is the system's dark."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).parents[2] / "responder" / "web" / "static" / "console.css").read_text()
# Text on its backgrounds: 4.5:1 (WCAG AA for normal text). Field borders: 3:1 (non-text).
TEXT = [
    ("ink", "paper"), ("ink", "card"), ("ink", "note-paper"), ("ink", "private-paper"),
    ("ink", "error-paper"), ("muted", "card"), ("muted", "paper"), ("muted", "note-paper"),
    ("accent", "card"), ("accent", "paper"), ("accent", "note-paper"), ("accent-ink", "accent"),
    ("header-ink", "header-paper"), ("error", "error-paper"), ("error", "card"),
]  # fmt: skip
BORDERS = [
    ("field-line", "card"), ("private-line", "private-paper"), ("focus", "paper"),
    ("focus", "card"), ("focus", "note-paper"), ("header-focus", "header-paper"),
]  # fmt: skip


def palette(selector: str) -> dict[str, str]:
    block = CSS[CSS.index(selector + " {") :]
    block = block[: block.index("}")]
    return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6});", block))


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


LIGHT = palette(":root")
DARK = palette(':root[data-theme="dark"]')


@pytest.mark.parametrize("colours", [LIGHT, DARK], ids=["light", "dark"])
def test_every_text_colour_keeps_aa_contrast_on_its_backgrounds(colours: dict[str, str]) -> None:
    for ink, paper in TEXT:
        assert contrast(colours[ink], colours[paper]) >= 4.5, (ink, paper)
    for line, paper in BORDERS:
        assert contrast(colours[line], colours[paper]) >= 3, (line, paper)


def test_choosing_dark_gives_the_same_palette_as_a_dark_system_setting() -> None:
    assert palette(':root:not([data-theme="light"])') == DARK
    assert set(DARK) == set(LIGHT)
