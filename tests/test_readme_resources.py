"""The README names every local-help entry still hidden, so that an operator knows what to check."""

from __future__ import annotations

from responder.bot.content import load
from tests.checkout import ROOT

CONTENT = load(ROOT / "content")


def test_every_hidden_entry_is_in_the_waiting_table() -> None:
    readme = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    table = readme.split("## Waiting for a check", 1)[1].split("\n\n")[2]
    rows = {tuple(cell.strip() for cell in row.split("|")[1:3]) for row in table.splitlines()}
    directory = CONTENT.directory
    missing = [
        (place.code, entry.name)
        for place in (*directory.places.values(), directory.international)
        for entry in place.resources
        if not entry.verified and (place.code, entry.name) not in rows
    ]
    assert not missing, f"add these to the README's waiting table: {missing}"
    shown = {(p.code, e.name) for p in directory.places.values() for e in p.resources if e.verified}
    assert not rows & shown, "an entry in the waiting table is shown: take it out of the table"
