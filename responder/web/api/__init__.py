"""The counsellors' JSON API under /api/v1. Views do web work only: auth, parse, call, commit."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue

from responder import errors
from responder.staff import auth, presence
from responder.store.db import get_session
from responder.web.api import wire
from responder.web.console.session import csrf_matches, signed_in_counsellor

bp = Blueprint("api", __name__, url_prefix="/api/v1")

STATUS = {
    errors.NotFound: 404,
    errors.NotPermitted: 403,
    errors.Conflict: 409,
    errors.Rejected: 422,
}
# Ids beyond the database's integer are refused by routing (404), not by the database.
CONVERSATION = "/conversations/<int(max=2147483647):conversation_id>"


@bp.before_request
def _authenticate() -> ResponseReturnValue | None:
    """Find the counsellor the request speaks for, or answer 401 with a challenge."""
    if request.endpoint == "api.openapi_document":
        return None
    session = get_session()
    token = auth.bearer_token(request.headers.get("Authorization"))
    if token:
        counsellor = auth.counsellor_for_token(session, token, wire.now())
    elif csrf_matches(request.headers.get("X-CSRF-Token")):
        # Console pages call with the session cookie. The header, read from the page,
        # shows the call comes from the console and not from another site's form.
        counsellor = signed_in_counsellor(session, wire.now())
        if counsellor is not None:
            # An open console page calls here at least once a second (the change
            # feed), which is what keeps its counsellor present. Bearer tokens do not:
            # a script holding a token says nothing about a person being there.
            presence.seen(counsellor, wire.now())
    else:
        counsellor = None
    if counsellor is None:
        challenge = 'Bearer realm="responder"'
        if token:
            challenge += ', error="invalid_token"'
        response = jsonify(
            error="send Authorization: Bearer <token>" if token is None else "unknown token"
        )
        response.headers["WWW-Authenticate"] = challenge
        return response, 401
    # Authentication is its own short unit of work: the token's last use is kept even
    # when the action then fails, and the action starts a fresh transaction.
    session.commit()
    g.counsellor = counsellor
    return None


@bp.errorhandler(errors.HandoffError)
def _handoff_error(error: errors.HandoffError) -> ResponseReturnValue:
    if isinstance(error, errors.InvalidFields):
        return jsonify(
            error=str(error), code=error.code, values=error.values, fields=error.fields
        ), 422
    # The code and its values let a client say the refusal in its own words.
    return jsonify(error=str(error), code=error.code, values=error.values), STATUS[type(error)]


# The views add themselves to bp, so they are imported once it exists.
from responder.web.api import conversations, history, me, stats, team  # noqa: E402, F401
