"""The Twilio boundary, and the only module that imports twilio.

It reads Twilio's form posts into plain values, checks their signatures, writes
TwiML, and sends through the REST API for the worker. Nothing here knows about
conversations or the database.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from twilio.base import values
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from responder.channels.transport import Inbound, SendFailed, Sent, StatusUpdate, split_channel
from responder.errors import AddressError

OPT_OUT_TYPES = frozenset({"STOP", "START", "HELP"})
SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")
MEDIA_SID = re.compile(r"ME[0-9a-fA-F]{32}")
MEDIA_URL_FIELD = re.compile(r"MediaUrl([0-9]+)")
# Twilio carries at most 10 media items in one message; far more is not Twilio.
MAX_MEDIA = 100
MAX_ADDRESS = 64  # the longest address a conversation column holds
# Control characters other than tab and line breaks cannot be shown on a phone, and
# PostgreSQL refuses NUL in text: drop them rather than fail the message.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# twilio-python waits for ever by default; the worker's lease must outlast two calls.
HTTP_TIMEOUT = 20.0
# Without this the client reads TWILIO_REGION and TWILIO_EDGE from the process, and
# they rewrite every host, TWILIO_API_BASE_URL's too. An empty mapping would not do:
# twilio-python falls back to os.environ when given one.
NO_REGION = {"TWILIO_REGION": "", "TWILIO_EDGE": ""}
# An interrupted send is looked for among this many latest messages to the texter.
LOOKUP_LIMIT = 50


class MalformedRequest(ValueError):
    """The form is not a Twilio message we can act on; the message says what is wrong."""


def parse(form: Mapping[str, Any]) -> Inbound:
    """Read an inbound-message webhook form, or raise MalformedRequest."""
    sid = (form.get("MessageSid") or "").strip()
    if not SID.match(sid):
        raise MalformedRequest("MessageSid is missing or malformed")
    sender, recipient = form.get("From") or "", (form.get("To") or "").strip()
    if not sender or not recipient:
        raise MalformedRequest("From and To are required")
    # The helpline's own number is stored with the conversation: bounded like its column.
    if len(recipient) > MAX_ADDRESS or CONTROL.search(recipient):
        raise MalformedRequest("To is not an address the helpline could have")
    try:
        channel, address = split_channel(sender)
    except AddressError as exc:
        raise MalformedRequest(f"From is not a phone number: {exc}") from None
    try:
        media_count = int(form.get("NumMedia") or 0)
    except ValueError:
        raise MalformedRequest("NumMedia is not a number") from None
    if not 0 <= media_count <= MAX_MEDIA:
        raise MalformedRequest(f"NumMedia is not between 0 and {MAX_MEDIA}")
    # A tapped WhatsApp button or list item carries the id we gave it; the body only
    # repeats its label.
    choice = form.get("ButtonPayload") or form.get("ListId") or form.get("Body") or ""
    opt_out = (form.get("OptOutType") or "").strip().upper() or None
    return Inbound(
        channel=channel,
        address=address,
        helpline_address=recipient,
        text=CONTROL.sub("", choice),
        message_sid=sid,
        media_count=media_count,
        opt_out_type=opt_out if opt_out in OPT_OUT_TYPES else None,
        media_sids=media_sids(form),
    )


def media_sids(form: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the sids of the media items attached to an inbound message, in order.

    Each MediaUrlN ends in .../Messages/MM.../Media/ME...; only the sid is taken, and
    the media itself is never fetched. Every MediaUrlN field is read, whatever
    NumMedia says, and a URL of any other shape is passed over.
    """
    fields = sorted(
        (int(found.group(1)), name)
        for name in form
        if (found := MEDIA_URL_FIELD.fullmatch(name)) is not None
    )
    # Split by hand: urlsplit raises on some malformed hosts, and a bad URL is only skipped.
    urls = (str(form.get(name) or "") for _, name in fields)
    paths = (re.split(r"[?#]", url, maxsplit=1)[0].split("/") for url in urls)
    sids = (
        path[-1] for path in paths if path[-2:-1] == ["Media"] and MEDIA_SID.fullmatch(path[-1])
    )
    return tuple(dict.fromkeys(sids))


def signature_is_valid(token: str, url: str, form: Mapping[str, Any], signature: str) -> bool:
    """Check X-Twilio-Signature over the URL Twilio called and every posted field.

    twilio's own check signs the URL twice, with and without its port, and reads the
    form field by field through a fallback that raises for each. A request signed over
    the URL as given, as Twilio signs it, passes on one signature over the fields read
    once; any other goes through twilio's check, which accepts exactly what it did.
    """
    if not token or not signature:
        return False
    validator = RequestValidator(token)
    fields = _Fields((name, _values(form, name)) for name in form)
    # As bytes: compare_digest refuses strings with other than ASCII in them.
    if hmac.compare_digest(validator.compute_signature(url, fields).encode(), signature.encode()):
        return True
    return validator.validate(url, form, signature)


class _Fields(dict[str, list[str]]):
    """A form's fields with every value of each, read the way twilio reads a form first."""

    def getall(self, name: str) -> list[str]:
        return self[name]


def _values(form: Mapping[str, Any], name: str) -> list[str]:
    getlist = getattr(form, "getlist", None)
    return getlist(name) if getlist is not None else [form[name]]


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


