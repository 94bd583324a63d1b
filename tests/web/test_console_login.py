"""Signing in to the console: passwords, lockout, two-step codes, cookies, CSRF and headers."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from responder import services
from responder.staff import signin
from responder.store.db import get_session
from responder.store.throttle import SigninFailure
from responder.web.console import SECURITY_HEADERS
from tests.console_sessions import (
    account,
    enrolment_secret,
    form_token,
    later_code,
    post_code,
    post_password,
    session_token,
    sign_in,
    update_account,
)
from tests.counsellors import add_counsellor, queue_texter

WRONG = "Wrong username or password."
TOO_MANY = "Too many attempts: try again later."


def text(response) -> str:
    return response.get_data(as_text=True)


def open_window(app: Flask) -> None:
    """Let the refusal windows of earlier failures pass, without waiting for them."""
    with app.app_context():
        session = get_session()
        for row in session.scalars(select(SigninFailure)):
            row.wait_until = datetime.now(UTC) - timedelta(seconds=1)
        session.commit()


def failures(app: Flask) -> list[int]:
    with app.app_context():
        return [row.failures for row in get_session().scalars(select(SigninFailure))]


def me(client: FlaskClient) -> str | None:
    """Ask the API who the browser's session is, with its CSRF header; None when refused."""
    response = client.get("/api/v1/me", headers={"X-CSRF-Token": session_token(client)})
    return response.get_json()["username"] if response.status_code == 200 else None


def test_a_counsellor_signs_in_and_out(app: Flask, client: FlaskClient) -> None:
    add_counsellor(app, "alice")
    page = client.get("/console/login")
    assert page.status_code == 200
    assert 'name="username"' in text(page) and 'type="password"' in text(page)

    response = post_password(client, "alice")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"
    assert me(client) == "alice"
    # The signed-in page shows who is signed in and carries the token for scripts.
    two_factor = client.get("/console/two-factor")
    assert "alice" in text(two_factor)
    assert f'<meta name="csrf-token" content="{session_token(client)}">' in text(two_factor)

    token = form_token(two_factor)
    out = client.post("/console/logout", data={"csrf_token": token})
    assert out.status_code == 302 and out.headers["Location"] == "/console/login"
    assert "You are signed out." in text(client.get("/console/login"))
    gone = client.get("/console/two-factor")
    assert gone.status_code == 302
    assert gone.headers["Location"] == "/console/login?next=/console/two-factor"


def test_signing_out_ends_the_session_on_the_server_a_copied_cookie_included(
    app: Flask, client: FlaskClient
) -> None:
    add_counsellor(app, "alice")
    assert post_password(client, "alice").status_code == 302
    csrf = session_token(client)
    # Someone copies the cookie (a shared computer, a stolen laptop) before alice leaves.
    copy = app.test_client()
    with client.session_transaction() as held, copy.session_transaction() as copied:
        copied.update(held)
    assert me(copy) == "alice"
    token = form_token(client.get("/console/two-factor"))
    assert client.post("/console/logout", data={"csrf_token": token}).status_code == 302

    # The copy is refused everywhere: pages, API reads and API writes.
    assert copy.get("/console/queue").status_code == 302
    assert me(copy) is None
    write = copy.put(
        "/api/v1/me/availability", json={"available": True}, headers={"X-CSRF-Token": csrf}
    )
    assert write.status_code == 401


