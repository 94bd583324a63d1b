"""The anonymous figures for supervisors and admins, as JSON or CSV."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, g, request
from flask.typing import ResponseReturnValue

from responder.errors import NotPermitted
from responder.reports import export, figures
from responder.staff import auth
from responder.store.db import get_session
from responder.web.api import bp
from responder.web.downloads import attachment


@bp.get("/stats")
def stats() -> ResponseReturnValue:
    # Not audited: the figures are anonymous counts, and nothing in them is about a
    # texter whose record anyone should answer for having read.
    if not auth.supervises(g.counsellor):
        raise NotPermitted(
            "only supervisors and admins may read the statistics", "stats_supervisors"
        )
    form = _choice("format", export.FORMATS, "json")
    shape = _choice("shape", export.SHAPES, "daily")
    grain = _choice("by", export.GRAINS, "day")
    start, end = _day("from"), _day("to")
    try:
        within = figures.period(start, end, figures.LONGEST_DAYS)
    except figures.PeriodError as exc:
        abort(422, description=str(exc))
    text = export.export(get_session(), within, shape, form, grain)
    if form != "csv":
        return Response(text, mimetype=export.MEDIA_TYPES[form])
    # A spreadsheet is what a CSV is for: the browser saves it under a name that says
    # which figures and which period it holds, rather than showing it as text.
    name = f"helpline-{shape}-{start.isoformat()}-to-{end.isoformat()}.csv"
    return attachment(text, export.MEDIA_TYPES[form], name)


def _day(name: str) -> date:
    raw = request.args.get(name)
    if raw is None:
        abort(422, description=f"{name} is required: a date written YYYY-MM-DD")
    try:
        return figures.day(raw)
    except figures.PeriodError as exc:
        abort(422, description=f"{name}: {exc}")


def _choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.args.get(name, default)
    if value not in allowed:
        abort(422, description=f"{name} must be one of: {', '.join(allowed)}")
    return value
