"""Twilio's webhooks. Views do web work only: check, parse, call the use case, commit, reply."""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from responder import policies, services
from responder.channels import twilio
from responder.channels.transport import split_channel
from responder.conversations import spooled
from responder.conversations.receiving import Policy, receive
from responder.delivery import status as delivery_status
from responder.errors import AddressError
from responder.privacy.addresses import country_of
from responder.store.db import get_session
from responder.store.timeouts import is_away
from responder.web import meters

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/twilio")
TWIML = {"Content-Type": "text/xml; charset=utf-8"}
ERROR_CODE = re.compile(r"[0-9]{1,6}")


@bp.post("/messages")
def messages() -> ResponseReturnValue:
    _require_signature()
    try:
        inbound = twilio.parse(request.form)
    except twilio.MalformedRequest as exc:
        log.warning("malformed inbound message: %s", exc)
        abort(400, description=str(exc))
    session, now = get_session(), datetime.now(UTC)
    try:
        replies = receive(session, inbound, now, services.of().content, policy())
        session.commit()
    except SQLAlchemyError as exc:
        if not is_away(exc):
            raise
        # The database is away or stalled: answer from content, keep the message on
        # disk for the worker to store when it is back (conversations/spooled.py).
        with contextlib.suppress(SQLAlchemyError):
            session.rollback()
        spool = policies.spool(current_app.config, services.of())
        replies = spooled.keep(spool, inbound, now, services.of().content)
    return twilio.twiml(replies), 200, TWIML


@bp.post("/status")
def status() -> ResponseReturnValue:
    """Take in Twilio's news of an outbound message; news for a sid not stored yet waits."""
    _require_signature()
    try:
        update = twilio.parse_status(request.form)
    except twilio.MalformedRequest as exc:
        log.warning("malformed status callback: %s", exc)
        abort(400, description=str(exc))
    if update.error_code is not None:
        services.of().meters.twilio_errors.labels(str(update.error_code)).inc()
    session = get_session()
    delivery = policies.delivery(current_app.config, services.of())
    delivery_status.track(session, update, datetime.now(UTC), delivery.template_sid)
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
    # Anyone can post here: only a code shaped like Twilio's (a few digits) is logged,
    # so a forged one cannot fill the log.
    code = request.form.get("ErrorCode", "")
    log.warning("fallback used error_code=%s", code if ERROR_CODE.fullmatch(code) else "-")
    content = services.of().content
    try:
        country = country_of(split_channel(request.form.get("From", ""))[1])
    except AddressError:
        country = None
    language = content.language(content.language_for(country))
    turn_to = content.crisis_help(language.code, country, None)
    return twilio.twiml([language.in_danger("fallback", turn_to)]), 200, TWIML


def policy() -> Policy:
    """Return the settings the conversation use cases follow in this app."""
    return policies.receiving(current_app.config, services.of())


def _our_host() -> bool:
    """Tell whether the request came for PUBLIC_URL's host, when one is set.

    Behind trusted proxies the signature is checked against the host they report; a
    signature Twilio made for another host (someone else's webhook) must not pass.
    """
    public = current_app.config.get("PUBLIC_URL")
    # Names only: a proxy that reports the port (X-Forwarded-Port: 443) names the same host.
    return not public or urlsplit(public).hostname == urlsplit(request.host_url).hostname


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
    if not _our_host() or not twilio.signature_is_valid(
        token, signed_url(), request.form, signature
    ):
        log.warning("rejected request with a bad Twilio signature on %s", request.path)
        services.of().meters.signature_failures.labels(meters.route()).inc()
        abort(403, description="invalid Twilio signature")
