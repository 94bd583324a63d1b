"""The transport port: what the helpline receives and hands over, whatever the provider.

The use cases and the outbox speak these values only; channels/twilio.py turns Twilio's
forms and REST answers into them, and the simulator transport stands in for Twilio when a
development machine has no credentials. The port imports nothing of the helpline, so an
adapter that imports it cannot pull a use case in behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import phonenumbers

from responder.errors import AddressError

# Rate limits and full queues: Twilio will take the message later.
RETRY_CODES = frozenset({20003, 20429, 21611, 30001, 63018})


@dataclass(frozen=True)
class Inbound:
    """One message as the helpline sees it, whatever channel it came by."""

    channel: str  # "sms" or "whatsapp"
    address: str  # the texter's number, E.164
    helpline_address: str  # the helpline address written to, as the provider gives it
    text: str
    message_sid: str
    media_count: int = 0
    opt_out_type: str | None = None  # STOP/START/HELP when the provider has already replied
    media_sids: tuple[str, ...] = ()  # the provider's ids of the attached media, to delete them


@dataclass(frozen=True)
class Sent:
    """A message the provider has taken: its sid (none in the simulator) and first status."""

    sid: str | None
    status: str


class SendFailed(Exception):
    """The provider refused the message or could not be reached.

    reason is safe to store and show: it never holds a number or message text.
    """

    def __init__(self, reason: str, code: int | None = None, http_status: int | None = None):
        super().__init__(reason)
        self.reason, self.code, self.http_status = reason, code, http_status

    @property
    def outcome_unknown(self) -> bool:
        """No answer, or a server error: the provider may have taken the message anyway."""
        return self.http_status is None or self.http_status >= 500

    @property
    def worth_retrying(self) -> bool:
        """Passing trouble: no clear answer, a rate limit, a full queue, refused credentials."""
        return self.outcome_unknown or self.http_status == 429 or self.code in RETRY_CODES


@dataclass(frozen=True)
class StatusUpdate:
    """A status callback: which message, its new status, and Twilio's error code if any."""

    sid: str
    status: str
    error_code: int | None = None


class Transport(Protocol):
    """Where the worker hands messages over: Twilio's REST API, or the phone simulator."""

    def send(self, to: str, sender: str, body: str | None, content_sid: str | None) -> Sent:
        """Hand one message over (a body, or a template by content_sid); raise SendFailed."""
        ...

    def lookup(self, to: str, sender: str, body: str | None, since: datetime) -> list[Sent]:
        """Return the messages sent to `to` from `sender` since then with this body, oldest first.

        A template (body None) matches any message the helpline sent through the API.
        """
        ...

    def notify(self, to: str, sender: str, body: str) -> Sent:
        """Text the helpline's own staff (an on-call alert); raise SendFailed."""
        ...

    def delete(self, message_sid: str, media_sid: str | None) -> None:
        """Delete a message record, or one media item of it, at the provider; raise SendFailed."""
        ...


def split_channel(address: str) -> tuple[str, str]:
    """Split a Twilio address into its channel and the E.164 number."""
    address = address.strip()
    if address.lower().startswith("whatsapp:"):
        return "whatsapp", normalise(address.split(":", 1)[1])
    return "sms", normalise(address)


def normalise(number: str) -> str:
    """Return the number in E.164, or raise AddressError."""
    number = number.strip()
    if not number.startswith("+"):
        raise AddressError("a phone number must start with +")
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        raise AddressError("not a phone number") from None
    if not phonenumbers.is_possible_number(parsed):
        raise AddressError("not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
