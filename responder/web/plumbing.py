"""HTTP plumbing shared by every blueprint: proxies, request size, and error pages."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from responder import services
from responder.web import meters
from responder.web.console import SECURITY_HEADERS, is_console_path
from responder.web.console.words import catalogues, language, say

log = logging.getLogger(__name__)

BASELINE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
PAGE_POLICY = SECURITY_HEADERS["Content-Security-Policy"]
NOTHING_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Twilio's bodies are a few kilobytes; anything far larger is not from Twilio.
MAX_REQUEST_BYTES = 64 * 1024


def init_app(app: Flask) -> None:
    app.config["MAX_CONTENT_LENGTH"] = app.config.get("MAX_CONTENT_LENGTH") or MAX_REQUEST_BYTES
    proxies = app.config["RESPONDER_TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=proxies,
            x_proto=proxies,
            x_host=proxies,
            x_port=proxies,
            x_prefix=proxies,
        )
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.after_request(_baseline_headers)
    meters.init_app(app, services.of(app).meters)


def _baseline_headers(response: Response) -> Response:
    """Give every answer the headers the console's pages carry, where its route set none.

    The API's JSON, the webhooks' TwiML and /healthz are never meant to be shown as a
    page, framed or kept by a cache: their policy allows nothing at all. A page of its
    own (the phone simulator) gets the console's policy: its own files only.
    """
    for name, value in BASELINE_HEADERS.items():
        response.headers.setdefault(name, value)
    if "Content-Security-Policy" not in response.headers:
        page = response.mimetype == "text/html"
        response.headers["Content-Security-Policy"] = PAGE_POLICY if page else NOTHING_POLICY
    return response


def _http_error(error: HTTPException) -> tuple[Response | str, int, list[tuple[str, str]]]:
    # Keep the headers the error brings, such as Allow on 405 (RFC 9110 requires it).
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    if is_console_path(request.path):
        code = error.code or 500
        # Werkzeug's own words are English; a description of the helpline's is already
        # in the page's language.
        described = error.description != type(error).description
        text = error.description if described else _said(f"error.text.s{code}", "")
        return _console_page(_said(f"error.title.s{code}", error.name), text), code, headers
    return jsonify(error=error.description or error.name), error.code or 500, headers


def _unexpected_error(error: Exception) -> tuple[Response | str, int]:
    # The traceback goes to the log (which never holds message text); the caller
    # only learns that something failed. Twilio then tries the fallback URL.
    log.exception("unhandled error on %s %s", request.method, request.path)
    if is_console_path(request.path):
        return _console_page(say("error.title.s500"), say("error.text.s500")), 500
    return jsonify(error="internal error"), 500


def _said(key: str, otherwise: str) -> str:
    # Statuses the catalogue has no words for keep Werkzeug's name for them.
    return say(key) if key in catalogues()[language()] else otherwise


def _console_page(title: str, text: str | None) -> str:
    # People read the console, so its errors are pages rather than JSON.
    return render_template("console/error.html", title=title, text=text or "")
