"""The anonymous figures written out as CSV or JSON, with small numbers hidden.

The same text goes to `responder stats export` and to GET /api/v1/stats, so a figure
reads the same wherever it is taken from.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy.orm import Session

from responder.reports import chi, figures
from responder.reports.figures import Daily, Period

FORMATS = ("csv", "json")
GRAINS = figures.GRAINS
SHAPES = ("daily", "chi")
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json"}
SMALL = 5
HIDDEN = "<5"


def shown(count: int) -> int | str:
    """Write a figure from 1 to 4 as "<5"; 0 and 5 or more as they are.

    A helpline for sextortion hears from few people in a small country, on a quiet
    day, or in a rare category. A count of 1 or 2 there, put beside what a school or a
    family already knows, can point to one young person. Hiding every count below 5 is
    the small-cell rule statistics offices follow; 0 stays, since it tells nothing
    about anyone. Totals are added from the true counts (so they stay right) and are
    hidden by the same rule when they are small themselves.
    """
    return HIDDEN if 0 < count < SMALL else count


def export(session: Session, within: Period, shape: str, form: str, grain: str = "day") -> str:
    """Read the period's figures in a shape (daily or chi) and write them out as csv or json.

    The daily shape adds its rows up by day, week or month (grain); chi has no rows to.
    """
    if shape not in SHAPES or form not in FORMATS:
        raise ValueError(f"unknown shape {shape!r} or format {form!r}")
    if shape == "chi":
        summary = chi.summary(within, figures.read(session, within))
        return _csv(*_chi_table(summary)) if form == "csv" else _json(_chi_json(summary))
    found = figures.daily(session, within, grain)
    return _csv(*_daily_table(found)) if form == "csv" else _json(_daily_json(found))


def _daily_json(found: Daily) -> dict[str, Any]:
    return {
        **_period(found.period, "daily"),
        "by": found.grain,
        "rows": [
            {
                "day": f.day.isoformat(),
                "metric": f.metric,
                "detail": f.detail,
                "count": shown(f.count),
            }
            for f in found.figures
        ],
        "totals": [
            {"metric": metric, "detail": detail, "count": shown(count)}
            for metric, detail, count in found.totals
        ],
    }


def _daily_table(found: Daily) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    # The totals follow the days as rows whose day reads "total", so one table holds both.
    rows = [(f.day.isoformat(), f.metric, f.detail, shown(f.count)) for f in found.figures]
    rows += [("total", metric, detail, shown(count)) for metric, detail, count in found.totals]
    return ("day", "metric", "detail", "count"), rows


def _chi_json(summary: chi.Summary) -> dict[str, Any]:
    return {
        **_period(summary.period, "chi"),
        "sections": [
            {
                "name": section.name,
                "title": section.title,
                "lines": [
                    {"code": line.code, "label": line.label, "count": shown(line.count)}
                    for line in section.lines
                ],
                "total": None if section.total is None else shown(section.total),
            }
            for section in summary.sections
        ],
    }


def _chi_table(summary: chi.Summary) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    rows: list[tuple[Any, ...]] = []
    for section in summary.sections:
        rows += [(section.name, line.code, line.label, shown(line.count)) for line in section.lines]
        if section.total is not None:
            rows.append((section.name, "total", "Total", shown(section.total)))
    return ("section", "code", "label", "count"), rows


def _period(within: Period, shape: str) -> dict[str, str]:
    return {"shape": shape, "from": within.start.isoformat(), "to": within.end.isoformat()}


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def _csv(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    out = io.StringIO()
    # One line ending for the terminal and for the download alike.
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
