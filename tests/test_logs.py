"""Log lines: one per record, whatever a request put in the values logged."""

from __future__ import annotations

import io
import logging

from flask import Flask

FORGED = "30008\n2026-12-07 01:00:00,000 CRITICAL responder.staff: admin password reset"


def test_a_line_break_in_a_logged_value_cannot_forge_a_log_line(app: Flask) -> None:
    (handler,) = [h for h in logging.getLogger("responder").handlers if getattr(h, "responder", 0)]
    assert isinstance(handler, logging.StreamHandler)
    written = io.StringIO()
    previous = handler.setStream(written)
    try:
        # The fallback route is not signed: anyone can post to it.
        response = app.test_client().post(
            "/twilio/fallback", data={"ErrorCode": FORGED, "MessageSid": "x"}
        )
    finally:
        handler.setStream(previous)
    assert response.status_code < 500
    lines = written.getvalue().splitlines()
    (line,) = [line for line in lines if "fallback used" in line]
    assert "\\n2026-12-07 01:00:00,000 CRITICAL" in line
    assert not any(line.startswith("2026-12-07 01:00:00,000 CRITICAL") for line in lines)