def parse_status(form: Mapping[str, Any]) -> StatusUpdate:
    """Read a status-callback form, or raise MalformedRequest."""
    sid = (form.get("MessageSid") or "").strip()
    if not SID.match(sid):
        raise MalformedRequest("MessageSid is missing or malformed")
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if not status:
        raise MalformedRequest("MessageStatus is missing")
    code = (form.get("ErrorCode") or "").strip()
    if code and not code.isdigit():
        raise MalformedRequest("ErrorCode is not a number")
    return StatusUpdate(sid=sid, status=status, error_code=int(code) if code else None)


class Rest:
    """Twilio's REST API, as the worker's transport."""

    def __init__(
        self, client: Client, status_callback: str | None, messaging_service_sid: str | None
    ) -> None:
        self.client = client
        self.status_callback = status_callback
        self.messaging_service_sid = messaging_service_sid

    def send(self, to: str, sender: str, body: str | None, content_sid: str | None) -> Sent:
        """Create the message at Twilio, or raise SendFailed."""
        fields: dict[str, Any] = {"to": to, "status_callback": self.status_callback or values.unset}
        fields.update(self._sender(sender))
        if content_sid is not None:
            fields["content_sid"] = content_sid
        else:
            fields["body"] = body
        try:
            created = self.client.api.account.messages.create(**fields)
        except (TwilioException, OSError, ValueError) as exc:
            raise _failure(exc) from None
        return Sent(created.sid, created.status or "queued")

    def notify(self, to: str, sender: str, body: str) -> Sent:
        """Text the helpline's own staff, or raise SendFailed.

        No status callback: the message is no texter's, and /twilio/status would
        find no outbox message for it.
        """
        try:
            created = self.client.api.account.messages.create(
                to=to, body=body, **self._sender(sender)
            )
        except (TwilioException, OSError, ValueError) as exc:
            raise _failure(exc) from None
        return Sent(created.sid, created.status or "queued")

    def delete(self, message_sid: str, media_sid: str | None) -> None:
        """Delete a message record at Twilio, or one media item of it; raise SendFailed."""
        message = self.client.api.account.messages(message_sid)
        try:
            if media_sid is None:
                message.delete()
            else:
                message.media(media_sid).delete()
        except (TwilioException, OSError, ValueError) as exc:
            raise _failure(exc) from None

    def lookup(self, to: str, sender: str, body: str | None, since: datetime) -> list[Sent]:
        """Return the API-sent messages to `to` since then with this body, oldest first."""
        try:
            # One page is enough and one request is all a lookup costs: the send began
            # minutes ago, so it is among the latest messages to this texter.
            page = self.client.api.account.messages.page(
                to=to, date_sent_after=since, page_size=LOOKUP_LIMIT, **self._sender(sender)
            )
            listed = list(page)
        except (TwilioException, OSError, ValueError) as exc:
            raise _failure(exc) from None
        found = [
            Sent(message.sid, message.status or "queued")
            for message in listed
            # TwiML replies go from the same number to the same texter: only a
            # message created through the API can be the interrupted send.
            if message.direction == "outbound-api"
            and (body is None or message.body == body)
            and (message.date_created is None or message.date_created >= since)
        ]
        return found[::-1]  # Twilio lists the newest first

    def _sender(self, sender: str) -> dict[str, str]:
        # A Messaging Service picks the SMS number from its pool itself.
        if self.messaging_service_sid and not sender.startswith("whatsapp:"):
            return {"messaging_service_sid": self.messaging_service_sid}
        return {"from_": sender}


def rest(config: Mapping[str, Any], http_client: HttpClient | None = None) -> Rest:
    """Build the REST transport from the settings; tests pass an HttpClient scripting Twilio."""
    if http_client is None:
        # twilio-python logs each request's URL at INFO, and a lookup's URL holds the
        # texter's number: give it a logger of its own that only speaks up on trouble.
        quiet = logging.getLogger(__name__ + ".http")
        quiet.setLevel(logging.WARNING)
        http_client = TwilioHttpClient(timeout=HTTP_TIMEOUT, logger=quiet)
    client = Client(
        config["TWILIO_ACCOUNT_SID"],
        config["TWILIO_AUTH_TOKEN"],
        http_client=http_client,
        environment=dict(NO_REGION),
    )
    client.api.base_url = config["TWILIO_API_BASE_URL"].rstrip("/")
    public = config.get("PUBLIC_URL")
    return Rest(
        client,
        status_callback=public + "/twilio/status" if public else None,
        messaging_service_sid=config.get("TWILIO_MESSAGING_SERVICE_SID"),
    )


def _failure(exc: Exception) -> SendFailed:
    """Turn what twilio-python raised into a SendFailed that holds no number or text."""
    if isinstance(exc, TwilioRestException | TwilioServiceException):
        # Without a Twilio code in the answer, twilio-python repeats the HTTP status.
        code = exc.code if isinstance(exc.code, int) and exc.code >= 10000 else None
        return SendFailed(f"Twilio answered HTTP {exc.status}", code, exc.status)
    if isinstance(exc, OSError):
        # requests' connection errors and timeouts are OSErrors.
        return SendFailed(f"could not reach Twilio ({type(exc).__name__})")
    return SendFailed("Twilio's answer could not be read")