def test_the_console_home_sends_a_signed_in_counsellor_to_the_queue(
    app: Flask, client: FlaskClient
) -> None:
    add_counsellor(app, "alice")
    assert client.get("/console/").headers["Location"] == "/console/login?next=/console/"
    sign_in(client, "alice")
    response = client.get("/console/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/queue"


def test_signing_in_returns_to_the_page_asked_for_but_never_off_the_console(
    app: Flask, client: FlaskClient
) -> None:
    add_counsellor(app, "alice")
    for asked, landing in [
        ("/console/two-factor", "/console/two-factor"),
        ("https://evil.example/console/", "/console/"),
        ("//evil.example/console/", "/console/"),
        ("/api/v1/me", "/console/"),
    ]:
        token = form_token(client.get("/console/login", query_string={"next": asked}))
        response = client.post(
            "/console/login",
            data={
                "csrf_token": token,
                "username": "alice",
                "password": "password of alice",
                "next": asked,
            },
        )
        assert response.headers["Location"] == landing
        client.post("/console/logout", data={"csrf_token": session_token(client)})


@pytest.mark.parametrize("name, password", [("alice", "not her password"), ("nobody", "x" * 12)])
def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(
    app: Flask, client: FlaskClient, name: str, password: str
) -> None:
    add_counsellor(app, "alice")
    response = post_password(client, name, password)
    assert response.status_code == 403
    assert WRONG in text(response)
    assert me(client) is None


def test_failures_slow_down_the_client_that_makes_them(app: Flask, client: FlaskClient) -> None:
    add_counsellor(app, "alice")
    for _ in range(3):
        assert post_password(client, "alice", "guess").status_code == 403
    # After the third failure even the right password waits out a short window.
    refused = post_password(client, "alice")
    assert refused.status_code == 429
    assert TOO_MANY in text(refused)
    assert WRONG not in text(refused)
    with app.app_context():
        (row,) = get_session().scalars(select(SigninFailure))
        assert row.wait_until is not None
        assert timedelta(seconds=7) < row.wait_until - datetime.now(UTC) <= timedelta(seconds=8)
        # The address itself is not stored, only a keyed hash of it.
        assert "127.0.0.1" not in row.client

    # The windows grow with each failure, up to a quarter of an hour.
    for _ in range(10):
        open_window(app)
        assert post_password(client, "alice", "guess").status_code == 403
    with app.app_context():
        (row,) = get_session().scalars(select(SigninFailure))
        assert row.wait_until is not None
        assert timedelta(minutes=14) < row.wait_until - datetime.now(UTC) <= timedelta(minutes=15)
    assert post_password(client, "alice").status_code == 429

    open_window(app)
    assert post_password(client, "alice").status_code == 302
    assert me(client) == "alice"
    assert failures(app) == []  # a sign-in clears the address's count


def test_a_stranger_guessing_cannot_keep_the_owner_out(app: Flask) -> None:
    add_counsellor(app, "ada", "admin")
    stranger = app.test_client()
    for _ in range(20):
        post_password(stranger, "ada", "guess", address="203.0.113.66")
    assert post_password(stranger, "ada", "guess", address="203.0.113.66").status_code == 429
    # Ada, at her own desk, signs in with her password as usual.
    owner = app.test_client()
    assert post_password(owner, "ada", address="198.51.100.7").status_code == 302


PROXY = "10.0.0.2"


def test_behind_a_trusted_proxy_a_stranger_guessing_cannot_keep_the_team_out(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(RESPONDER_TRUSTED_PROXIES=1)
    add_counsellor(app, "ada", "admin")
    stranger, owner = app.test_client(), app.test_client()
    for _ in range(5):
        post_password(stranger, "ada", "guess", address=PROXY, forwarded_for="203.0.113.66")
    refused = post_password(stranger, "ada", address=PROXY, forwarded_for="203.0.113.66")
    assert refused.status_code == 429
    signed_in = post_password(owner, "ada", address=PROXY, forwarded_for="198.51.100.7")
    assert signed_in.status_code == 302
    assert "not trusted" not in caplog.text


def test_a_proxy_that_is_not_trusted_is_named_in_the_log_at_sign_in(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """Without RESPONDER_TRUSTED_PROXIES every browser is the proxy: one stranger's wrong
    passwords would slow the whole team, so the operator is told what to set."""
    add_counsellor(app, "ada", "admin")
    post_password(app.test_client(), "ada", "guess", address=PROXY, forwarded_for="203.0.113.66")
    (warning,) = [r for r in caplog.records if "not trusted" in r.getMessage()]
    assert "RESPONDER_TRUSTED_PROXIES" in warning.getMessage()
    assert "203.0.113.66" not in caplog.text and PROXY not in caplog.text


@pytest.mark.parametrize("attempt", range(6))
def test_a_real_name_and_an_unknown_one_get_the_same_answers(app: Flask, attempt: int) -> None:
    add_counsellor(app, "alice")
    answers = []
    for name, address in (("alice", "203.0.113.1"), ("nobody", "203.0.113.2")):
        client = app.test_client()
        for _ in range(attempt):
            post_password(client, name, "guess", address=address)
        response = post_password(client, name, "guess", address=address)
        page = text(response).replace(name, "NAME")
        # Each visitor's form carries a token of its own; the rest must be the same.
        answers.append((response.status_code, re.sub(r'value="[^"]{30,}"', "", page)))
    assert answers[0] == answers[1]


def test_a_success_clears_the_failures(app: Flask, client: FlaskClient) -> None:
    add_counsellor(app, "alice")
    for _ in range(2):
        post_password(client, "alice", "guess")
    assert failures(app) == [2]
    assert post_password(client, "alice").status_code == 302
    assert failures(app) == []


@pytest.mark.parametrize(
    "public_url, secure", [("https://helpline.example.org", True), ("http://localhost", False)]
)
def test_the_session_cookie_is_out_of_scripts_reach_and_secure_over_https(
    make_app: Callable[..., Flask], public_url: str, secure: bool
) -> None:
    app = make_app(PUBLIC_URL=public_url)
    add_counsellor(app, "alice")
    response = post_password(app.test_client(), "alice")
    cookie = response.headers["Set-Cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert "httponly" in attributes
    assert "samesite=lax" in cookie.lower()
    assert ("secure" in attributes) is secure
    assert "expires" in attributes


@pytest.mark.parametrize("path", ["/console/login", "/console/accounts", "/console/no-such-page"])
def test_console_responses_carry_the_security_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_console_errors_are_pages_without_details(client: FlaskClient) -> None:
    response = client.get("/console/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<h1>Not found</h1>" in text(response)
    assert "Traceback" not in text(response)
    # The API's errors stay JSON.
    assert client.get("/api/v1/no-such-thing").mimetype == "application/json"


@pytest.mark.parametrize("token", [None, "", "not-the-token"])
def test_a_form_without_the_right_csrf_token_is_refused(
    app: Flask, client: FlaskClient, token: str | None
) -> None:
    add_counsellor(app, "alice")
    client.get("/console/login")
    data = {"username": "alice", "password": "password of alice"}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/console/login", data=data)
    assert response.status_code == 400
    assert "This form has expired" in text(response)
    assert me(client) is None


def test_the_api_takes_the_session_cookie_only_with_the_csrf_header(
    app: Flask, client: FlaskClient
) -> None:
    add_counsellor(app, "alice")
    conversation_id = queue_texter(client)
    sign_in(client, "alice")
    token = session_token(client)

    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"X-CSRF-Token": "forged"}).status_code == 401
    claim = f"/api/v1/conversations/{conversation_id}/claim"
    refused = client.post(claim)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == 'Bearer realm="responder"'

    assert client.get("/api/v1/me", headers={"X-CSRF-Token": token}).status_code == 200
    claimed = client.post(claim, headers={"X-CSRF-Token": token})
    assert claimed.status_code == 200
    assert claimed.get_json()["state"] == "counsellor"


def test_a_supervisor_must_set_up_two_step_sign_in(app: Flask, client: FlaskClient) -> None:
    add_counsellor(app, "sam", "supervisor")
    response = post_password(client, "sam")
    assert response.headers["Location"] == "/console/login/enrol"
    # The password alone does not sign in.
    assert me(client) is None
    assert client.get("/console/two-factor").status_code == 302

    secret = enrolment_secret(client)
    page = text(client.get("/console/login/enrol"))
    assert "otpauth://totp/Helpline%20Responder:sam?secret=" + secret in page
    wrong = post_code(client, "/console/login/enrol", wrong_code(secret))
    assert wrong.status_code == 403 and signin.WRONG_CODE in text(wrong)
    assert account(app, "sam").totp_secret is None

    done = post_code(client, "/console/login/enrol", pyotp.TOTP(secret).now())
    assert done.status_code == 302 and done.headers["Location"] == "/console/"
    assert me(client) == "sam"
    # The secret is kept encrypted, never as typed.
    stored = account(app, "sam").totp_secret
    assert stored is not None and secret not in stored
    assert services.of(app).keys.decrypt(stored) == secret


def test_a_code_signs_in_once(app: Flask, client: FlaskClient) -> None:
    add_counsellor(app, "sam", "supervisor")
    secret = sign_in(client, "sam")
    assert secret is not None
    used = pyotp.TOTP(secret).now()
    client.post("/console/logout", data={"csrf_token": session_token(client)})

    response = post_password(client, "sam")
    assert response.headers["Location"] == "/console/login/code"
    again = post_code(client, "/console/login/code", used)
    assert again.status_code == 403 and signin.USED_CODE in text(again)
    wrong = post_code(client, "/console/login/code", wrong_code(secret))
    assert wrong.status_code == 403 and signin.WRONG_CODE in text(wrong)
    assert me(client) is None

    done = post_code(client, "/console/login/code", later_code(secret))
    assert done.status_code == 302
    assert me(client) == "sam"


def test_wrong_codes_slow_the_client_down_too(app: Flask, client: FlaskClient) -> None:
    add_counsellor(app, "sam", "supervisor")
    secret = sign_in(client, "sam")
    assert secret is not None
    client.post("/console/logout", data={"csrf_token": session_token(client)})
    post_password(client, "sam")
    for _ in range(3):
        post_code(client, "/console/login/code", wrong_code(secret))
    refused = post_code(client, "/console/login/code", later_code(secret))
    assert refused.status_code == 429 and TOO_MANY in text(refused)
    assert me(client) is None


def test_a_counsellor_may_turn_on_two_step_sign_in(app: Flask, client: FlaskClient) -> None:
    add_counsellor(app, "alice")
    assert sign_in(client, "alice") is None
    secret = enrolment_secret(client, "/console/two-factor")
    done = post_code(client, "/console/two-factor", pyotp.TOTP(secret).now())
    assert done.status_code == 302
    client.post("/console/logout", data={"csrf_token": session_token(client)})
    assert post_password(client, "alice").headers["Location"] == "/console/login/code"


def test_a_deactivated_account_cannot_sign_in_and_its_token_stops(
    app: Flask, client: FlaskClient
) -> None:
    bearer = add_counsellor(app, "alice")
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    update_account(app, "alice", active=False)
    refused = post_password(client, "alice")
    assert refused.status_code == 403
    assert signin.DEACTIVATED in text(refused)
    assert me(client) is None
    assert client.get("/api/v1/me", headers=bearer).status_code == 401


def test_a_session_ends_after_a_shift(app: Flask, client: FlaskClient) -> None:
    add_counsellor(app, "alice")
    sign_in(client, "alice")
    with client.session_transaction() as session:
        session["signed_in_at"] -= timedelta(hours=12, seconds=1).total_seconds()
    assert me(client) is None
    assert client.get("/console/two-factor").status_code == 302


def wrong_code(secret: str) -> str:
    """A six-digit code no step near now has."""
    totp = pyotp.TOTP(secret)
    now = datetime.now(UTC)
    near = {totp.at(now + timedelta(seconds=30 * offset)) for offset in range(-2, 3)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in near)
