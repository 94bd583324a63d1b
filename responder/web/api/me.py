"""The counsellor's own view: who they are, what they hold, their availability, the change feed."""

from __future__ import annotations

from flask import g, jsonify, request
from flask.typing import ResponseReturnValue

from responder.counselling import caseload, feed, handoff, views
from responder.staff import audit
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
    items = audit.entries_after(get_session(), g.counsellor, after, wire.limit())
    cursor = str(items[-1].id) if items else str(after)
    return wire.as_json({"items": items, "next_cursor": cursor})
