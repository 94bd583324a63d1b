"""Operating hours: when counsellors are on shift, in a TOML file an operator edits.

The shape follows the one Aselo helplines use: a time zone, weekly shifts and
holidays. With no file the service counts as open at all times.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from responder.config import ConfigError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOOKAHEAD_DAYS = 31  # holidays can close a service for a while; look a month ahead


class HoursError(ConfigError):
    """The hours file cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Shift:
    day: int  # 0 = Monday
    opens: time
    closes: time  # earlier than opens: the shift runs past midnight


@dataclass(frozen=True)
class Hours:
    zone: ZoneInfo
    shifts: tuple[Shift, ...]
    holidays: frozenset[date]

    def is_open(self, now: datetime) -> bool:
        """Is a shift running at this moment?"""
        local = now.astimezone(self.zone)
        return any(
            start <= local < end for start, end in self._windows(local.date() - timedelta(1), 2)
        )

    def next_opening(self, now: datetime) -> datetime | None:
        """Return when the next shift starts, or None if none within a month."""
        local = now.astimezone(self.zone)
        starts = [
            start for start, _ in self._windows(local.date(), LOOKAHEAD_DAYS) if start > local
        ]
        return min(starts) if starts else None

    def local(self, moment: datetime) -> tuple[int, str]:
        """Return a moment as the helpline's weekday (0 is Monday) and "HH:MM" time."""
        local = moment.astimezone(self.zone)
        return local.weekday(), f"{local:%H:%M}"

    def _windows(self, first: date, days: int) -> list[tuple[datetime, datetime]]:
        windows = []
        for offset in range(days):
            day = first + timedelta(offset)
            if day in self.holidays:
                continue
            for shift in self.shifts:
                if shift.day != day.weekday():
                    continue
                start = datetime.combine(day, shift.opens, self.zone)
                end_day = day + timedelta(1) if shift.closes <= shift.opens else day
                windows.append((start, datetime.combine(end_day, shift.closes, self.zone)))
        return windows


def hours_of(path: str | None) -> Hours | None:
    """Load RESPONDER_HOURS_FILE, or None (always open) when it is not set."""
    return load(Path(path)) if path else None


def load(path: Path) -> Hours:
    """Read an hours file, or raise HoursError naming what is wrong."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise HoursError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise HoursError(f"{path}: not valid TOML: {exc}") from None
    try:
        zone = ZoneInfo(str(data.get("timezone", "")))
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursError(f"{path}: timezone: not a time zone name like Europe/London") from None
    shifts: list[Shift] = []
    for number, table in enumerate(data.get("shifts", []), 1):
        entry = f"{path}: shifts #{number}"
        if not isinstance(table, dict):
            raise HoursError(f"{entry}: must be a table with days, open and close")
        days = table.get("days")
        if not isinstance(days, list) or not days or any(d not in DAYS for d in days):
            raise HoursError(f"{entry}: days must be a list of {', '.join(DAYS)}")
        opens, closes = _clock(entry, table, "open"), _clock(entry, table, "close")
        if opens == closes:
            raise HoursError(f"{entry}: open and close are the same time")
        shifts.extend(Shift(DAYS.index(d), opens, closes) for d in days)
    if not shifts:
        raise HoursError(f"{path}: shifts: at least one [[shifts]] table is needed")
    holidays = data.get("holidays", {})
    if not isinstance(holidays, dict):
        raise HoursError(f'{path}: holidays: a table of "YYYY-MM-DD" = "name"')
    try:
        closed = frozenset(date.fromisoformat(day) for day in holidays)
    except ValueError as exc:
        raise HoursError(f"{path}: holidays: {exc}") from None
    return Hours(zone, tuple(shifts), closed)


def _clock(entry: str, table: dict[str, object], key: str) -> time:
    value = table.get(key)
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise HoursError(f'{entry}: {key} must be a time like "09:00", not {value!r}') from None
