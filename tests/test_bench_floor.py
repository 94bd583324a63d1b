"""The floor bench: the app's CPU per message beside its web part and its SQL sent bare.

Speed is only printed, never held to a figure here; what must hold is that every kind
of message is answered right, that the bare replay of its SQL runs, and that the SQL
recorded is what the app sends when it commits.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bench import floor
from tests.store.test_statement_budget import MENU_PAGE, sql_of
from tests.twilio_requests import post_signed, sms


def test_every_kind_of_message_gets_its_figures(database_url: str, tmp_path: Path) -> None:
    rows = floor.measure(database_url, messages=2, folder=tmp_path, warm_up=0)

    assert [row.kind for row in rows] == [kind.name for kind in floor.KINDS]
    assert len(rows) == 4
    for row in rows:
        assert row.failures == []
        assert row.app > 0 and row.web > 0 and row.sql > 0, row
        assert row.ratio > 0
    assert rows[0].statements == MENU_PAGE
    lines = floor.table("test", rows).splitlines()
    assert [line.split("  ")[0] for line in lines[3:]] == [kind.name for kind in floor.KINDS]


def test_the_menu_pages_verdict_holds_its_ratio_to_two_decimals() -> None:
    def menu(app: float, failures: list[str] | None = None) -> list[floor.Row]:
        row = floor.Row("menu page", 1, app=app, web=0.5, sql=0.5, failures=failures or [])
        return [row, floor.Row("crisis", 1, app=9.0, web=0.5, sql=0.5)]

    assert floor.menu_verdict(menu(2.0)) == "met     menu page at 2.00 times its floor (<= 2)"
    # The table's one decimal shows 2.04 as 2.0; the verdict does not round it under.
    assert floor.menu_verdict(menu(2.04)).startswith("MISSED  menu page at 2.04 times")
    assert floor.menu_verdict(menu(0.0, ["a wrong answer"])).startswith("MISSED  menu page: not")


def test_the_recorded_sql_is_what_a_committed_message_sends(
    database_url: str, app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    """Recording rolls the message back; it must still see every statement a commit sends."""
    recorded = {
        row.kind: row.statements for row in floor.measure(database_url, 1, tmp_path, warm_up=0)
    }
    for index, kind in enumerate(floor.KINDS):
        texter = f"+1415666{index:04d}"
        for text in kind.before:
            post_signed(client, sms(text, sender=texter))
        assert len(sql_of(app, client, sms(kind.text, sender=texter))) == recorded[kind.name]


def test_a_wrong_answer_is_reported(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expecting_the_menu = floor.Kind("menu page", ("hi",), "1", lambda reply: "Hi," in reply)
    monkeypatch.setattr(floor, "KINDS", (expecting_the_menu,))

    (row,) = floor.measure(database_url, messages=1, folder=tmp_path, warm_up=0)

    assert row.failures
