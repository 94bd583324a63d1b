"""A scripted Twilio REST API: an HttpClient that records requests and answers from a script.

The real twilio.rest.Client builds every request; only the HTTP exchange is faked.
Each POST to Messages.json takes the next step of the script (or is accepted when
the script is empty). Accepted messages are kept, so the list endpoint finds them
the way Twilio's would when the worker looks up an interrupted send. Each DELETE of
a message or of a media item takes the next step of its own script, `delete_script`
(or succeeds with 204 when it is empty).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from requests.exceptions import ConnectionError, ReadTimeout
from twilio.http import HttpClient
from twilio.http.response import Response

ACCOUNT = "ACe268443e43d93dab7ebef303bbe9642f"
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT}/Messages"
DELETABLE = re.compile(rf"{MESSAGES}/(SM|MM)[0-9a-f]{{32}}(/Media/ME[0-9a-f]{{32}})?\.json$")
Step = Callable[["FakeTwilio", dict[str, Any]], Response]


class Crash(BaseException):
    """The worker process dies here. Not an Exception, so nothing in the worker catches it."""


def accept(status: str = "queued") -> Step:
    """Take the message, as Twilio does with 201."""

    def step(fake: FakeTwilio, data: dict[str, Any]) -> Response:
        return Response(201, json.dumps(fake.take(data, status)))

    return step


def refuse(http_status: int, code: int | None = None, message: str = "refused") -> Step:
    """Answer an error the way Twilio does: {"code", "message", "more_info", "status"}."""

    def step(fake: FakeTwilio, data: dict[str, Any]) -> Response:
        body: dict[str, Any] = {"message": message, "status": http_status}
        if code is not None:
            body.update(code=code, more_info=f"https://www.twilio.com/docs/errors/{code}")
        return Response(http_status, json.dumps(body))

    return step


def deleted() -> Step:
    """Delete the record, as Twilio does with 204 and no body."""

    def step(fake: FakeTwilio, data: dict[str, Any]) -> Response:
        return Response(204, "")

    return step


def garbage(http_status: int = 502) -> Step:
    """Answer with a proxy's HTML page instead of Twilio's JSON."""

    def step(fake: FakeTwilio, data: dict[str, Any]) -> Response:
        return Response(http_status, "<html><body>Bad gateway</body></html>")

    return step


def fail(error: BaseException) -> Step:
    """Raise before Twilio has the message: a refused connection, a connect timeout."""

    def step(fake: FakeTwilio, data: dict[str, Any]) -> Response:
        raise error

    return step


def accept_then(error: BaseException) -> Step:
    """Twilio takes the message, then the answer is lost: a read timeout, or a crash."""

    def step(fake: FakeTwilio, data: dict[str, Any]) -> Response:
        fake.take(data, "queued")
        raise error

    return step


def timeout() -> Step:
    return fail(ReadTimeout("read timed out"))


def connection_error() -> Step:
    return fail(ConnectionError("connection refused"))


class FakeTwilio(HttpClient):
    """Twilio's Messages API, scripted; every request is kept in `requests`."""

    def __init__(
        self, clock: Callable[[], datetime] | None = None, journal: Path | None = None
    ) -> None:
        super().__init__(logging.getLogger(__name__), is_async=False)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.journal = journal
        self.requests: list[dict[str, Any]] = []
        self.script: list[Step] = []
        self.delete_script: list[Step] = []
        self.messages: list[dict[str, Any]] = []
        # Raised by every list request while set: Twilio unreachable for lookups.
        self.list_error: BaseException | None = None

    def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        call = {
            "method": method,
            "uri": uri,
            "params": dict(params or {}),
            "data": dict(data or {}),
        }
        self.requests.append(call)
        if method == "DELETE" and DELETABLE.search(uri):
            step = self.delete_script.pop(0) if self.delete_script else deleted()
            return step(self, call["data"])
        if not uri.endswith(f"{MESSAGES}.json"):
            return Response(404, json.dumps({"code": 20404, "message": "not found"}))
        if method == "GET":
            if self.list_error is not None:
                raise self.list_error
            return self._list(call["params"])
        if self.journal is not None:
            _append(self.journal, {"pid": os.getpid(), "data": call["data"]})
        step = self.script.pop(0) if self.script else accept()
        return step(self, call["data"])

    @property
    def sends(self) -> list[dict[str, Any]]:
        """The form fields of every create request, in order."""
        return [call["data"] for call in self.requests if call["method"] == "POST"]

    @property
    def deletes(self) -> list[str]:
        """The path of every delete request, in order."""
        return [urlsplit(call["uri"]).path for call in self.requests if call["method"] == "DELETE"]

    @property
    def lookups(self) -> list[dict[str, Any]]:
        """The query of every list request, in order."""
        return [call["params"] for call in self.requests if call["method"] == "GET"]

    def take(self, data: dict[str, Any], status: str) -> dict[str, Any]:
        """Keep a message as Twilio would and return its JSON."""
        now = format_datetime(self.clock().astimezone(UTC), usegmt=True)
        message = {
            # Unique across processes too, as several workers may each have a fake.
            "sid": f"SM{os.getpid():08x}{len(self.messages) + 1:024x}",
            "account_sid": ACCOUNT,
            "to": data.get("To"),
            "from": data.get("From"),
            "messaging_service_sid": data.get("MessagingServiceSid"),
            # Twilio fills a template's text in itself.
            "body": data.get("Body", "Please reply to keep talking with the helpline."),
            "status": status,
            "direction": "outbound-api",
            "date_created": now,
            "date_updated": now,
            "date_sent": now,
            "num_segments": "1",
            "api_version": "2010-04-01",
        }
        self.messages.append(message)
        return message

    def _list(self, params: dict[str, Any]) -> Response:
        since = params.get("DateSent>")
        found = [
            message
            for message in reversed(self.messages)  # Twilio lists the newest first
            if message["to"] == params.get("To")
            and ("From" not in params or message["from"] == params["From"])
            and (since is None or _rfc2822(message["date_sent"]) >= _iso(since))
        ]
        page = {
            "messages": found,
            "page": 0,
            "page_size": 50,
            "start": 0,
            "end": len(found),
            "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json",
            "first_page_uri": f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json?Page=0",
            "next_page_uri": None,
            "previous_page_uri": None,
        }
        return Response(200, json.dumps(page))


def _rfc2822(value: str) -> datetime:
    return datetime.strptime(value, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)


def _iso(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _append(journal: Path, data: dict[str, Any]) -> None:
    # One write per line with O_APPEND: lines from several processes never interleave.
    line = (json.dumps(data, sort_keys=True) + "\n").encode()
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
