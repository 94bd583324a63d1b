"""The supervisors' live board: drawn whole by the server, fetched again by board.js."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, g, render_template
from flask.typing import ResponseReturnValue

from responder import policies
from responder.counselling import board
from responder.staff.auth import SUPERVISING_ROLES
from responder.store.db import get_session
from responder.web.console import bp
from responder.web.console.live import conversations_url
from responder.web.console.session import signed_in


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
    )
    return {"board": read, "conversations_url": conversations_url()}
