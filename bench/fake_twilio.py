"""A stand-in for Twilio's REST Messages API over real HTTP, for the worker processes.

The workers reach it through twilio-python exactly as they would reach Twilio, by
TWILIO_API_BASE_URL: they create messages, list a texter's latest messages to find
a send that was interrupted, and delete records. It checks the account's basic
auth, takes every message at once (201, status "queued", a fresh sid) and keeps what
it took in memory for the bench to count. Numbers and bodies stay there: only
counts are ever printed.

Like Twilio it then reports each message's progress to the status callback the
worker asked for: "sent" callback_delay seconds after taking it, "delivered" twice
that, each on its own timer, so the two can arrive in either order as Twilio's may.
The callback address is the helpline's public one; forward() says which instances
stand behind it, and each callback goes to one of them at random, signed as Twilio
signs it, as a load balancer would pass it on.
"""

from __future__ import annotations

import base64
import json
import random
import re
import threading
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from twilio.request_validator import RequestValidator

ACCOUNT_PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/")
MESSAGES = re.compile(r"^Messages\.json$")
ONE_MESSAGE = re.compile(r"^Messages/((?:SM|MM)[0-9a-fA-F]{32})\.json$")
ONE_MEDIA = re.compile(r"^Messages/((?:SM|MM)[0-9a-fA-F]{32})/Media/(ME[0-9a-fA-F]{32})\.json$")
PAGE_SIZE = 50


@dataclass
class Taken:
    """One message the fake accepted, as Twilio would keep it."""

    sid: str
    to: str
    sender: str
    body: str
    created: datetime
    deleted: bool = False

    def resource(self, account: str) -> dict[str, object]:
        """The JSON Twilio answers for a message: the fields twilio-python reads."""
        stamp = format_datetime(self.created, usegmt=True)
        return {
            "sid": self.sid,
            "account_sid": account,
            "to": self.to,
            "from": self.sender,
            "messaging_service_sid": None,
            "body": self.body,
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": "1",
            "num_media": "0",
            "date_created": stamp,
            "date_updated": stamp,
            "date_sent": stamp,
            "error_code": None,
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{self.sid}.json",
            "subresource_uris": {},
        }


