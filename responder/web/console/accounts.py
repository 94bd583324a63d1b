"""The admins' accounts page: add, deactivate, reactivate and reset accounts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from responder import policies, services
from responder.staff import accounts
from responder.staff.auth import AccountError
from responder.store.db import get_session
from responder.store.models import ROLES
from responder.web.console import bp
from responder.web.console.session import signed_in
from responder.web.console.words import say

ACCOUNT = "/accounts/<int(max=2147483647):account_id>"


@bp.get("/accounts")
@signed_in("admin")
def accounts_page() -> ResponseReturnValue:
    return render_template(
        "console/accounts.html",
        now=_now(),
        accounts=accounts.list_accounts(get_session()),
        roles=ROLES,
        queue=accounts.QUEUE,
    )


@bp.post("/accounts")
@signed_in("admin")
def account_add() -> ResponseReturnValue:
    username = request.form.get("username", "").strip()
    role = request.form.get("role", "")
    max_open = current_app.config["RESPONDER_MAX_OPEN_CONVERSATIONS"]
    return _change(
        lambda db, now: accounts.add(
            db, g.counsellor, username, role, request.form.get("password", ""), max_open, now
        ),
        say("accounts.done.added", name=username),
    )


@bp.post(f"{ACCOUNT}/deactivate")
@signed_in("admin")
def account_deactivate(account_id: int) -> ResponseReturnValue:
    handover = request.form.get("handover") or None
    window = policies.presence(current_app.config)
    return _change(
        lambda db, now: accounts.deactivate(
            db, g.counsellor, account_id, now, services.of(current_app).content, handover, window
        ),
        say("accounts.done.deactivated" if handover is None else "accounts.done.deactivated_moved"),
    )


@bp.post(f"{ACCOUNT}/reactivate")
@signed_in("admin")
def account_reactivate(account_id: int) -> ResponseReturnValue:
    return _change(
        lambda db, now: accounts.reactivate(db, g.counsellor, account_id, now),
        say("accounts.done.reactivated"),
    )


@bp.post(f"{ACCOUNT}/password")
@signed_in("admin")
def account_password(account_id: int) -> ResponseReturnValue:
    password = request.form.get("password", "")
    return _change(
        lambda db, now: accounts.reset_password(db, g.counsellor, account_id, password, now),
        say("accounts.done.password"),
    )


@bp.post(f"{ACCOUNT}/two-factor/reset")
@signed_in("admin")
def account_two_factor_reset(account_id: int) -> ResponseReturnValue:
    return _change(
        lambda db, now: accounts.reset_two_factor(db, g.counsellor, account_id, now),
        say("accounts.done.two_factor"),
    )


@bp.post(f"{ACCOUNT}/sign-out")
@signed_in("admin")
def account_sign_out(account_id: int) -> ResponseReturnValue:
    return _change(
        lambda db, now: accounts.sign_out_everywhere(db, g.counsellor, account_id, now),
        say("accounts.done.signed_out"),
    )


@bp.post(f"{ACCOUNT}/tokens/<int(max=2147483647):token_id>/revoke")
@signed_in("admin")
def account_token_revoke(account_id: int, token_id: int) -> ResponseReturnValue:
    return _change(
        lambda db, now: accounts.revoke_token(db, g.counsellor, account_id, token_id, now),
        say("accounts.done.token_revoked"),
    )


def _change(action: Callable[..., object], done: str) -> ResponseReturnValue:
    """Run one change and commit it, then show the list again with what happened."""
    db = get_session()
    try:
        action(db, _now())
    except AccountError as error:
        db.rollback()
        flash(say("accounts.done.not_changed", reason=_reason(error)), "error")
    else:
        db.commit()
        flash(done)
    return redirect(url_for("console.accounts_page"))


def _reason(error: AccountError) -> str:
    # The staff room names its refusals; one it words only in English (the receiver of a
    # handover who has no room, say) is shown as it is.
    if error.code is None:
        return str(error)
    return say(f"accounts.refused.{error.code}", **error.values)


def _now() -> datetime:
    return datetime.now(UTC)
