"""The counsellors' JSON API under /api/v1. Views do web work only: auth, parse, call, commit."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, request
from flask.typing import ResponseReturnValue

from responder import errors, services
from responder.bot.content import Content
from responder.conversations import blocks
from responder.counselling import access, caseload, handoff, reveal, views
from responder.privacy.addresses import Keys
from responder.staff import audit, auth
from responder.store.db import get_session
from responder.web import openapi
from responder.web.console.session import csrf_matches, signed_in_counsellor

bp = Blueprint("api", __name__, url_prefix="/api/v1")

STATUS = {
    errors.NotFound: 404,
    errors.NotPermitted: 403,
    errors.Conflict: 409,
    errors.Rejected: 422,
}
DEFAULT_LIMIT, MAX_LIMIT = 50, 200
# Ids beyond the database's integer are refused by routing (404), not by the database.
CONVERSATION = "/conversations/<int(max=2147483647):conversation_id>"
REQUIRED = object()


@bp.before_request
def _authenticate() -> ResponseReturnValue | None:
    """Find the counsellor the request speaks for, or answer 401 with a challenge."""
    if request.endpoint == "api.openapi_document":
        return None
    session = get_session()
    token = auth.bearer_token(request.headers.get("Authorization"))
    if token:
        counsellor = auth.counsellor_for_token(session, token, _now())
    elif csrf_matches(request.headers.get("X-CSRF-Token")):
        # Console pages call with the session cookie. The header, read from the page,
        # shows the call comes from the console and not from another site's form.
        counsellor = signed_in_counsellor(session, _now())
    else:
        counsellor = None
    if counsellor is None:
        challenge = 'Bearer realm="responder"'
        if token:
            challenge += ', error="invalid_token"'
        response = jsonify(
            error="send Authorization: Bearer <token>" if token is None else "unknown token"
        )
        response.headers["WWW-Authenticate"] = challenge
        return response, 401
    # Authentication is its own short unit of work: the token's last use is kept even
    # when the action then fails, and the action starts a fresh transaction.
    session.commit()
    g.counsellor = counsellor
    return None


@bp.errorhandler(errors.HandoffError)
def _handoff_error(error: errors.HandoffError) -> ResponseReturnValue:
    return jsonify(error=str(error)), STATUS[type(error)]


@bp.get("/openapi.json")
def openapi_document() -> ResponseReturnValue:
    return jsonify(openapi.DOCUMENT)


@bp.get("/queue")
def queue() -> ResponseReturnValue:
    limit = _limit()
    after = _queue_key(request.args["cursor"]) if "cursor" in request.args else None
    page = views.queue_page(get_session(), _keys(), _now(), limit, after)
    return _json(
        {
            "items": page.items,
            "next_cursor": None if page.next_key is None else _queue_cursor(page.next_key),
            "total": page.total,
            "expected_wait_seconds": page.expected_wait_seconds,
        }
    )


@bp.get(CONVERSATION)
def conversation(conversation_id: int) -> ResponseReturnValue:
    view = views.conversation_view(
        get_session(), conversation_id, g.counsellor, _keys(), _content(), _now()
    )
    return _json(view)


@bp.post(f"{CONVERSATION}/claim")
def claim(conversation_id: int) -> ResponseReturnValue:
    session, now = get_session(), _now()
    state = handoff.claim(session, conversation_id, g.counsellor, now)
    audit.record(session, g.counsellor, "claim", conversation_id, now)
    session.commit()
    return _json(state)


@bp.post(f"{CONVERSATION}/messages")
def send_message(conversation_id: int) -> ResponseReturnValue:
    (body,) = _fields(body=(str, REQUIRED))
    session, now = get_session(), _now()
    message = handoff.send_message(session, conversation_id, g.counsellor, body, now)
    audit.record(session, g.counsellor, "reply", conversation_id, now)
    session.commit()
    return _json(message, 202)


@bp.post(f"{CONVERSATION}/notes")
def add_note(conversation_id: int) -> ResponseReturnValue:
    (body,) = _fields(body=(str, REQUIRED))
    session, now = get_session(), _now()
    note = handoff.add_note(session, conversation_id, g.counsellor, body, now)
    audit.record(session, g.counsellor, "note", conversation_id, now)
    session.commit()
    return _json(note, 201)


@bp.post(f"{CONVERSATION}/transfer")
def transfer(conversation_id: int) -> ResponseReturnValue:
    (to,) = _fields(to=(str, REQUIRED))
    session, now = get_session(), _now()
    state = handoff.transfer(session, conversation_id, g.counsellor, to, now)
    audit.record(session, g.counsellor, "transfer", conversation_id, now, to=to)
    session.commit()
    return _json(state)


@bp.post(f"{CONVERSATION}/release")
def release(conversation_id: int) -> ResponseReturnValue:
    session, now = get_session(), _now()
    state = handoff.release(session, conversation_id, g.counsellor, now, _content())
    audit.record(session, g.counsellor, "release", conversation_id, now)
    session.commit()
    return _json(state)


@bp.post(f"{CONVERSATION}/close")
def close(conversation_id: int) -> ResponseReturnValue:
    category, secondary, survey = _fields(
        category=(str, REQUIRED), secondary=(list, ()), survey=(bool, False)
    )
    if not all(isinstance(tag, str) for tag in secondary):
        abort(400, description="secondary must be a list of strings")
    session, now = get_session(), _now()
    state = handoff.close(
        session, conversation_id, g.counsellor, category, secondary, survey, now, _content()
    )
    audit.record(session, g.counsellor, "close", conversation_id, now)
    session.commit()
    return _json(state)


@bp.post(f"{CONVERSATION}/block")
def block(conversation_id: int) -> ResponseReturnValue:
    hours = _sole_field("hours")
    # 24.0 is the same JSON number as 24; true is not a number of hours.
    if hours is not None and (isinstance(hours, bool) or hours not in blocks.HOURS):
        abort(422, description="hours must be 24, 168, or null to block until lifted")
    hours = None if hours is None else int(hours)
    session, now = get_session(), _now()
    conversation = access.visible(session, conversation_id, g.counsellor)
    blocks.block(session, access.texter(conversation), hours, now)
    audit.record(session, g.counsellor, "block", conversation_id, now, hours=hours)
    view = views.describe(session, conversation, _keys(), _content(), now)
    session.commit()
    return _json(view)


@bp.post(f"{CONVERSATION}/unblock")
def unblock(conversation_id: int) -> ResponseReturnValue:
    session, now = get_session(), _now()
    conversation = access.visible(session, conversation_id, g.counsellor)
    blocks.unblock(session, access.texter(conversation))
    audit.record(session, g.counsellor, "unblock", conversation_id, now)
    view = views.describe(session, conversation, _keys(), _content(), now)
    session.commit()
    return _json(view)


@bp.post(f"{CONVERSATION}/reveal")
def reveal_number(conversation_id: int) -> ResponseReturnValue:
    reason = _sole_field("reason")
    if not isinstance(reason, str) or not _storable(reason):
        abort(422, description="reason must be text saying why you need the number")
    session = get_session()
    address = reveal.reveal(session, conversation_id, g.counsellor, reason, _keys(), _now())
    session.commit()
    response = jsonify(address=address)
    # The one response that holds a full number: no browser or proxy may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post(f"{CONVERSATION}/read")
def mark_read(conversation_id: int) -> ResponseReturnValue:
    up_to = _message_id(_sole_field("up_to"))
    session = get_session()
    access.visible(session, conversation_id, g.counsellor)
    mark = caseload.mark_read(session, g.counsellor, conversation_id, up_to)
    session.commit()
    return _json(mark)


@bp.get("/me")
def me() -> ResponseReturnValue:
    return _json(views.counsellor_view(get_session(), g.counsellor))


@bp.get("/me/conversations")
def my_conversations() -> ResponseReturnValue:
    return _json({"items": caseload.held(get_session(), g.counsellor)})


@bp.put("/me/availability")
def availability() -> ResponseReturnValue:
    (available,) = _fields(available=(bool, REQUIRED))
    session = get_session()
    view = handoff.set_availability(session, g.counsellor, available, _now())
    session.commit()
    return _json(view)


@bp.get("/events")
def events() -> ResponseReturnValue:
    after = _event_cursor(request.args.get("after", "0"))
    items = views.events_after(get_session(), after, _limit())
    # With nothing new the cursor stays put, so a client can keep asking with it.
    cursor = str(items[-1].id) if items else str(after)
    return _json({"items": items, "next_cursor": cursor})


@bp.get("/audit")
def audit_log() -> ResponseReturnValue:
    after = _event_cursor(request.args.get("after", "0"))
    items = audit.entries_after(get_session(), g.counsellor, after, _limit())
    cursor = str(items[-1].id) if items else str(after)
    return _json({"items": items, "next_cursor": cursor})


def _fields(**spec: tuple[type, Any]) -> list[Any]:
    """Read a JSON object's fields in the order given, each of its type; 400 if they are wrong."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data = None  # nested deeper than the parser goes: not a body this API takes
    if not isinstance(data, dict):
        abort(400, description="send a JSON object, with Content-Type: application/json")
    unknown = sorted(set(data) - set(spec))
    if unknown:
        abort(400, description=f"unknown field(s): {', '.join(unknown)}")
    values = []
    for name, (kind, default) in spec.items():
        if name not in data:
            if default is REQUIRED:
                abort(400, description=f"{name} is required")
            values.append(default)
            continue
        value = data[name]
        if not isinstance(value, kind):
            abort(400, description=f"{name} must be {_JSON_TYPE[kind]}")
        if isinstance(value, str) and not _storable(value):
            abort(400, description=f"{name} holds a NUL or an unpaired surrogate character")
        values.append(value)
    return values


