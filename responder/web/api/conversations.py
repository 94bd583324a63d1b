"""What a counsellor does with one conversation: read, claim, write, hand over, close, block."""

from __future__ import annotations

from flask import abort, g, jsonify, request
from flask.typing import ResponseReturnValue

from responder import errors
from responder.conversations import blocks
from responder.counselling import (
    access,
    caseload,
    handoff,
    reveal,
    stepping_in,
    transcript,
    views,
    wrapup,
)
from responder.staff import audit
from responder.store.db import get_session
from responder.web.api import CONVERSATION, bp, wire
from responder.web.downloads import attachment


@bp.get("/queue")
def queue() -> ResponseReturnValue:
    limit = wire.limit()
    after = wire.queue_key(request.args["cursor"]) if "cursor" in request.args else None
    page = views.queue_page(get_session(), wire.keys(), wire.now(), limit, after)
    return wire.as_json(
        {
            "items": page.items,
            "next_cursor": None if page.next_key is None else wire.queue_cursor(page.next_key),
            "total": page.total,
            "expected_wait_seconds": page.expected_wait_seconds,
        }
    )


@bp.get(CONVERSATION)
def conversation(conversation_id: int) -> ResponseReturnValue:
    session, now = get_session(), wire.now()
    view = views.conversation_view(
        session, conversation_id, g.counsellor, wire.keys(), wire.content(), now
    )
    # A transcript read through the API is logged as the console page's reading is.
    audit.viewed(session, g.counsellor, conversation_id, now)
    session.commit()
    return wire.as_json(view)


@bp.post(f"{CONVERSATION}/claim")
def claim(conversation_id: int) -> ResponseReturnValue:
    session, now = get_session(), wire.now()
    state = handoff.claim(session, conversation_id, g.counsellor, now)
    audit.record(session, g.counsellor, "claim", conversation_id, now)
    session.commit()
    return wire.as_json(state)


@bp.post(f"{CONVERSATION}/messages")
def send_message(conversation_id: int) -> ResponseReturnValue:
    (body,) = wire.fields(body=(str, wire.REQUIRED))
    session, now = get_session(), wire.now()
    message = handoff.send_message(session, conversation_id, g.counsellor, body, now)
    audit.record(session, g.counsellor, "reply", conversation_id, now)
    session.commit()
    return wire.as_json(message, 202)


@bp.post(f"{CONVERSATION}/notes")
def add_note(conversation_id: int) -> ResponseReturnValue:
    (body,) = wire.fields(body=(str, wire.REQUIRED))
    session, now = get_session(), wire.now()
    note = handoff.add_note(session, conversation_id, g.counsellor, body, now)
    audit.record(session, g.counsellor, "note", conversation_id, now)
    session.commit()
    return wire.as_json(note, 201)


@bp.post(f"{CONVERSATION}/transfer")
def transfer(conversation_id: int) -> ResponseReturnValue:
    to, note = wire.fields(to=(str, wire.REQUIRED), note=(str, None))
    session, now = get_session(), wire.now()
    state = handoff.transfer(session, conversation_id, g.counsellor, to, now, wire.presence(), note)
    audit.record(session, g.counsellor, "transfer", conversation_id, now, to=to)
    session.commit()
    return wire.as_json(state)


@bp.post(f"{CONVERSATION}/take-over")
def take_over(conversation_id: int) -> ResponseReturnValue:
    session, now = get_session(), wire.now()
    state = stepping_in.take_over(session, conversation_id, g.counsellor, now)
    session.commit()
    return wire.as_json(state)


@bp.post(f"{CONVERSATION}/release")
def release(conversation_id: int) -> ResponseReturnValue:
    session, now = get_session(), wire.now()
    state = handoff.release(session, conversation_id, g.counsellor, now, wire.content())
    audit.record(session, g.counsellor, "release", conversation_id, now)
    session.commit()
    return wire.as_json(state)


@bp.post(f"{CONVERSATION}/close")
def close(conversation_id: int) -> ResponseReturnValue:
    category, secondary, survey, given = wire.fields(
        category=(str, None), secondary=(list, None), survey=(bool, False), wrapup=(dict, None)
    )
    if secondary is not None and not all(isinstance(tag, str) for tag in secondary):
        abort(400, description="secondary must be a list of strings")
    session, now, content = get_session(), wire.now(), wire.content()
    filled = None
    if given is None:
        if category is None:
            abort(400, description="category is required, or send a wrapup")
    elif category is not None or secondary is not None:
        raise errors.Rejected(
            "send the categories inside the wrapup, not as category or secondary",
            "categories_inside",
        )
    else:
        filled = wrapup.validate(given, content)
    state = handoff.close(
        session,
        conversation_id,
        g.counsellor,
        category,
        secondary or (),
        survey,
        now,
        content,
        filled,
    )
    audit.record(session, g.counsellor, "close", conversation_id, now)
    session.commit()
    return wire.as_json(state)


@bp.post(f"{CONVERSATION}/block")
def block(conversation_id: int) -> ResponseReturnValue:
    hours = wire.sole_field("hours")
    # 24.0 is the same JSON number as 24; true is not a number of hours.
    if hours is not None and (isinstance(hours, bool) or hours not in blocks.HOURS):
        abort(422, description="hours must be 24, 168, or null to block until lifted")
    hours = None if hours is None else int(hours)
    session, now = get_session(), wire.now()
    conversation = access.visible(session, conversation_id, g.counsellor)
    blocks.block(session, access.texter(conversation), hours, now)
    audit.record(session, g.counsellor, "block", conversation_id, now, hours=hours)
    view = views.describe(session, conversation, wire.keys(), wire.content(), now)
    session.commit()
    return wire.as_json(view)


@bp.post(f"{CONVERSATION}/unblock")
def unblock(conversation_id: int) -> ResponseReturnValue:
    session, now = get_session(), wire.now()
    conversation = access.visible(session, conversation_id, g.counsellor)
    blocks.unblock(session, access.texter(conversation))
    audit.record(session, g.counsellor, "unblock", conversation_id, now)
    view = views.describe(session, conversation, wire.keys(), wire.content(), now)
    session.commit()
    return wire.as_json(view)


@bp.post(f"{CONVERSATION}/reveal")
def reveal_number(conversation_id: int) -> ResponseReturnValue:
    reason = _reason("the number")
    session = get_session()
    address = reveal.reveal(session, conversation_id, g.counsellor, reason, wire.keys(), wire.now())
    session.commit()
    response = jsonify(address=address)
    # The one response that holds a full number: no browser or proxy may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post(f"{CONVERSATION}/transcript")
def export_transcript(conversation_id: int) -> ResponseReturnValue:
    reason = _reason("the transcript")
    session = get_session()
    text = transcript.export(
        session, conversation_id, g.counsellor, reason, wire.keys(), wire.content(), wire.now()
    )
    session.commit()
    return attachment(text, "text/plain", transcript.file_name(conversation_id))


def _reason(needed: str) -> str:
    """The body's only field, a written reason for seeing what is needed."""
    reason = wire.sole_field("reason")
    if not isinstance(reason, str) or not wire.storable(reason):
        abort(422, description=f"reason must be text saying why you need {needed}")
    return reason


@bp.post(f"{CONVERSATION}/read")
def mark_read(conversation_id: int) -> ResponseReturnValue:
    up_to = wire.message_id(wire.sole_field("up_to"))
    session = get_session()
    access.visible(session, conversation_id, g.counsellor)
    mark = caseload.mark_read(session, g.counsellor, conversation_id, up_to)
    session.commit()
    return wire.as_json(mark)
