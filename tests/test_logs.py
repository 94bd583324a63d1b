"""Log lines: one per record, whatever a request put in the values logged."""

from __future__ import annotations

import io
import logging

from flask import Flask

FORGED = "30008\n2026-12-07 01:00:00,000 CRITICAL responder.staff: admin password reset"


def written_lines(action) -> list[str]:  # type: ignore[no-untyped-def]
    """The lines the app's log handler writes while action runs."""
    (handler,) = [h for h in logging.getLogger("responder").handlers if getattr(h, "responder", 0)]
    assert isinstance(handler, logging.StreamHandler)
    written = io.StringIO()
    previous = handler.setStream(written)
    try:
        action()
    finally:
        handler.setStream(previous)
    return written.getvalue().splitlines()


def test_a_line_break_in_a_logged_value_cannot_forge_a_log_line(app: Flask) -> None:
    lines = written_lines(lambda: logging.getLogger("responder.web").warning("code=%s", FORGED))
    (line,) = [line for line in lines if "code=" in line]
    assert "\\n2026-12-07 01:00:00,000 CRITICAL" in line
    assert not any(line.startswith("2026-12-07 01:00:00,000 CRITICAL") for line in lines)


def test_the_unsigned_fallback_logs_only_an_error_code_shaped_like_twilios(app: Flask) -> None:
    client = app.test_client()
    for forged in (FORGED, "9" * 60_000):
        # The fallback route is not signed: anyone can post to it.
        lines = written_lines(
            lambda code=forged: client.post("/twilio/fallback", data={"ErrorCode": code})
        )
        (line,) = [line for line in lines if "fallback used" in line]
        assert line.endswith("fallback used error_code=-")
    lines = written_lines(lambda: client.post("/twilio/fallback", data={"ErrorCode": "11200"}))
    assert any(line.endswith("fallback used error_code=11200") for line in lines)
