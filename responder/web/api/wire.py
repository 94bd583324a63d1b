"""The API's side of the wire: reading a request's fields and cursors, writing JSON replies.

Each reader answers 400 or 422 itself, with words saying what to send instead, so the
views read like the use case they call.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, abort, current_app, jsonify, request

from responder import policies, services
from responder.bot.content import Content
from responder.counselling import views
from responder.privacy.addresses import Keys

DEFAULT_LIMIT, MAX_LIMIT = 50, 200
REQUIRED = object()


def fields(**spec: tuple[type, Any]) -> list[Any]:
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
        if isinstance(value, str) and not storable(value):
            abort(400, description=f"{name} holds a NUL or an unpaired surrogate character")
        values.append(value)
    return values


_JSON_TYPE = {str: "a string", bool: "true or false", list: "a list", dict: "an object"}


def sole_field(name: str) -> Any:
    """Read a JSON object holding just the one field; 422 for anything else."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data = None
    if not isinstance(data, dict) or set(data) != {name}:
        abort(422, description=f'send a JSON object with just "{name}", as application/json')
    return data[name]


def storable(text: str) -> bool:
    # JSON can carry both, but PostgreSQL text cannot hold NUL and UTF-8 cannot
    # encode a lone surrogate: refuse them here rather than fail in the database.
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def message_id(value: object) -> int:
    # 7.0 is the same JSON number as 7; true is not a message.
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value < 0
        or (isinstance(value, float) and not value.is_integer())
    ):
        abort(422, description="up_to must be a message id: a whole number, 0 or more")
    return int(value)


def limit() -> int:
    limit = _whole_number(request.args.get("limit", str(DEFAULT_LIMIT)))
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        abort(400, description=f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return limit


def queue_cursor(key: views.QueueKey) -> str:
    raw = json.dumps([key.priority, key.queued_at.isoformat(), key.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def queue_key(cursor: str) -> views.QueueKey:
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


def event_cursor(cursor: str) -> int:
    after = _whole_number(cursor)
    # Ids are 32-bit integers on PostgreSQL: a larger cursor would fail in the database.
    if after is None or after >= 2**31:
        abort(400, description="after must be a cursor this API gave out")
    return after


def _whole_number(raw: str) -> int | None:
    # isdigit() alone accepts "²" and other Unicode digits that int() refuses.
    return int(raw) if raw.isascii() and raw.isdigit() else None


def as_json(value: Any, status: int = 200) -> tuple[Response, int]:
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


def now() -> datetime:
    return datetime.now(UTC)


def keys() -> Keys:
    return services.of().keys


def content() -> Content:
    return services.of().content


def presence() -> timedelta:
    return policies.presence(current_app.config)
