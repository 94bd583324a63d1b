"""Signing in to the console through its forms, as a browser does, for the console tests."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from responder.store.db import get_session
from responder.store.models import Counsellor
from tests.counsellors import password_of

HIDDEN_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET = re.compile(r'<p class="secret"><code>([A-Z2-7]+)</code></p>')


def form_token(page: TestResponse) -> str:
    """Read the CSRF token a page's forms carry."""
    found = HIDDEN_TOKEN.search(page.get_data(as_text=True))
    assert found, "the page has a form with a CSRF token"
    return html.unescape(found.group(1))


def session_token(client: FlaskClient) -> str:
    """Read the signed-in session's CSRF token, as console pages put it in their meta tag."""
    with client.session_transaction() as session:
        return session["csrf"]


def post_password(
    client: FlaskClient,
    name: str,
    password: str | None = None,
    address: str = "127.0.0.1",
    forwarded_for: str | None = None,
) -> TestResponse:
    """Fill in and send the sign-in form, from the given client address; through a proxy
    when forwarded_for is given (the browser's address, as the proxy reports it)."""
    token = form_token(client.get("/console/login"))
    return client.post(
        "/console/login",
        data={
            "csrf_token": token,
            "username": name,
            "password": password_of(name) if password is None else password,
        },
        environ_base={"REMOTE_ADDR": address},
        headers={"X-Forwarded-For": forwarded_for} if forwarded_for else {},
    )


def post_code(client: FlaskClient, path: str, code: str) -> TestResponse:
    """Send a TOTP code to the code or setup page the browser was sent to."""
    return client.post(path, data={"csrf_token": form_token(client.get(path)), "code": code})


def enrolment_secret(client: FlaskClient, path: str = "/console/login/enrol") -> str:
    """Read the TOTP setup key a setup page shows."""
    found = SECRET.search(client.get(path).get_data(as_text=True))
    assert found, "the setup page shows the key"
    return found.group(1)


def sign_in(client: FlaskClient, name: str) -> str | None:
    """Sign in with the account's test password, setting up TOTP where the role needs it.

    Returns the TOTP secret when one was set up.
    """
    response = post_password(client, name)
    assert response.status_code == 302, response.get_data(as_text=True)
    if response.headers["Location"] != "/console/login/enrol":
        return None
    secret = enrolment_secret(client)
    done = post_code(client, "/console/login/enrol", pyotp.TOTP(secret).now())
    assert done.status_code == 302, done.get_data(as_text=True)
    return secret


def later_code(secret: str, steps: int = 1) -> str:
    """A code of a time step yet to come, still inside the window the console accepts."""
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30 * steps))


def account(app: Flask, name: str) -> Counsellor:
    """Read an account as it is stored now."""
    with app.app_context():
        return get_session().scalars(select(Counsellor).where(Counsellor.username == name)).one()


def update_account(app: Flask, name: str, **values: object) -> None:
    """Change stored fields of an account directly, such as moving a lock into the past."""
    with app.app_context():
        session = get_session()
        found = session.scalars(select(Counsellor).where(Counsellor.username == name)).one()
        for field, value in values.items():
            setattr(found, field, value)
        session.commit()


def script_words(page: str) -> dict[str, str]:
    """The phrases a console page carries for its scripts (its body's data-words)."""
    carried = re.search(r"data-words='([^']*)'", page)
    assert carried is not None, "the page carries no words for its scripts"
    return json.loads(html.unescape(carried.group(1)))
