"""Files the helpline hands over to be saved: exports, transcripts."""

from __future__ import annotations

from flask import Response


def attachment(text: str, mimetype: str, name: str) -> Response:
    """A file the browser saves under name; what it holds is sensitive, so nothing keeps a copy."""
    response = Response(text, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
