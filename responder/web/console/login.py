"""Signing in and out of the console: password, then a TOTP code or its first setup."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from responder import services
from responder.counselling import handoff
from responder.errors import AddressError
from responder.privacy.addresses import Keys
from responder.staff import signin
from responder.store.db import get_session
from responder.store.models import Counsellor
from responder.web.console import bp
from responder.web.console.session import (
    end,
    hold,
    pending_counsellor,
    safe_next,
    signed_in,
    signed_in_counsellor,
    start,
)
from responder.web.console.words import say

log = logging.getLogger(__name__)


@bp.get("/")
@signed_in()
def index() -> ResponseReturnValue:
    return redirect(url_for("console.queue"))


@bp.get("/login")
def login() -> ResponseReturnValue:
    next_path = safe_next(request.args.get("next"))
    if signed_in_counsellor(get_session(), _now()) is not None:
        return redirect(next_path or url_for("console.index"))
    return render_template("console/login.html", next=next_path or "")


@bp.post("/login")
def login_post() -> ResponseReturnValue:
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    next_path = safe_next(request.form.get("next"))
    db, now = get_session(), _now()
    try:
        counsellor = signin.check_password(db, username, password, now, _client())
    except signin.Refused as refusal:
        db.commit()
        return _refused("console/login.html", refusal.code, username=username, next=next_path or "")
    if counsellor.totp_secret is not None:
        hold(counsellor, now, next_path)
        return redirect(url_for("console.login_code"))
    if signin.needs_two_factor(counsellor):
        hold(counsellor, now, next_path)
        return redirect(url_for("console.login_enrol"))
    signin.succeed(db, _client())
    db.commit()
    start(counsellor, now)
    return redirect(next_path or url_for("console.index"))


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> ResponseReturnValue:
    db, now = get_session(), _now()
    counsellor = pending_counsellor(db, now)
    if counsellor is None or counsellor.totp_secret is None:
        return _start_again()
    if request.method == "GET":
        return render_template("console/code.html")
    try:
        signin.check_code(db, counsellor, _keys(), request.form.get("code", ""), now, _client())
    except (signin.Refused, AddressError) as refusal:
        db.commit()
        # A code sealed with a key the helpline no longer has is as wrong as a mistyped one.
        code = refusal.code if isinstance(refusal, signin.Refused) else "wrong_code"
        return _refused("console/code.html", code)
    db.commit()
    return _finish(counsellor, now)


@bp.route("/login/enrol", methods=["GET", "POST"])
def login_enrol() -> ResponseReturnValue:
    db, now = get_session(), _now()
    counsellor = pending_counsellor(db, now)
    if counsellor is None or counsellor.totp_secret is not None:
        return _start_again()
    refusal = _enrol(counsellor, now)
    if refusal is not None:
        return refusal
    return _finish(counsellor, now)


@bp.route("/two-factor", methods=["GET", "POST"])
@signed_in()
def two_factor() -> ResponseReturnValue:
    """Let a signed-in account without a code set one up, as counsellors may choose to."""
    counsellor: Counsellor = g.counsellor
    if counsellor.totp_secret is not None:
        flash(say("enrol.already_on"))
        return redirect(url_for("console.index"))
    refusal = _enrol(counsellor, _now())
    if refusal is not None:
        return refusal
    flash(say("enrol.now_on"))
    return redirect(url_for("console.index"))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    db = get_session()
    counsellor = signed_in_counsellor(db, _now())
    if counsellor is not None:
        # Signing out is going off duty: texters are no longer told someone is here.
        handoff.sign_out(db, counsellor, _now())
        db.commit()
    end()
    flash(say("login.signed_out"))
    return redirect(url_for("console.login"))


def _enrol(counsellor: Counsellor, now: datetime) -> ResponseReturnValue | None:
    """Show a new secret, or take the first code from it; None once TOTP is on."""
    keys = _keys()
    secret = _enrol_secret(keys)
    if request.method == "GET":
        return render_template("console/enrol.html", **_enrol_context(counsellor, secret))
    db = get_session()
    try:
        signin.enrol(db, counsellor, keys, secret, request.form.get("code", ""), now, _client())
    except signin.Refused as refusal:
        db.commit()
        return _refused("console/enrol.html", refusal.code, **_enrol_context(counsellor, secret))
    db.commit()
    session.pop("enrol_secret", None)
    return None


def _enrol_secret(keys: Keys) -> str:
    """Return the secret being set up in this browser, choosing one if there is none."""
    sealed = session.get("enrol_secret")
    if isinstance(sealed, str):
        try:
            return keys.decrypt(sealed)
        except AddressError:
            pass  # sealed with a data key since retired: a new secret is shown instead
    secret = signin.new_secret()
    # Sealed with the data key: the cookie is signed, not secret.
    session["enrol_secret"] = keys.encrypt(secret)
    return secret


def _enrol_context(counsellor: Counsellor, secret: str) -> dict[str, object]:
    return {
        "secret": secret,
        "uri": signin.setup_uri(secret, counsellor.username),
        "required": signin.needs_two_factor(counsellor),
    }


def _refused(template: str, code: signin.RefusalCode, **context: object) -> ResponseReturnValue:
    """Show the form again with why the attempt was refused: 429 while waiting, else 403."""
    status = 429 if code == "too_many" else 403
    return render_template(template, error=say(f"login.refused.{code}"), **context), status


def _finish(counsellor: Counsellor, now: datetime) -> ResponseReturnValue:
    next_path = safe_next(session.get("next"))
    start(counsellor, now)
    return redirect(next_path or url_for("console.index"))


def _start_again() -> ResponseReturnValue:
    end()
    flash(say("login.start_again"))
    return redirect(url_for("console.login"))


def _keys() -> Keys:
    return services.of().keys


def _now() -> datetime:
    return datetime.now(UTC)


def _client() -> str:
    """Name the client by a keyed hash of its address (the proxies' word when trusted)."""
    if "X-Forwarded-For" in request.headers and not current_app.config["RESPONDER_TRUSTED_PROXIES"]:
        # Every browser then comes from the proxy's address: a stranger's wrong passwords
        # would make the whole team wait. Said at each attempt, which are few.
        log.warning(
            "sign-in through a proxy that is not trusted: every browser shares its address "
            "for the sign-in slowdown; set RESPONDER_TRUSTED_PROXIES"
        )
    return _keys().hash(request.remote_addr or "unknown")
