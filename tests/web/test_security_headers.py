"""Every answer carries the security headers, not only the console's pages."""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from tests.twilio_requests import post_signed, sms


def carries_the_baseline(response: TestResponse) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "ask",
    [
        lambda client: client.get("/healthz"),
        lambda client: client.get("/api/v1/openapi.json"),
        lambda client: client.get("/api/v1/queue"),  # refused: no token
        lambda client: post_signed(client, sms("hi")),
        lambda client: client.post("/twilio/fallback", data={"Body": "hi"}),
        lambda client: client.post("/twilio/status", data={}),  # unsigned: refused
        lambda client: client.get("/nowhere"),
    ],
)
def test_answers_that_are_not_pages_allow_nothing(app: Flask, ask) -> None:
    response = ask(app.test_client())
    carries_the_baseline(response)
    policy = response.headers["Content-Security-Policy"]
    if response.mimetype != "text/html":
        assert policy.startswith("default-src 'none'")


def test_the_console_keeps_its_own_policy(app: Flask) -> None:
    response = app.test_client().get("/console/login")
    carries_the_baseline(response)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
