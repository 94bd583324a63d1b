"""Twilio's webhooks. Views do web work only: check, parse, call the use case, commit, reply."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, current_app, request
from flask.typing import ResponseReturnValue

from responder import services
from responder.channels import twilio
from responder.channels.transport import split_channel
from responder.conversations.receiving import Policy, receive
from responder.delivery import sending
from responder.errors import AddressError
from responder.privacy.addresses import country_of
from responder.store.db import get_session

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/twilio")
TWIML = {"Content-Type": "text/xml; charset=utf-8"}


@bp.post("/messages")
def messages() -> ResponseReturnValue:
    _require_signature()
    try:
        inbound = twilio.parse(request.form)
    except twilio.MalformedRequest as exc:
        log.warning("malformed inbound message: %s", exc)
        abort(400, description=str(exc))
    session = get_session()
    replies = receive(session, inbound, datetime.now(UTC), services.of().content, policy())
    session.commit()
    return twilio.twiml(replies), 200, TWIML


@bp.post("/status")
def status() -> ResponseReturnValue:
    """Take in Twilio's news of an outbound message; a sid we do not know is ignored."""
    _require_signature()
    try:
        update = twilio.parse_status(request.form)
    except twilio.MalformedRequest as exc:
        log.warning("malformed status callback: %s", exc)
        abort(400, description=str(exc))
    session = get_session()
    sending.track(session, update, datetime.now(UTC), sending.policy_for(current_app))
    session.commit()
    # Twilio wants 204, or TwiML; anything else shows as a warning in its console.
    return "", 204


@bp.post("/fallback")
def fallback() -> ResponseReturnValue:
    """Answer when the main webhook failed: a fixed safety message, no database.

    Twilio calls this only after /twilio/messages failed, often because the database
    or the app is in trouble, so it reads nothing but content already in memory. It
    sends no message of its own, only TwiML back to the sender, so it is safe to
    answer without a signature check.
    """
    log.warning("fallback used error_code=%s", request.form.get("ErrorCode", "-"))
    content = services.of().content
    try:
        country = country_of(split_channel(request.form.get("From", ""))[1])
    except AddressError:
        country = None
    language = content.language(content.language_for(country))
    return twilio.twiml([language.messages["fallback"]]), 200, TWIML


def policy() -> Policy:
    """Gather the settings the conversation use cases follow."""
    config = current_app.config
    return Policy(
        keys=services.of().keys,
        menu_timeout=timedelta(minutes=config["RESPONDER_MENU_TIMEOUT_MINUTES"]),
        episode_gap=timedelta(hours=config["RESPONDER_EPISODE_HOURS"]),
        hours=services.of().hours,
        queue_when_closed=config["RESPONDER_QUEUE_WHEN_CLOSED"],
        rate_limit=config["RESPONDER_RATE_LIMIT_PER_MINUTE"],
        ask_age=config["RESPONDER_ASK_AGE"],
        oncall=bool(config.get("RESPONDER_ONCALL_NUMBER")),
        waiting_reply_every=timedelta(minutes=config["RESPONDER_WAITING_REPLY_MINUTES"]),
    )


def signed_url() -> str:
    """Return the URL Twilio signed: PUBLIC_URL, or the proxied URL when proxies are trusted."""
    public = current_app.config.get("PUBLIC_URL")
    if public and not current_app.config["RESPONDER_TRUSTED_PROXIES"]:
        base = public + request.path
    else:
        # ProxyFix has already put the forwarded scheme, host and prefix in place.
        base = request.host_url.rstrip("/") + request.script_root + request.path
    # The raw query string, still percent-encoded, is what Twilio signed.
    return base + ("?" + request.query_string.decode() if request.query_string else "")


def _require_signature() -> None:
    token = current_app.config.get("TWILIO_AUTH_TOKEN", "")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not twilio.signature_is_valid(token, signed_url(), request.form, signature):
        log.warning("rejected request with a bad Twilio signature on %s", request.path)
        abort(403, description="invalid Twilio signature")
