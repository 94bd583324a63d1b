"""The admins' accounts page: who may see it, and each change it makes."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from responder.store.db import get_session
from responder.store.models import ApiToken, AuditEntry, Counsellor
from tests.console_sessions import (
    account,
    form_token,
    post_password,
    session_token,
    sign_in,
    update_account,
)
from tests.counsellors import add_counsellor, make_present, password_of


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    """A browser signed in as the admin ada, with two-step sign-in set up."""
    add_counsellor(app, "ada", "admin")
    client = app.test_client()
    sign_in(client, "ada")
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def change(client: FlaskClient, path: str, **fields: str) -> str:
    """Send a form of the accounts page and return the page it leads back to."""
    token = form_token(client.get("/console/accounts"))
    response = client.post(path, data={"csrf_token": token, **fields})
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/accounts"
    return text(client.get("/console/accounts"))


def row(page: str, name: str) -> str:
    """The table row of one account, as text without tags."""
    found = re.search(
        rf"<tr id=\"account-\d+\">\s*<th scope=\"row\">{name}</th>(.*?)</tr>", page, re.S
    )
    assert found, f"{name} is listed"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def audit_log(app: Flask) -> list[tuple[str, str | None, dict[str, object]]]:
    with app.app_context():
        entries = get_session().scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        return [
            (e.action, e.counsellor.username if e.counsellor else None, dict(e.detail))
            for e in entries
        ]


def signed_in_as(client: FlaskClient) -> str | None:
    response = client.get("/api/v1/me", headers={"X-CSRF-Token": session_token(client)})
    return response.get_json()["username"] if response.status_code == 200 else None


@pytest.mark.parametrize("role", ["counsellor", "supervisor"])
def test_only_admins_see_the_accounts_page(app: Flask, client: FlaskClient, role: str) -> None:
    add_counsellor(app, "someone", role)
    sign_in(client, "someone")
    response = client.get("/console/accounts")
    assert response.status_code == 403
    assert "This page is not open to your role." in text(response)
    token = session_token(client)
    refused = client.post(
        "/console/accounts",
        data={"csrf_token": token, "username": "mallory", "role": "admin", "password": "x" * 12},
    )
    assert refused.status_code == 403
    assert [entry for entry in audit_log(app) if entry[0] == "account_add"] == []


def test_signed_out_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/console/accounts")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/login?next=/console/accounts"


def test_the_page_lists_every_account(app: Flask, admin: FlaskClient) -> None:
    add_counsellor(app, "alice")
    add_counsellor(app, "bob")
    update_account(app, "bob", active=False)
    page = text(admin.get("/console/accounts"))
    assert row(page, "ada") == "admin active no on Deactivate Reset two-step " + (
        "New password for ada Set password"
    )
    assert row(page, "alice").startswith(
        "counsellor active no off Deactivate Sign out everywhere New password"
    )
    assert row(page, "bob").startswith("counsellor deactivated no off Reactivate")
    assert 'href="/console/accounts"' in page


def test_an_admin_adds_an_account(app: Flask, admin: FlaskClient) -> None:
    page = change(
        admin, "/console/accounts", username="carol", role="supervisor", password="a long one"
    )
    assert "Added carol." in page
    assert row(page, "carol").startswith("supervisor active no off")
    assert ("account_add", "ada", {"username": "carol", "role": "supervisor"}) in audit_log(app)
    assert post_password(app.test_client(), "carol", "a long one").status_code == 302


@pytest.mark.parametrize(
    "fields, reason",
    [
        ({"username": "dan", "role": "counsellor", "password": "short"}, "at least 8 characters"),
        ({"username": "ada", "role": "counsellor", "password": "a long one"}, "already exists"),
        ({"username": "d a n", "role": "counsellor", "password": "a long one"}, "a name is"),
        ({"username": "dan", "role": "owner", "password": "a long one"}, "a role is one of"),
    ],
)
def test_an_account_that_cannot_be_added_is_explained(
    app: Flask, admin: FlaskClient, fields: dict[str, str], reason: str
) -> None:
    page = change(admin, "/console/accounts", **fields)
    assert "Not changed:" in page and reason in page
    assert "dan" not in page
    assert [entry for entry in audit_log(app) if entry[0] == "account_add"] == []


def test_deactivating_ends_sessions_and_tokens_and_reactivating_restores(
    app: Flask, admin: FlaskClient
) -> None:
    bearer = add_counsellor(app, "alice")
    alice = app.test_client()
    sign_in(alice, "alice")
    assert signed_in_as(alice) == "alice"
    alice_id = account(app, "alice").id

    page = change(admin, f"/console/accounts/{alice_id}/deactivate")
    assert "Deactivated" in page
    assert row(page, "alice").startswith("counsellor deactivated")
    assert signed_in_as(alice) is None
    assert alice.get("/console/two-factor").status_code == 302
    assert alice.get("/api/v1/me", headers=bearer).status_code == 401
    assert post_password(alice, "alice").status_code == 403

    page = change(admin, f"/console/accounts/{alice_id}/reactivate")
    assert row(page, "alice").startswith("counsellor active")
    assert post_password(alice, "alice").status_code == 302
    assert alice.get("/api/v1/me", headers=bearer).status_code == 200
    actions = [entry for entry in audit_log(app) if entry[0].startswith("account_")]
    assert actions == [
        ("account_deactivate", "ada", {"username": "alice"}),
        ("account_reactivate", "ada", {"username": "alice"}),
    ]


def test_an_admin_cannot_deactivate_themselves(app: Flask, admin: FlaskClient) -> None:
    page = change(admin, f"/console/accounts/{account(app, 'ada').id}/deactivate")
    assert "Not changed: you cannot deactivate your own account." in page
    assert signed_in_as(admin) == "ada"


def test_a_password_reset_ends_sessions(app: Flask, admin: FlaskClient) -> None:
    add_counsellor(app, "alice")
    alice = app.test_client()
    sign_in(alice, "alice")

    page = change(
        admin, f"/console/accounts/{account(app, 'alice').id}/password", password="new password"
    )
    assert "Password changed" in page
    assert row(page, "alice").startswith("counsellor active")
    assert signed_in_as(alice) is None
    assert post_password(alice, "alice", password_of("alice")).status_code == 403
    assert post_password(alice, "alice", "new password").status_code == 302
    log = audit_log(app)
    assert ("account_password_reset", "ada", {"username": "alice"}) in log
    assert "new password" not in repr(log)


def test_an_admin_signs_an_account_out_everywhere(app: Flask, admin: FlaskClient) -> None:
    add_counsellor(app, "alice")
    alice, laptop = app.test_client(), app.test_client()
    sign_in(alice, "alice")
    sign_in(laptop, "alice")  # a second device
    make_present(app, "alice")
    page = change(admin, f"/console/accounts/{account(app, 'alice').id}/sign-out")
    assert "Signed out everywhere" in page
    assert signed_in_as(alice) is None and signed_in_as(laptop) is None
    assert not account(app, "alice").available  # off duty: texters are not promised her
    assert ("account_signed_out", "ada", {"username": "alice"}) in audit_log(app)
    # Her password still works: she signs in again as usual.
    assert post_password(alice, "alice").status_code == 302


def token_row(page: str, token_id: int) -> str:
    found = re.search(rf'<tr id="token-{token_id}">(.*?)</tr>', page, re.S)
    assert found, f"token {token_id} is listed"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def test_an_admin_sees_an_accounts_tokens_and_revokes_one(app: Flask, admin: FlaskClient) -> None:
    bearer = add_counsellor(app, "alice")
    assert admin.get("/api/v1/me", headers=bearer).status_code == 200
    with app.app_context():
        (token,) = get_session().scalars(
            select(ApiToken).join(ApiToken.counsellor).where(Counsellor.username == "alice")
        )
    page = text(admin.get("/console/accounts"))
    listed = token_row(page, token.id)
    assert listed.startswith("alice token-1") and listed.endswith("Revoke")
    page = change(admin, f"/console/accounts/{account(app, 'alice').id}/tokens/{token.id}/revoke")
    assert "Token revoked: it no longer works." in page
    assert token_row(page, token.id).endswith("revoked")
    assert admin.get("/api/v1/me", headers=bearer).status_code == 401  # at once
    assert ("token_revoke", "ada", {"username": "alice", "token": "token-1"}) in audit_log(app)
    # A token of someone else's account cannot be reached through another account's row.
    page = change(admin, f"/console/accounts/{account(app, 'ada').id}/tokens/{token.id}/revoke")
    assert "Not changed: there is no such token." in page


def test_a_short_new_password_is_refused(app: Flask, admin: FlaskClient) -> None:
    add_counsellor(app, "alice")
    page = change(admin, f"/console/accounts/{account(app, 'alice').id}/password", password="short")
    assert "Not changed: a password needs at least 8 characters." in page
    assert post_password(app.test_client(), "alice").status_code == 302


def test_a_two_step_reset_asks_for_a_new_setup(app: Flask, admin: FlaskClient) -> None:
    add_counsellor(app, "sam", "supervisor")
    sam = app.test_client()
    assert sign_in(sam, "sam") is not None
    page = text(admin.get("/console/accounts"))
    assert row(page, "sam").startswith("supervisor active no on")

    page = change(admin, f"/console/accounts/{account(app, 'sam').id}/two-factor/reset")
    assert "Two-step sign-in reset" in page
    assert row(page, "sam").startswith("supervisor active no off")
    assert signed_in_as(sam) is None
    assert post_password(sam, "sam").headers["Location"] == "/console/login/enrol"
    assert ("account_2fa_reset", "ada", {"username": "sam"}) in audit_log(app)


def test_a_change_to_an_unknown_account_is_explained(admin: FlaskClient) -> None:
    page = change(admin, "/console/accounts/999/deactivate")
    assert "Not changed: there is no such account." in page


def test_a_change_without_the_csrf_token_is_refused(app: Flask, admin: FlaskClient) -> None:
    add_counsellor(app, "alice")
    response = admin.post(f"/console/accounts/{account(app, 'alice').id}/deactivate")
    assert response.status_code == 400
    assert account(app, "alice").active
