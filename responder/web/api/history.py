"""The texter's history beside a conversation: earlier conversations, and flags to add or lift."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, g
from flask.typing import ResponseReturnValue

from responder.counselling import flags, history
from responder.staff import audit
from responder.store.db import get_session
from responder.web.api import CONVERSATION, bp, wire

FLAG = "/flags/<int(max=2147483647):flag_id>"


@bp.get(f"{CONVERSATION}/history")
def texter_history(conversation_id: int) -> ResponseReturnValue:
    return wire.as_json(history.history(get_session(), conversation_id, g.counsellor, wire.now()))


@bp.get(f"{CONVERSATION}/history/<int(max=2147483647):earlier_id>")
def earlier_conversation(conversation_id: int, earlier_id: int) -> ResponseReturnValue:
    session, now = get_session(), wire.now()
    found = history.earlier(
        session, conversation_id, earlier_id, g.counsellor, wire.keys(), wire.content(), now
    )
    audit.record(session, g.counsellor, "view", earlier_id, now, via=conversation_id)
    session.commit()
    return wire.as_json(found)


@bp.post(f"{CONVERSATION}/flags")
def add_flag(conversation_id: int) -> ResponseReturnValue:
    label, until = wire.fields(label=(str, wire.REQUIRED), expires_on=(str, None))
    session, now = get_session(), wire.now()
    flag = flags.add(
        session, conversation_id, g.counsellor, label, None if until is None else _day(until), now
    )
    session.commit()
    return wire.as_json(flag, 201)


@bp.delete(f"{CONVERSATION}{FLAG}")
def lift_flag(conversation_id: int, flag_id: int) -> ResponseReturnValue:
    session, now = get_session(), wire.now()
    flags.lift(session, conversation_id, g.counsellor, flag_id, now)
    session.commit()
    return Response(status=204)


def _day(raw: str) -> date:
    # Only the plain YYYY-MM-DD form: fromisoformat would also take "20261231".
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        abort(422, description="expires_on must be a date written YYYY-MM-DD")
