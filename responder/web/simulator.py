"""The phone simulator: a development page where a person texts the bot as a texter would."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from responder import services
from responder.channels.phone import DEFAULT_NUMBER, Phone, PhoneError
from responder.channels.transport import normalise
from responder.errors import AddressError
from responder.store.db import get_session
from responder.store.models import Contact, Conversation, Message

bp = Blueprint("simulator", __name__, url_prefix="/simulator")


@bp.get("/")
def page() -> ResponseReturnValue:
    return render_template("simulator.html", default_number=DEFAULT_NUMBER)


@bp.post("/send")
def send() -> ResponseReturnValue:
    # JSON only: a cross-site form cannot post it without the browser asking first.
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description='send JSON: {"from": ..., "channel": ..., "body": ...}')
    body, channel = data.get("body"), data.get("channel", "sms")
    if not isinstance(body, str) or channel not in ("sms", "whatsapp"):
        abort(400, description="body must be text and channel sms or whatsapp")
    try:
        number = normalise(str(data.get("from") or DEFAULT_NUMBER))
    except AddressError as exc:
        abort(400, description=f"from: {exc}")
    media = 1 if data.get("media") else 0
    phone = Phone(current_app._get_current_object(), number, channel)
    try:
        replies = phone.send(body, media=media)
    except PhoneError as exc:
        return jsonify(error=str(exc)), 502
    return jsonify(replies=replies)


@bp.get("/messages")
def delivered() -> ResponseReturnValue:
    """Return what the development transport delivered to a number after the cursor.

    Without `after` only the cursor comes back, so a page shows what arrives from now on.
    """
    try:
        number = normalise(request.args.get("from") or DEFAULT_NUMBER)
    except AddressError as exc:
        abort(400, description=f"from: {exc}")
    after = request.args.get("after", type=int)
    session = get_session()
    if after is None:
        latest = session.scalar(select(func.max(Message.id)))
        return jsonify(messages=[], cursor=latest or 0)
    digests = services.of().keys.hashes(number)
    rows = session.scalars(
        select(Message)
        .join(Conversation, Message.conversation_id == Conversation.id)
        .join(Contact)
        .where(
            Contact.address_hash.in_(digests),
            Message.direction == "out",
            Message.status == "simulated",
            Message.id > after,
        )
        .order_by(Message.id)
    ).all()
    messages = [
        {
            "id": message.id,
            # A message without text is the WhatsApp template inviting the texter back.
            "body": message.body,
            "template": message.body is None,
            "counsellor": message.counsellor_id is not None,
            "whatsapp": (message.sender or "").startswith("whatsapp:"),
        }
        for message in rows
    ]
    return jsonify(messages=messages, cursor=rows[-1].id if rows else after)
