"""The baseline: a bare Flask app under the same gunicorn that answers every message alike.

It does what any webhook must (parse the form, answer TwiML) and nothing the helpline
adds (signature check, database, menu), so the ratio to it shows the helpline's cost.
"""

from __future__ import annotations

from flask import Flask, request

REPLY = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    "<Response><Message>Hi, this is a free, private helpline.</Message></Response>"
)


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/twilio/messages")
    def messages() -> tuple[str, int, dict[str, str]]:
        # Read the form as the real webhook does, so both pay for parsing it.
        request.form.get("Body")
        return REPLY, 200, {"Content-Type": "text/xml; charset=utf-8"}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
