"""Closing a conversation from the console without JavaScript: the wrap-up form posted here.

With JavaScript, close.js sends the same wrap-up to the API and this view is never
reached. Without it the form posts here and gets the same steps: the form again with
each error at its question, then a confirm step saying what the texter will receive,
then the queue. Its words are in the counsellor's language (words/*/wrapup.toml).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from responder import errors, services
from responder.counselling import handoff, views, wrapup, wrapup_lists
from responder.staff import audit
from responder.store.db import get_session
from responder.web.console import bp
from responder.web.console.pages import CONVERSATION
from responder.web.console.session import signed_in
from responder.web.console.words import refusal, say
from responder.web.console.wrapup_words import problems as problems_in_words

LISTS = ("categories", "referrals")
ERROR_STATUS = {errors.NotFound: 404, errors.NotPermitted: 403, errors.Conflict: 409}


@bp.post(f"{CONVERSATION}/close")
@signed_in()
def close_conversation(conversation_id: int) -> ResponseReturnValue:
    session, now, content = get_session(), datetime.now(UTC), services.of().content
    try:
        view = views.conversation_view(
            session, conversation_id, g.counsellor, services.of().keys, content, now
        )
    except (errors.NotFound, errors.NotPermitted) as error:
        abort(ERROR_STATUS[type(error)], description=refusal(error))
    form = request.form
    values = {name: form.getlist(name) for name in form if name != "csrf_token"}
    if "back" in form:
        return _page(view, values)
    try:
        filled = wrapup.validate(_wrapup_of(form), content)
    except wrapup.Unaccepted as unaccepted:
        return _page(view, values, problems=problems_in_words(unaccepted, content)), 422
    if "confirmed" not in form:
        return _page(view, values, confirming=True)
    survey = form.get("survey") == "on"
    try:
        handoff.close(
            session, conversation_id, g.counsellor, None, (), survey, now, content, filled
        )
    except (errors.NotPermitted, errors.Conflict) as error:
        abort(ERROR_STATUS[type(error)], description=say("close.not_closed", error=refusal(error)))
    audit.record(session, g.counsellor, "close", conversation_id, now)
    session.commit()
    flash(say("close.closed", id=conversation_id))
    return redirect(url_for("console.queue"))


def _wrapup_of(form: MultiDict[str, str]) -> dict[str, Any]:
    """Read the wrap-up's answers from the form, as the API would receive them."""
    raw: dict[str, Any] = {name: form.getlist(name) for name in LISTS}
    for name in wrapup_lists.QUESTIONS:
        if name not in LISTS and form.get(name):
            raw[name] = form[name]
    return raw


def _page(
    view: views.ConversationView,
    values: dict[str, list[str]],
    problems: dict[str, str] | None = None,
    confirming: bool = False,
) -> str:
    content = services.of().content
    return render_template(
        "console/close_page.html",
        view=view,
        language=content.language(view.language),
        wrapup_form=wrapup.form(content),
        wrapup_values=values,
        wrapup_errors=problems or {},
        wrapup_confirming=confirming,
    )
