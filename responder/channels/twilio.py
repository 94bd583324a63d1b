"""The Twilio boundary, and the only module that imports twilio.

It reads Twilio's form posts into plain values, checks their signatures and writes
TwiML. Nothing here knows about conversations or the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree

from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from responder.addresses import AddressError, split_channel
from responder.conversations import Inbound

OPT_OUT_TYPES = frozenset({"STOP", "START", "HELP"})
SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")
# Control characters other than tab and line breaks cannot be shown on a phone, and
# PostgreSQL refuses NUL in text: drop them rather than fail the message.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class MalformedRequest(ValueError):
    """The form is not a Twilio message we can act on; the message says what is wrong."""


def parse(form: Mapping[str, Any]) -> Inbound:
    """Read an inbound-message webhook form, or raise MalformedRequest."""
    sid = (form.get("MessageSid") or "").strip()
    if not SID.match(sid):
        raise MalformedRequest("MessageSid is missing or malformed")
    sender, recipient = form.get("From") or "", form.get("To") or ""
    if not sender or not recipient:
        raise MalformedRequest("From and To are required")
    try:
        channel, address = split_channel(sender)
    except AddressError as exc:
        raise MalformedRequest(f"From is not a phone number: {exc}") from None
    try:
        media_count = int(form.get("NumMedia") or 0)
    except ValueError:
        raise MalformedRequest("NumMedia is not a number") from None
    if media_count < 0:
        raise MalformedRequest("NumMedia is negative")
    # A tapped WhatsApp button or list item carries the id we gave it; the body only
    # repeats its label.
    choice = form.get("ButtonPayload") or form.get("ListId") or form.get("Body") or ""
    opt_out = (form.get("OptOutType") or "").strip().upper() or None
    return Inbound(
        channel=channel,
        address=address,
        helpline_address=recipient.strip(),
        text=CONTROL.sub("", choice),
        message_sid=sid,
        media_count=media_count,
        opt_out_type=opt_out if opt_out in OPT_OUT_TYPES else None,
    )


def signature_is_valid(token: str, url: str, form: Mapping[str, Any], signature: str) -> bool:
    """Check X-Twilio-Signature over the URL Twilio called and every posted field."""
    if not token or not signature:
        return False
    return RequestValidator(token).validate(url, form, signature)


def sign(token: str, url: str, form: Mapping[str, str]) -> str:
    """Sign a form as Twilio would, for the phone simulator and the chat command."""
    return RequestValidator(token).compute_signature(url, dict(form))


def twiml(replies: tuple[str, ...] | list[str]) -> str:
    """Render replies as TwiML; no replies is an empty <Response/>, never an empty body."""
    response = MessagingResponse()
    for reply in replies:
        response.message(reply)
    return str(response)


def read_twiml(document: str) -> list[str]:
    """Return the message bodies of a TwiML reply (what the texter's phone would show)."""
    root = ElementTree.fromstring(document)
    return [message.text or "" for message in root.iter("Message")]
