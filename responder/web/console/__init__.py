"""The counsellor console: server-rendered pages under /console, for signed-in accounts."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from werkzeug.datastructures import Headers

from responder.web.console import words
from responder.web.console.session import csrf_matches, csrf_token

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    static_folder="../static",
    static_url_path="/static",
)
bp.add_app_template_global(csrf_token, "csrf_token")
bp.add_app_template_global(words.say, "t")
bp.add_app_template_global(words.language, "console_language")
bp.add_app_template_global(words.script_words, "script_words")
bp.add_app_template_global(words.LANGUAGES, "console_languages")
# Read when the app is built: a catalogue missing a phrase stops the start, not a page.
bp.record_once(lambda _state: words.catalogues())

# Texters' words are shown on these pages: only the console's own files may run or
# style anything, nothing may frame it, and nothing it shows is kept by a browser cache.
SECURITY_HEADERS = Headers(
    {
        "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_console_path(path: str) -> bool:
    """Tell whether a request path belongs to the console."""
    return path == "/console" or path.startswith("/console/")


@bp.before_request
def _check_csrf() -> None:
    # Every form that changes something carries the session's token: a page on
    # another site can make the browser post here, but cannot read the token.
    if request.method not in SAFE_METHODS and not csrf_matches(request.form.get("csrf_token")):
        abort(400, description=words.say("error.form_expired"))


@bp.after_app_request
def _secure(response: Response) -> Response:
    # On the app rather than the blueprint, so that error pages for console paths
    # no view matched are covered too.
    if is_console_path(request.path):
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
    return response


# The views add themselves to bp, so they are imported once it exists.
from responder.web.console import (  # noqa: E402, F401
    accounts,
    audit_pages,
    board_pages,
    closing,
    history,
    live,
    login,
    pages,
    preferences,
    stats_pages,
    stepping_in,
    team,
)
