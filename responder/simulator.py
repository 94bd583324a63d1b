"""The phone simulator: a development page where a person texts the bot as a texter would."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from responder.addresses import AddressError, normalise
from responder.phone import DEFAULT_NUMBER, Phone, PhoneError

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
