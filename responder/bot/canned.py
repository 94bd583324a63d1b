"""Canned replies: short answers a counsellor can drop into the reply box and edit.

Kept in content/<language>/canned.toml beside the bot's words, so helpline workers
edit them without code. They are checked like the rest of the content: a language
that must stay in GSM-7 gets no reply that would push an SMS into UCS-2.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from responder.bot.problems import Problem
from responder.bot.sms import encode

FILE = "canned.toml"
FIELDS = frozenset({"title", "text"})


@dataclass(frozen=True)
class Reply:
    title: str  # the button's label in the console
    text: str  # what goes into the reply box


def read(path: Path, require_gsm7: bool, problems: list[Problem]) -> tuple[Reply, ...]:
    """Read a canned.toml, adding its problems; a language without the file has none."""
    file = str(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return ()
    except tomllib.TOMLDecodeError as exc:
        problems.append(Problem(file, "-", f"not valid TOML: {exc}"))
        return ()
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(file, "-", f"cannot be read: {exc}"))
        return ()
    tables = data.get("replies")
    if set(data) - {"replies"} or not isinstance(tables, list):
        problems.append(Problem(file, "-", "holds only [[replies]] tables"))
        return ()
    replies = []
    for number, table in enumerate(tables, 1):
        entry = f"replies #{number}"
        if not isinstance(table, dict) or set(table) != FIELDS:
            problems.append(Problem(file, entry, "needs a title and a text, and nothing else"))
            continue
        title, text = table["title"], table["text"]
        if not all(isinstance(v, str) and v.strip() for v in (title, text)):
            problems.append(Problem(file, entry, "title and text must be text"))
            continue
        outside = encode(text).outside_gsm7
        if require_gsm7 and outside:
            found = " ".join(repr(ch) for ch in outside)
            problems.append(Problem(file, entry, f"uses characters outside GSM-7: {found}"))
            continue
        replies.append(Reply(title.strip(), text.strip()))
    return tuple(replies)
