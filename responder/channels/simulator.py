"""The simulator transport: development without Twilio credentials.

Every message "goes" to the phone simulator page, which reads the outbox itself, so
handing over succeeds at once and nothing is ever held at a provider.
"""

from __future__ import annotations

from datetime import datetime

from responder.channels.transport import Sent


class Simulator:
    """Development without Twilio credentials: every message reaches the phone simulator."""

    def send(self, to: str, sender: str, body: str | None, content_sid: str | None) -> Sent:
        return Sent(None, "simulated")

    def lookup(self, to: str, sender: str, body: str | None, since: datetime) -> list[Sent]:
        return []

    def notify(self, to: str, sender: str, body: str) -> Sent:
        # The simulator shows texters' conversations only: an alert has no place there.
        return Sent(None, "simulated")

    def delete(self, message_sid: str, media_sid: str | None) -> None:
        # Nothing was ever stored at a provider, so there is nothing to delete.
        return None
