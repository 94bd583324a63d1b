"""Operating hours from the operator's TOML file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from responder.conversations.hours import HoursError, load
from tests.checkout import ROOT

EXAMPLE = ROOT / "hours.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hours.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("moment", "open_now"),
    [
        # 2026-12-02 is a Wednesday; London is on UTC in winter.
        (datetime(2026, 12, 2, 8, 59, tzinfo=UTC), False),
        (datetime(2026, 12, 2, 9, 0, tzinfo=UTC), True),
        (datetime(2026, 12, 2, 20, 59, tzinfo=UTC), True),
        (datetime(2026, 12, 2, 21, 0, tzinfo=UTC), False),
        (datetime(2026, 12, 5, 11, 0, tzinfo=UTC), False),  # Saturday morning
        (datetime(2026, 12, 5, 12, 30, tzinfo=UTC), True),  # Saturday afternoon
        (datetime(2026, 12, 25, 12, 0, tzinfo=UTC), False),  # Christmas, a Friday
        # Summer time: 09:00 in London is 08:00 UTC.
        (datetime(2026, 7, 1, 8, 0, tzinfo=UTC), True),
    ],
)
def test_example_file_opens_and_closes(moment: datetime, open_now: bool) -> None:
    assert load(EXAMPLE).is_open(moment) is open_now


def test_next_opening_skips_holidays() -> None:
    hours = load(EXAMPLE)
    christmas_eve_night = datetime(2026, 12, 24, 22, 0, tzinfo=UTC)
    opening = hours.next_opening(christmas_eve_night)
    assert opening is not None
    assert hours.local(opening) == (5, "12:00")  # Saturday


def test_overnight_shift_runs_past_midnight(tmp_path: Path) -> None:
    hours = load(
        write(
            tmp_path,
            'timezone = "Asia/Singapore"\n[[shifts]]\ndays = ["fri"]\nopen = "20:00"\n'
            'close = "02:00"\n',
        )
    )
    # Saturday 01:00 in Singapore is Friday 17:00 UTC.
    assert hours.is_open(datetime(2026, 12, 4, 17, 0, tzinfo=UTC))
    assert not hours.is_open(datetime(2026, 12, 4, 18, 30, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "timezone = 'Mars/Olympus'\n[[shifts]]\ndays=['mon']\nopen='09:00'\nclose='10:00'\n",
            "timezone",
        ),
        ("timezone = 'UTC'\n", "shifts"),
        ("timezone = 'UTC'\n[[shifts]]\ndays=['monday']\nopen='09:00'\nclose='10:00'\n", "days"),
        ("timezone = 'UTC'\n[[shifts]]\ndays=['mon']\nopen='9am'\nclose='10:00'\n", "open"),
        ("timezone = 'UTC'\n[[shifts]]\ndays=['mon']\nopen='09:00'\nclose='09:00'\n", "same"),
        (
            "timezone = 'UTC'\n[[shifts]]\ndays=['mon']\nopen='09:00'\nclose='10:00'\n"
            "[holidays]\n'25 Dec' = 'Christmas'\n",
            "holidays",
        ),
        ("timezone = 'UTC\n", "TOML"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, says: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(HoursError) as error:
        load(path)
    assert str(path) in str(error.value)
    assert says in str(error.value)
