"""The supervisors' live board: drawn whole by the server, fetched again by board.js.

Its one form acts on a flood: the conversations ticked on the board, marked or cleared.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from responder import errors, policies
from responder.counselling import board, floods
from responder.staff.auth import SUPERVISING_ROLES
from responder.store.db import get_session
from responder.web.console import bp
from responder.web.console.live import conversations_url
from responder.web.console.session import signed_in
from responder.web.console.words import refusal, say


@bp.get("/board")
@signed_in(*SUPERVISING_ROLES)
def board_page() -> ResponseReturnValue:
    return render_template("console/board.html", **_drawn())


@bp.get("/board/live")
@signed_in(*SUPERVISING_ROLES)
def board_live() -> ResponseReturnValue:
    """The board's changing part alone, which board.js swaps in as things change."""
    return render_template("console/board_live.html", **_drawn())


def _drawn() -> dict[str, object]:
    config = current_app.config
    read = board.read(
        get_session(),
        g.counsellor,
        datetime.now(UTC),
        policies.presence(config),
        policies.overdue(config),
        policies.surge(config),
    )
    return {"board": read, "conversations_url": conversations_url()}


@bp.post("/board/flood")
@signed_in(*SUPERVISING_ROLES)
def board_flood() -> ResponseReturnValue:
    """Mark or clear the conversations chosen on the board, all in one transaction."""
    form = request.form
    chosen = [int(v) for v in form.getlist("conversation") if v.isdigit() and len(v) < 12]
    action, session, now = form.get("action", ""), get_session(), datetime.now(UTC)
    try:
        if action not in ACTIONS:
            raise errors.Rejected("choose what to do with them", "no_action")
        if action != "mark" and form.get("sure") != "yes":
            raise errors.Rejected("tick the box that says these are a flood", "not_sure")
        if action == "mark":
            done = floods.mark(session, chosen, g.counsellor, now)
        else:
            hours = form.get("hours", "")
            length = int(hours) if hours.isdigit() and len(hours) < 5 else None
            done = floods.clear(session, chosen, g.counsellor, action, length, now)
    except errors.Rejected as error:
        session.rollback()
        flash(say("board.flood.not_done", error=refusal(error)), "error")
    else:
        session.commit()
        flash(say(f"board.flood.{action}_done", n=done.changed, skipped=done.skipped))
    return redirect(url_for("console.board_page"))


# The form's choices: keep the texters queued but quiet and last, or close and block.
ACTIONS = ("mark", *floods.REASONS)
