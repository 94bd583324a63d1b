"""A helpline served on a real port, and what texters, Twilio and counsellors do to it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select
from werkzeug.serving import BaseWSGIServer, make_server

from responder import policies, services, worker
from responder.channels import twilio
from responder.store.db import get_session
from responder.store.models import Conversation, Counsellor, Message
from tests.counsellors import add_counsellor, password_of, queue_texter
from tests.fake_twilio import FakeTwilio
from tests.outbox_rows import opened
from tests.twilio_requests import ACCOUNT, HELPLINE, post_signed, sms

SCREENSHOTS = Path(__file__).parent / "screenshots"

# How long the browser tests wait for an action or what a page shows, and for a whole
# page to load; see conftest.new_context.
WAIT_MS = 10000
NAVIGATION_TIMEOUT_MS = 15000


class LiveHelpline:
    """The app on 127.0.0.1 in a background thread, with Twilio's REST API scripted.

    Texters and Twilio's callbacks go through the same app object's test client: it
    shares the database with the served app, and the signatures are Twilio's own.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.twilio = FakeTwilio()
        self.client = app.test_client()
        self.tokens: dict[str, dict[str, str]] = {}
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, closing(app), threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    def add_counsellor(self, name: str, role: str = "counsellor") -> None:
        self.tokens[name] = add_counsellor(self.app, name, role)

    def close(self, conversation_id: int) -> None:
        """Close a held conversation through the API, as the counsellor holding it."""
        owner = self.owner_of(conversation_id)
        assert owner is not None, "only a held conversation can be closed"
        response = self.client.post(
            f"/api/v1/conversations/{conversation_id}/close",
            json={"category": "violence/online_sexual_exploitation"},
            headers=self.tokens[owner],
        )
        assert response.status_code == 200, response.get_json()

    def texter_asks_for_a_person(self, sender: str) -> int:
        """Text TALK through the signed webhook; return the waiting conversation's id."""
        return queue_texter(self.client, sender)

    def texter_says(self, sender: str, text: str) -> None:
        assert post_signed(self.client, sms(text, sender=sender)).status_code == 200

    def deliver(self) -> int:
        """Deliver the outbox as the worker does, through the real twilio client; count them."""
        return worker.drain(
            services.of(self.app).sessions,
            twilio.rest(self.app.config, self.twilio),
            policies.delivery(self.app.config, services.of(self.app)),
            lambda: datetime.now(UTC),
        )

    def counsellor_messages(self, conversation_id: int) -> list[Message]:
        with self.app.app_context():
            return opened(
                get_session().scalars(
                    select(Message)
                    .where(
                        Message.conversation_id == conversation_id,
                        Message.counsellor_id.is_not(None),
                    )
                    .order_by(Message.id)
                )
            )

    def owner_of(self, conversation_id: int) -> str | None:
        """The username of the counsellor holding a conversation, if any."""
        with self.app.app_context():
            return get_session().scalar(
                select(Counsellor.username)
                .join(Conversation, Conversation.counsellor_id == Counsellor.id)
                .where(Conversation.id == conversation_id)
            )

    def report_status(
        self, message: Message, status: str, texter: str, error_code: int | None = None
    ) -> None:
        """Post Twilio's signed status callback for a message it has accepted."""
        assert message.twilio_sid is not None, "deliver the outbox first"
        form = {
            "AccountSid": ACCOUNT,
            "ApiVersion": "2010-04-01",
            "From": HELPLINE,
            "To": texter,
            "MessageSid": message.twilio_sid,
            "MessageStatus": status,
            "SmsSid": message.twilio_sid,
            "SmsStatus": status,
        }
        if error_code is not None:
            form["ErrorCode"] = str(error_code)
        response = post_signed(self.client, form, path="/twilio/status")
        assert response.status_code == 204


def closing(app: WSGIApplication) -> WSGIApplication:
    """Wrap an app so that every response is closed, even one the browser gave up on.

    When a page reloads while a static file is still on its way, Werkzeug's development
    server can fail on the dropped connection before it closes the response, and the
    open file then fails whichever test is running with a ResourceWarning. A generator
    closes what it wraps when it is collected, however the server left it.
    """

    def serve(environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        response = app(environ, start_response)
        try:
            yield from response
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()

    return serve


def log_in(page: Page, helpline: LiveHelpline, name: str) -> None:
    """Sign in through the login form and land on the queue."""
    page.goto(helpline.url + "/console/login")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(password_of(name))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(helpline.url + "/console/queue")
    # The page's deferred scripts have run once "load" fires: controls answer clicks from then on.
    page.wait_for_load_state("load")


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