_JSON_TYPE = {str: "a string", bool: "true or false", list: "a list"}


def _sole_field(name: str) -> Any:
    """Read a JSON object holding just the one field; 422 for anything else."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data = None
    if not isinstance(data, dict) or set(data) != {name}:
        abort(422, description=f'send a JSON object with just "{name}", as application/json')
    return data[name]


def _storable(text: str) -> bool:
    # JSON can carry both, but PostgreSQL text cannot hold NUL and UTF-8 cannot
    # encode a lone surrogate: refuse them here rather than fail in the database.
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _message_id(value: object) -> int:
    # 7.0 is the same JSON number as 7; true is not a message.
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value < 0
        or (isinstance(value, float) and not value.is_integer())
    ):
        abort(422, description="up_to must be a message id: a whole number, 0 or more")
    return int(value)


def _limit() -> int:
    limit = _whole_number(request.args.get("limit", str(DEFAULT_LIMIT)))
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        abort(400, description=f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return limit


def _queue_cursor(key: views.QueueKey) -> str:
    raw = json.dumps([key.priority, key.queued_at.isoformat(), key.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _queue_key(cursor: str) -> views.QueueKey:
    invalid = "cursor is not one this API gave out"
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        priority, queued_at, conversation_id = json.loads(raw)
        moment = datetime.fromisoformat(queued_at)
    except (ValueError, TypeError, binascii.Error):
        abort(400, description=invalid)
    if not (_small_int(priority) and _small_int(conversation_id) and moment.tzinfo):
        abort(400, description=invalid)
    return views.QueueKey(priority, moment, conversation_id)


def _small_int(value: object) -> bool:
    # Bounded so that a forged cursor cannot overflow a database integer.
    return type(value) is int and -(2**31) <= value < 2**31


def _event_cursor(cursor: str) -> int:
    after = _whole_number(cursor)
    # Ids are 32-bit integers on PostgreSQL: a larger cursor would fail in the database.
    if after is None or after >= 2**31:
        abort(400, description="after must be a cursor this API gave out")
    return after


def _whole_number(raw: str) -> int | None:
    # isdigit() alone accepts "²" and other Unicode digits that int() refuses.
    return int(raw) if raw.isascii() and raw.isdigit() else None


def _json(value: Any, status: int = 200) -> tuple[Response, int]:
    return jsonify(_plain(value)), status


def _plain(value: Any) -> Any:
    """Turn views into JSON values: dataclasses into objects, times into ISO 8601."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _now() -> datetime:
    return datetime.now(UTC)


def _keys() -> Keys:
    return services.of().keys


def _content() -> Content:
    return services.of().content
