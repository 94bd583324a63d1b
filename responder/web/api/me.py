"""The counsellor's own view: who they are, what they hold, their availability, the change feed."""

from __future__ import annotations

from flask import abort, g, jsonify, request
from flask.typing import ResponseReturnValue

from responder.counselling import caseload, feed, handoff, views
from responder.staff import audit_search
from responder.store.db import get_session
from responder.web import openapi
from responder.web.api import bp, wire


@bp.get("/openapi.json")
def openapi_document() -> ResponseReturnValue:
    return jsonify(openapi.DOCUMENT)


@bp.get("/me")
def me() -> ResponseReturnValue:
    view = views.counsellor_view(get_session(), g.counsellor, wire.now(), wire.presence())
    return wire.as_json(view)


@bp.get("/me/conversations")
def my_conversations() -> ResponseReturnValue:
    return wire.as_json({"items": caseload.held(get_session(), g.counsellor, wire.now())})


@bp.put("/me/availability")
def availability() -> ResponseReturnValue:
    (available,) = wire.fields(available=(bool, wire.REQUIRED))
    session = get_session()
    view = handoff.set_availability(session, g.counsellor, available, wire.now(), wire.presence())
    session.commit()
    return wire.as_json(view)


@bp.get("/events")
def events() -> ResponseReturnValue:
    after = wire.event_cursor(request.args.get("after", "0"))
    items = feed.events_after(get_session(), after, wire.limit())
    # With nothing new the cursor stays put, so a client can keep asking with it.
    cursor = str(items[-1].id) if items else str(after)
    return wire.as_json({"items": items, "next_cursor": cursor})


@bp.get("/audit")
def audit_log() -> ResponseReturnValue:
    after = wire.event_cursor(request.args.get("after", "0"))
    session = get_session()
    empty = [n for n in audit_search.FIELDS if n in request.args and not request.args[n].strip()]
    if empty:
        abort(422, description=f"{empty[0]}: leave it out rather than send it empty")
    read = audit_search.read_filter(session, request.args)
    if read.problems:
        field, code = next(iter(read.problems.items()))
        abort(422, description=f"{field}: {AUDIT_PROBLEMS[code]}")
    items = audit_search.matching_after(session, g.counsellor, read.filter, after, wire.limit())
    cursor = str(items[-1].id) if items else str(after)
    return wire.as_json({"items": items, "next_cursor": cursor})


# The API speaks English, as its other messages do; the console says these in its words.
AUDIT_PROBLEMS = {
    "unknown_person": "no account has that username",
    "unknown_action": "not an audit action; see the action enum in openapi.json",
    "bad_number": "send a conversation id, a whole number",
    "bad_date": "send a UTC day as YYYY-MM-DD",
    "dates_reversed": "the to day comes before the from day",
}
