"""API tokens: named, ending by themselves, listed and revoked, refused at once when stopped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from responder.cli import cli
from responder.staff import auth
from responder.store.db import get_session
from responder.store.models import ApiToken
from tests.counsellors import add_counsellor


def run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(cli, list(args))
    return result.exit_code, result.output


def works(app: Flask, token: str) -> bool:
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (200, 401)
    return response.status_code == 200


def test_a_named_token_is_listed_and_revoked_from_the_terminal(app: Flask) -> None:
    add_counsellor(app, "alice")  # which already gave her token-1
    code, output = run(app, "counsellor", "token", "alice", "--name", "shift-phone")
    assert code == 0
    token = output.splitlines()[0]  # then, on standard error, that it is shown only once
    assert works(app, token)

    code, listing = run(app, "counsellor", "tokens", "alice")
    assert code == 0
    lines = listing.splitlines()
    assert lines[0].split() == ["name", "made", "last", "used", "ends", "state"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"token-1", "shift-phone"} and rows["shift-phone"].endswith("works")
    assert token not in listing  # only the hash is kept; nothing shows the token again

    code, output = run(app, "counsellor", "revoke", "alice", "shift-phone")
    assert code == 0 and "revoked" in output
    assert not works(app, token)  # at once, not at the next sign-in
    _, listing = run(app, "counsellor", "tokens", "alice")
    (revoked,) = [line for line in listing.splitlines() if line.startswith("shift-phone")]
    assert revoked.endswith("revoked")


def test_a_token_ends_by_itself_after_its_days(app: Flask) -> None:
    add_counsellor(app, "alice")
    code, output = run(app, "counsellor", "token", "alice", "--days", "1")
    token = output.splitlines()[0]
    assert code == 0 and works(app, token)
    with app.app_context():
        session = get_session()
        stored = session.scalars(
            select(ApiToken).where(ApiToken.token_hash == auth.token_hash(token))
        ).one()
        assert stored.expires_at - stored.created_at == timedelta(days=1)
        stored.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.commit()
    assert not works(app, token)


def test_new_tokens_last_the_configured_days(make_app) -> None:
    app = make_app(RESPONDER_TOKEN_DAYS=7)
    add_counsellor(app, "alice")
    code, _ = run(app, "counsellor", "token", "alice", "--name", "week")
    assert code == 0
    with app.app_context():
        stored = get_session().scalars(select(ApiToken).where(ApiToken.name == "week")).one()
    assert stored.expires_at - stored.created_at == timedelta(days=7)


def test_token_names_are_the_accounts_own_and_mistakes_are_named(app: Flask) -> None:
    add_counsellor(app, "alice")
    add_counsellor(app, "bob")
    assert run(app, "counsellor", "token", "alice", "--name", "laptop")[0] == 0
    assert run(app, "counsellor", "token", "bob", "--name", "laptop")[0] == 0  # bob's own
    code, output = run(app, "counsellor", "token", "alice", "--name", "laptop")
    assert code == 1 and "already has a token named 'laptop'" in output
    code, output = run(app, "counsellor", "revoke", "alice", "desk")
    assert code == 1 and "alice has no token named 'desk'" in output
    code, output = run(app, "counsellor", "tokens", "nobody")
    assert code == 1 and "no counsellor named 'nobody'" in output
