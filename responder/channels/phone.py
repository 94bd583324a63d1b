"""A pretend phone: sends messages to the webhook exactly as Twilio would, signed.

The terminal chat and the browser simulator both use it, so what a person tries
by hand goes through the same signature check, parsing and use case as real traffic.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass

from flask import Flask

from responder.channels import twilio

DEFAULT_NUMBER = "+447700900123"  # an Ofcom drama number: never a real person
HELPLINE_NUMBER = "+15005550006"  # Twilio's magic test number
LOCAL_URL = "http://localhost"


class PhoneError(RuntimeError):
    """The helpline refused the message; the text says why."""


@dataclass
class Phone:
    app: Flask
    number: str = DEFAULT_NUMBER
    channel: str = "sms"

    def send(self, text: str, media: int = 0) -> list[str]:
        """Send one message and return the replies as the phone would show them."""
        prefix = "whatsapp:" if self.channel == "whatsapp" else ""
        sid = ("MM" if media else "SM") + uuid.uuid4().hex
        form = {
            "MessageSid": sid,
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "AccountSid": self.app.config.get("TWILIO_ACCOUNT_SID") or "AC" + "0" * 32,
            "From": prefix + self.number,
            "To": prefix + HELPLINE_NUMBER,
            "Body": text,
            "NumMedia": str(media),
            "NumSegments": "1",
            "SmsStatus": "received",
            "ApiVersion": "2010-04-01",
        }
        if self.channel == "whatsapp":
            form["WaId"] = self.number.lstrip("+")
        base = self.app.config.get("PUBLIC_URL") or LOCAL_URL
        path = "/twilio/messages"
        signature = twilio.sign(self.app.config["TWILIO_AUTH_TOKEN"], base + path, form)
        # A context of its own, as a real request has: the terminal chat runs inside the
        # command's, and a session kept there would hold stale rows (and, on SQLite, a
        # read's write lock) from one message to the next.
        with self.app.app_context(), self.app.test_client() as client:
            response = client.post(
                path, data=form, headers={"X-Twilio-Signature": signature}, base_url=base
            )
        if response.status_code != 200:
            error = (response.get_json(silent=True) or {}).get("error", response.status)
            raise PhoneError(f"the helpline answered {response.status_code}: {error}")
        return twilio.read_twiml(response.get_data(as_text=True))


@dataclass(frozen=True)
class Delivered:
    """A message the helpline sent the phone through the outbox, not as a webhook reply."""

    body: str | None  # None: the WhatsApp template inviting the texter back
    counsellor: bool


class Inbox:
    """What reaches one phone later: a counsellor's words, reminders, the end of a chat.

    Bot replies come back in the webhook's own answer; everything else goes through the
    outbox, and in development the simulator transport ends it in the phone simulator's
    feed. The inbox reads that same feed, from the moment it opens, each message once.
    """

    def __init__(self, app: Flask, number: str) -> None:
        self.app = app
        self.number = number
        # The terminal chat reads from a thread while it waits for a line and again
        # after each reply; the lock keeps one cursor, so nothing shows twice.
        self._lock = threading.Lock()
        self._cursor = self._read(None)["cursor"]

    @classmethod
    def of(cls, app: Flask, number: str) -> Inbox | None:
        """The phone's inbox, or None where the simulator is off (production sends for real)."""
        return cls(app, number) if "simulator" in app.blueprints else None

    def new(self) -> list[Delivered]:
        """Return what arrived since the last call, oldest first."""
        with self._lock:
            data = self._read(self._cursor)
            self._cursor = data["cursor"]
        return [Delivered(item["body"], item["counsellor"]) for item in data["messages"]]

    def _read(self, after: int | None) -> dict:
        query = {"from": self.number} | ({} if after is None else {"after": str(after)})
        # Its own context, as in send, and closed before the response: closing the
        # response runs development delivery, which must not wait on this read's session.
        with self.app.app_context():
            response = self.app.test_client().get("/simulator/messages", query_string=query)
        with response:
            if response.status_code != 200:
                raise PhoneError(f"the phone simulator answered {response.status_code}")
            return response.get_json()
