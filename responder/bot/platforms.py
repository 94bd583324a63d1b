"""The platforms a counsellor can name in a sextortion wrap-up, from content/platforms.toml.

The helpline edits the list as apps come and go. Two choices are always offered
beside it, so a counsellor is never stuck: somewhere else, and not known.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from responder.bot.problems import Problem

FILE = "platforms.toml"
# Ids are stored on wrap-ups and in the daily counts' detail, both 64 characters wide.
PLATFORM_ID = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")
OTHER, UNKNOWN = "other", "unknown"


@dataclass(frozen=True)
class Platform:
    id: str
    name: str


ALWAYS = (Platform(OTHER, "Somewhere else"), Platform(UNKNOWN, "Not known"))


def load(folder: Path, problems: list[Problem]) -> tuple[Platform, ...]:
    """Read the platform list, then the two choices always offered; report every problem.

    Without the file, only those two are offered: the bot does not need the list.
    """
    path = folder / FILE
    if not path.is_file():
        return ALWAYS
    file = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(Problem(file, "-", f"not valid TOML: {exc}"))
        return ALWAYS
    entries = data.get("platforms")
    if not isinstance(entries, list) or set(data) != {"platforms"}:
        problems.append(Problem(file, "-", "write the list as [[platforms]] entries, nothing else"))
        return ALWAYS
    found: list[Platform] = []
    seen = {platform.id for platform in ALWAYS}
    for number, entry in enumerate(entries, 1):
        platform = _platform(file, f"platforms #{number}", entry, problems)
        if platform is None:
            continue
        if platform.id in seen:
            problems.append(
                Problem(file, f"platforms #{number}", f"the id {platform.id} is used already")
            )
            continue
        seen.add(platform.id)
        found.append(platform)
    return (*found, *ALWAYS)


def _platform(file: str, entry: str, raw: object, problems: list[Problem]) -> Platform | None:
    if not isinstance(raw, dict) or set(raw) != {"id", "name"}:
        problems.append(Problem(file, entry, "an entry has an id and a name, nothing else"))
        return None
    platform_id, name = raw["id"], raw["name"]
    if not isinstance(platform_id, str) or not PLATFORM_ID.match(platform_id):
        problems.append(
            Problem(
                file,
                entry,
                "the id is lower-case letters, digits and _, at most 64, starting with a letter"
                " or digit",
            )
        )
        return None
    if not isinstance(name, str) or not name.strip() or len(name) > 80:
        problems.append(Problem(file, entry, "the name is the platform's name, 1 to 80 characters"))
        return None
    return Platform(platform_id, name.strip())
