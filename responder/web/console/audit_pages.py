"""The audit log page and its CSV export, filtered by person, action, conversation and day.

A filter field that cannot be read is said at the field and left out, so a supervisor
always gets a page; the export is for admins only and is itself audited.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime

from flask import abort, g, render_template, request, url_for
from flask.typing import ResponseReturnValue

from responder.staff import audit, audit_search
from responder.staff.auth import SUPERVISING_ROLES
from responder.store.db import get_session
from responder.web.console import bp
from responder.web.console.records import ACTION_WORDS
from responder.web.console.session import signed_in
from responder.web.console.words import say
from responder.web.downloads import attachment

AUDIT_SHOWN = 50
CSV_COLUMNS = ("time_utc", "counsellor", "action", "conversation_id", "detail")


@bp.get("/audit")
@signed_in(*SUPERVISING_ROLES)
def audit_log() -> ResponseReturnValue:
    raw = request.args.get("before")
    before = None if raw is None else _entry_number(raw)
    session = get_session()
    read = audit_search.read_filter(session, request.args)
    show_views = request.args.get("views") == "1"
    found = read.filter if show_views else audit_search.without_views(read.filter)
    # One more than shown, to know whether an older page exists.
    entries = audit_search.matching_before(session, g.counsellor, found, before, AUDIT_SHOWN + 1)
    shown = entries[:AUDIT_SHOWN]
    kept = dict(read.used, **({"views": "1"} if show_views else {}))
    return render_template(
        "console/audit.html",
        entries=shown,
        older=shown[-1].id if len(entries) > AUDIT_SHOWN else None,
        paged=before is not None,
        # Said in the page's language now: the template reads it as a plain dict.
        action_words=dict(ACTION_WORDS),
        given={name: request.args.get(name, "") for name in audit_search.FIELDS},
        problems={field: say(f"audit.problem_{code}") for field, code in read.problems.items()},
        kept=kept,
        show_views=show_views,
        hidden=audit_search.views_hidden(session, g.counsellor, found),
        views_url=url_for("console.audit_log", **dict(kept, views="1")),
        filtered=bool(read.used),
    )


@bp.get("/audit.csv")
@signed_in("admin")
def audit_export() -> ResponseReturnValue:
    session = get_session()
    read = audit_search.read_filter(session, request.args)
    if read.problems:
        # An export must hold what was asked for; a wider file would mislead.
        abort(400, description=" ".join(say(f"audit.problem_{c}") for c in read.problems.values()))
    found = read.filter
    if request.args.get("views") != "1":
        found = audit_search.without_views(found)
    now = datetime.now(UTC)
    filters = dict(read.used, views="1" if not found.hide_views else "0")
    audit.record(session, g.counsellor, "audit_export", None, now, filters=filters)
    session.commit()
    rows = list(_csv_lines(audit_search.all_matching(session, g.counsellor, found)))
    name = f"audit-{now:%Y%m%d-%H%M%S}.csv"
    return attachment("".join(rows), "text/csv", name)


def _csv_lines(entries: Iterator[audit.AuditView]) -> Iterator[str]:
    yield _csv_row(CSV_COLUMNS)
    for entry in entries:
        yield _csv_row(
            (
                entry.at.astimezone(UTC).isoformat(),
                entry.counsellor or "",
                entry.action,
                "" if entry.conversation_id is None else str(entry.conversation_id),
                json.dumps(entry.detail, ensure_ascii=False, sort_keys=True),
            )
        )


def _csv_row(cells: tuple[str, ...]) -> str:
    out = io.StringIO()
    # A cell starting with = + - @ would be run as a formula by a spreadsheet.
    safe = [("'" + cell) if cell[:1] in ("=", "+", "-", "@") else cell for cell in cells]
    csv.writer(out).writerow(safe)
    return out.getvalue()


def _entry_number(raw: str) -> int:
    # Only digits, and small enough for the database's integer column.
    if not raw.isascii() or not raw.isdigit() or int(raw) > 2147483647:
        abort(400, description=say("audit.not_a_page"))
    return int(raw)
