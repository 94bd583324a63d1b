"""A pretend phone: sends messages to the webhook exactly as Twilio would, signed.

The terminal chat and the browser simulator both use it, so what a person tries
by hand goes through the same signature check, parsing and use case as real traffic.
"""

from __future__ import annotations

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
        with self.app.test_client() as client:
            response = client.post(
                path, data=form, headers={"X-Twilio-Signature": signature}, base_url=base
            )
        if response.status_code != 200:
            error = (response.get_json(silent=True) or {}).get("error", response.status)
            raise PhoneError(f"the helpline answered {response.status_code}: {error}")
        return twilio.read_twiml(response.get_data(as_text=True))