class FakeTwilio:
    """Twilio's Messages API on 127.0.0.1, served from a thread of the bench process."""

    def __init__(self, account_sid: str, auth_token: str, callback_delay: float = 1.0) -> None:
        self.account_sid = account_sid
        self._validator = RequestValidator(auth_token)
        self._credentials = "Basic " + base64.b64encode(
            f"{account_sid}:{auth_token}".encode()
        ).decode("ascii")
        self._lock = threading.Lock()
        self.taken: list[Taken] = []
        self.lookups = 0
        self.deletions = 0
        self.refused = 0  # wrong credentials or an unknown path: a worker misconfigured
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.callback_delay = callback_delay
        # Status callbacks on their timers, and how many have not been answered yet.
        self._timers: list[threading.Timer] = []
        self._outstanding = 0
        self._answered = threading.Condition(self._lock)
        self._public: str | None = None
        self._instances: list[str] = []
        self._rng = random.Random(17)
        self.callback_answers: Counter[int | None] = Counter()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def forward(self, public_url: str, instances: list[str]) -> None:
        """Pass status callbacks for public_url on to these instances, one at random each."""
        self._public, self._instances = public_url.rstrip("/"), instances

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        with self._lock:
            timers = list(self._timers)
        for timer in timers:
            timer.cancel()

    def wait_for_callbacks(self, timeout: float) -> bool:
        """Wait until every status callback has been answered; False if time ran out."""
        with self._answered:
            return self._answered.wait_for(lambda: self._outstanding == 0, timeout)

    def sent(self) -> list[Taken]:
        with self._lock:
            return list(self.taken)

    def _create(self, form: dict[str, str]) -> tuple[int, dict[str, object]]:
        message = Taken(
            sid=f"SM{uuid.uuid4().hex}",
            to=form.get("To", ""),
            sender=form.get("From") or form.get("MessagingServiceSid", ""),
            # Twilio fills in a template's own text; the bench sends none.
            body=form.get("Body", ""),
            created=datetime.now(UTC).replace(microsecond=0),
        )
        with self._lock:
            self.taken.append(message)
        callback = form.get("StatusCallback")
        if callback:
            for step, status in enumerate(("sent", "delivered"), 1):
                self._report(callback, self._progress(message, status), step * self.callback_delay)
        return HTTPStatus.CREATED, message.resource(self.account_sid)

    def _progress(self, message: Taken, status: str) -> dict[str, str]:
        """The form of a status callback, with the fields Twilio posts."""
        return {
            "SmsSid": message.sid,
            "SmsStatus": status,
            "MessageStatus": status,
            "To": message.to,
            "MessageSid": message.sid,
            "AccountSid": self.account_sid,
            "From": message.sender,
            "ApiVersion": "2010-04-01",
        }

    def _report(self, url: str, form: dict[str, str], delay: float) -> None:
        """Post a status callback after delay seconds, from a timer of its own."""

        def post() -> None:
            try:
                self._post(url, form)
            finally:
                with self._answered:
                    self._outstanding -= 1
                    self._answered.notify_all()

        timer = threading.Timer(delay, post)
        timer.daemon = True
        with self._lock:
            self._outstanding += 1
            self._timers.append(timer)
        timer.start()

    def _post(self, url: str, form: dict[str, str]) -> None:
        target = url
        if self._public and self._instances and url.startswith(self._public + "/"):
            target = self._rng.choice(self._instances) + url[len(self._public) :]
        request = urllib.request.Request(
            target,
            data=urlencode(form).encode(),
            # Signed over the address the worker gave, which is the one Twilio would call,
            # and sent with its Host, as the load balancer in front of the instances would.
            headers={
                "X-Twilio-Signature": self._validator.compute_signature(url, form),
                "Host": urlsplit(url).netloc,
            },
        )
        status: int | None
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = None
        with self._lock:
            self.callback_answers[status] += 1

    def _list(self, query: dict[str, str]) -> tuple[int, dict[str, object]]:
        """The latest messages to a number, newest first, as the worker's lookup reads them."""
        since = _iso(query["DateSent>"]) if "DateSent>" in query else None
        with self._lock:
            self.lookups += 1
            found = [
                message.resource(self.account_sid)
                for message in reversed(self.taken)
                if not message.deleted
                and message.to == query.get("To")
                and query.get("From", message.sender) == message.sender
                and (since is None or message.created >= since)
            ][: int(query.get("PageSize", PAGE_SIZE))]
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        return HTTPStatus.OK, {
            "messages": found,
            "page": 0,
            "page_size": len(found),
            "start": 0,
            "end": len(found),
            "uri": uri,
            "first_page_uri": uri + "?Page=0",
            "next_page_uri": None,
            "previous_page_uri": None,
        }

    def _find(self, sid: str) -> Taken | None:
        with self._lock:
            return next((m for m in self.taken if m.sid == sid and not m.deleted), None)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as twilio-python reuses its connections.
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                # The request line of a lookup holds a texter's number: log nothing.
                return None

            def do_POST(self) -> None:
                route = self._route()
                if route is None:
                    return
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                if MESSAGES.match(route):
                    self._answer(*fake._create(form))
                else:
                    self._not_found()

            def do_GET(self) -> None:
                route = self._route()
                if route is None:
                    return
                if MESSAGES.match(route):
                    query = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
                    self._answer(*fake._list(query))
                elif (found := ONE_MESSAGE.match(route)) and (taken := fake._find(found[1])):
                    self._answer(HTTPStatus.OK, taken.resource(fake.account_sid))
                else:
                    self._not_found()

            def do_DELETE(self) -> None:
                route = self._route()
                if route is None:
                    return
                whole, media = ONE_MESSAGE.match(route), ONE_MEDIA.match(route)
                taken = fake._find((whole or media)[1]) if whole or media else None
                if taken is None:
                    # The worker takes 404 as "already gone", as Twilio means it.
                    self._not_found()
                    return
                with fake._lock:
                    fake.deletions += 1
                    taken.deleted = taken.deleted or whole is not None
                self.send_response(HTTPStatus.NO_CONTENT)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _route(self) -> str | None:
                """The path after the account, once the account and its credentials check out."""
                path = urlsplit(self.path).path
                account = ACCOUNT_PATH.match(path)
                if self.headers.get("Authorization") != fake._credentials or (
                    account is None or account[1] != fake.account_sid
                ):
                    with fake._lock:
                        fake.refused += 1
                    self._answer(
                        HTTPStatus.UNAUTHORIZED,
                        {"code": 20003, "message": "Authenticate", "status": 401},
                    )
                    return None
                return path[account.end() :]

            def _not_found(self) -> None:
                self._answer(
                    HTTPStatus.NOT_FOUND,
                    {
                        "code": 20404,
                        "message": "The requested resource was not found",
                        "status": 404,
                    },
                )

            def _answer(self, status: int, document: dict[str, object]) -> None:
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


def _iso(value: str) -> datetime:
    """Read the DateSent> filter twilio-python writes (ISO 8601, UTC)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
