"""`responder stats export`: the figures on stdout, and one clear error for a bad period."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from responder.cli import cli
from tests.reports.figures import DAILY, WRAPUPS, given

PERIOD = ["--from", "2026-11-01", "--to", "2026-11-04"]


def test_the_export_prints_csv_by_default(app: Flask) -> None:
    given(app, DAILY)
    result = app.test_cli_runner().invoke(cli, ["stats", "export", *PERIOD])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == ["day,metric,detail,count", "2026-11-02,contacts,,7"]
    assert result.stdout.endswith("total,pages,now_stop,<5\n")


def test_the_export_prints_json_and_the_chi_summary(app: Flask) -> None:
    given(app, WRAPUPS)
    runner = app.test_cli_runner()
    daily = runner.invoke(cli, ["stats", "export", *PERIOD, "--format", "json"])
    assert json.loads(daily.stdout)["totals"][0] == {
        "metric": "contacts",
        "detail": "",
        "count": 12,
    }
    summary = runner.invoke(cli, ["stats", "export", *PERIOD, "--format", "json", "--shape", "chi"])
    assert summary.exit_code == 0, summary.output
    assert json.loads(summary.stdout)["sections"][1]["total"] == 10


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["--from", "2026-13-01", "--to", "2026-11-04"],
            "Error: Invalid value for '--from': '2026-13-01' is not a date written YYYY-MM-DD",
        ),
        (
            ["--from", "2026-11-01", "--to", "4 Nov"],
            "Error: Invalid value for '--to': '4 Nov' is not a date written YYYY-MM-DD",
        ),
        (
            ["--from", "2026-11-05", "--to", "2026-11-04"],
            "Error: Invalid value for '--from': the period starts on 2026-11-05, "
            "after it ends on 2026-11-04",
        ),
        (["--to", "2026-11-04"], "Error: Missing option '--from'."),
        ([*PERIOD, "--by", "year"], "Error: Invalid value for '--by': 'year' is not one of"),
        ([*PERIOD, "--format", "xml"], "Error: Invalid value for '--format': 'xml' is not one of"),
    ],
)
def test_a_bad_period_is_one_error_line_and_exit_2(app: Flask, args: list[str], error: str) -> None:
    result = app.test_cli_runner().invoke(cli, ["stats", "export", *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1].startswith(error)
    assert "Traceback" not in result.output


def test_stats_without_export_still_prints_the_table(app: Flask) -> None:
    result = app.test_cli_runner().invoke(cli, ["stats", "--days", "3"])
    assert result.exit_code == 0, result.output
    assert result.output == "no counts in the last 3 days\n"


def test_the_export_adds_up_by_month(app: Flask) -> None:
    given(app, DAILY)
    args = ["stats", "export", "--from", "2026-10-01", "--to", "2026-11-30", "--by", "month"]
    result = app.test_cli_runner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:4] == [
        "2026-10-01,contacts,,9",
        "2026-11-01,contacts,,17",
        "2026-11-01,pages,main,5",
    ]
