"""A counsellor's own console settings: the language the console speaks to them."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from responder.store.db import get_session
from responder.web.console import bp
from responder.web.console.session import safe_next, signed_in
from responder.web.console.words import LANGUAGES, say


@bp.post("/language")
@signed_in()
def choose_language() -> ResponseReturnValue:
    """Keep the chosen language on the account, so every device and tab speaks it."""
    chosen = request.form.get("language", "")
    if chosen not in LANGUAGES:
        abort(400, description=say("site.language_unknown"))
    g.counsellor.console_language = chosen
    session["console_language"] = chosen
    get_session().commit()
    flash(say("site.language_changed"))
    return redirect(safe_next(request.form.get("next")) or url_for("console.index"))
