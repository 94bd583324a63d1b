"""Rotating SECRET_KEY and RESPONDER_DATA_KEY while texters and counsellors carry on."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from sqlalchemy import func, select

from responder import worker
from responder.channels import twilio
from responder.cli import cli
from responder.privacy.addresses import Keys
from responder.store.db import get_session
from responder.store.models import Contact, Conversation, Message
from responder.store.throttle import SigninFailure
from tests.console_sessions import (
    account,
    enrolment_secret,
    later_code,
    post_code,
    post_password,
    sign_in,
)
from tests.counsellors import add_counsellor, queue_texter
from tests.fake_twilio import FakeTwilio
from tests.outbox_rows import Clock
from tests.twilio_requests import TEXTER, post_signed, replies, settings, sms

OLD_DATA_KEY = str(settings("")["RESPONDER_DATA_KEY"])
NEW_DATA_KEY = "the data key after the rotation"
OLD_SECRET_KEY = str(settings("")["SECRET_KEY"])
OTHER_TEXTER = "+447700900456"


@pytest.fixture
def rotating(make_app: Callable[..., Flask]) -> Flask:
    """The helpline deployed with the new data key, the old one kept as a fallback."""
    return make_app(RESPONDER_DATA_KEY=NEW_DATA_KEY, RESPONDER_DATA_KEY_FALLBACKS=(OLD_DATA_KEY,))


def rotate(app: Flask, *args: str) -> Result:
    """Run `responder keys rotate` against the app's database and settings."""
    script = ScriptInfo(create_app=lambda: app)
    return CliRunner().invoke(cli, ["keys", "rotate", *args], obj=script)


def figures(result: Result) -> dict[str, int]:
    """Read the command's report, one `label: count` a line."""
    found = {}
    for line in result.stdout.splitlines():
        label, _, count = line.rpartition(": ")
        if count.isdigit():
            found[label] = int(count)
    return found


def contacts(app: Flask) -> list[Contact]:
    with app.app_context():
        return list(get_session().scalars(select(Contact).order_by(Contact.id)))


def conversation_count(app: Flask) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(Conversation)) or 0


def test_a_texter_known_under_the_old_key_writes_on_in_the_same_conversation(
    app: Flask, rotating: Flask
) -> None:
    assert "1 Right now" in replies(post_signed(app.test_client(), sms("hi")))[0]

    answer = replies(post_signed(rotating.test_client(), sms("1")))

    assert "Step 1 of 6" in answer[0]
    (contact,) = contacts(rotating)
    assert contact.address_hash == Keys.from_secret(OLD_DATA_KEY).hash(TEXTER)
    assert conversation_count(rotating) == 1


def test_a_counsellor_reply_reaches_a_number_stored_under_the_old_key(
    app: Flask, rotating: Flask, fake: FakeTwilio, clock: Clock
) -> None:
    alice = add_counsellor(app, "alice")
    conversation_id = queue_texter(app.test_client())
    client = rotating.test_client()
    claimed = client.post(f"/api/v1/conversations/{conversation_id}/claim", headers=alice)
    assert claimed.status_code == 200
    sent = client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"body": "I'm here. You did the right thing."},
        headers=alice,
    )
    assert sent.status_code == 202

    clock.now = datetime.now(UTC) + timedelta(seconds=1)
    worker.run(rotating, twilio.rest(rotating.config, fake), once=True, clock=clock)

    (delivered,) = fake.sends
    assert delivered["To"] == TEXTER
    assert delivered["Body"] == "I'm here. You did the right thing."


def test_the_console_still_shows_the_masked_number(app: Flask, rotating: Flask) -> None:
    queue_texter(app.test_client())
    add_counsellor(rotating, "alice")
    client = rotating.test_client()
    sign_in(client, "alice")

    page = client.get("/console/queue").get_data(as_text=True)

    assert "+1 •••• ••• 123" in page
    assert TEXTER not in page


def test_rotating_moves_every_row_to_the_new_key_and_a_second_run_changes_nothing(
    app: Flask, rotating: Flask, make_app: Callable[..., Flask]
) -> None:
    post_signed(app.test_client(), sms("hi"))
    post_signed(app.test_client(), sms("hi", sender=OTHER_TEXTER))
    add_counsellor(app, "sam", role="supervisor")
    secret = sign_in(app.test_client(), "sam")
    assert secret is not None
    post_password(app.test_client(), "nobody", "a guess", address="192.0.2.7")
    # Written during the rotation: already under the new key, nothing to change.
    post_signed(rotating.test_client(), sms("hi", sender="+33612345678"))

    result = rotate(rotating)

    assert result.exit_code == 0, result.output
    assert figures(result) == {
        "contacts checked": 3,
        "contacts re-encrypted or re-hashed": 2,
        "two-factor secrets checked": 1,
        "two-factor secrets re-encrypted": 1,
        "sign-in failure counts dropped": 1,
        "values no key could decrypt": 0,
        "contacts left under an earlier hash (another has the number's new one)": 0,
    }
    assert "4155550123" not in result.output and "7700900456" not in result.output
    new_only = Keys.from_secret(NEW_DATA_KEY)
    for contact in contacts(rotating):
        number = new_only.decrypt(contact.address_encrypted)
        assert contact.address_hash == new_only.hash(number)
        assert contact.text_key is not None and new_only.decrypt(contact.text_key)
    stored = account(rotating, "sam").totp_secret
    assert stored is not None and new_only.decrypt(stored) == secret
    with rotating.app_context():
        assert get_session().scalar(select(func.count()).select_from(SigninFailure)) == 0

    again = rotate(rotating)
    assert again.exit_code == 0, again.output
    assert figures(again)["contacts checked"] == 3
    changed = ("contacts re-encrypted or re-hashed", "two-factor secrets re-encrypted")
    assert [figures(again)[label] for label in changed] == [0, 0]

    # With the old key gone for good, the texter, the number and the account carry on.
    after = make_app(RESPONDER_DATA_KEY=NEW_DATA_KEY)
    assert "Step 1 of 6" in replies(post_signed(after.test_client(), sms("1")))[0]
    assert len(contacts(after)) == 3
    with after.app_context():
        inbound = select(Message).where(Message.direction == "in")
        said = [message.body for message in get_session().scalars(inbound)]
    assert said.count("hi") == 3  # sealed under text keys the new data key opens
    supervisor = after.test_client()
    assert post_password(supervisor, "sam").headers["Location"] == "/console/login/code"
    assert post_code(supervisor, "/console/login/code", later_code(secret)).status_code == 302


def test_a_value_no_key_can_read_is_counted_and_fails_the_command(
    make_app: Callable[..., Flask], rotating: Flask
) -> None:
    lost = make_app(RESPONDER_DATA_KEY="a key nobody kept")
    post_signed(lost.test_client(), sms("hi", sender=OTHER_TEXTER))
    post_signed(rotating.test_client(), sms("hi"))

    result = rotate(rotating)

    assert result.exit_code == 1
    assert "values no key could decrypt: 1" in result.stdout
    assert "RESPONDER_DATA_KEY_FALLBACKS" in result.output
    assert "7700900456" not in result.output


def test_a_text_key_no_key_can_read_is_counted_and_the_run_goes_on(
    app: Flask, rotating: Flask
) -> None:
    post_signed(app.test_client(), sms("hi"))
    post_signed(app.test_client(), sms("hi", sender=OTHER_TEXTER))
    with app.app_context():
        session = get_session()
        first = session.scalars(select(Contact).order_by(Contact.id)).first()
        assert first is not None
        # Only a lost key could leave this: the number reads, the texter's key does not.
        first.text_key = Keys.from_secret("a key nobody kept").encrypt("lost")
        session.commit()

    result = rotate(rotating)

    assert result.exit_code == 1
    assert figures(result)["values no key could decrypt"] == 1
    # The other texter was moved to the new key all the same.
    keys = Keys.from_secret(NEW_DATA_KEY)
    assert keys.is_current(contacts(rotating)[1].address_encrypted)
    assert keys.is_current(contacts(rotating)[1].text_key or "")


def test_a_number_stored_under_both_keys_keeps_one_contact_under_the_new_hash(
    make_app: Callable[..., Flask], app: Flask, rotating: Flask
) -> None:
    # A process that never had the old key as a fallback made a second contact.
    post_signed(app.test_client(), sms("hi"))
    post_signed(make_app(RESPONDER_DATA_KEY=NEW_DATA_KEY).test_client(), sms("hi"))
    old_row, new_row = contacts(rotating)

    result = rotate(rotating)

    assert result.exit_code == 0, result.output
    assert "contacts left under an earlier hash (another has the number's new one): 1" in (
        result.stdout
    )
    new_only = Keys.from_secret(NEW_DATA_KEY)
    left, moved = contacts(rotating)
    assert moved.address_hash == new_row.address_hash == new_only.hash(TEXTER)
    assert left.address_hash == old_row.address_hash
    assert new_only.decrypt(left.address_encrypted) == TEXTER
    # The texter's next message goes to the contact under the new key.
    post_signed(rotating.test_client(), sms("1", sid="SM" + "1" * 32))
    with rotating.app_context():
        (inbound,) = get_session().scalars(
            select(Message).where(Message.twilio_sid == "SM" + "1" * 32)
        )
        assert inbound.conversation.contact_id == moved.id


def test_texters_writing_while_the_command_runs_stay_in_their_contacts(
    app: Flask, rotating: Flask
) -> None:
    texters = [f"+1415555{index:04d}" for index in range(24)]
    for texter in texters:
        post_signed(app.test_client(), sms("hi", sender=texter))
    start = threading.Barrier(3)

    def write(share: list[str]) -> list[str]:
        client = rotating.test_client()
        start.wait()
        return [replies(post_signed(client, sms("1", sender=texter)))[0] for texter in share]

    def run_command() -> Result:
        start.wait()
        return rotate(rotating, "--batch", "3")

    with ThreadPoolExecutor(3) as pool:
        written = [pool.submit(write, texters[:12]), pool.submit(write, texters[12:])]
        command = pool.submit(run_command)
        answers = [answer for done in written for answer in done.result()]
        result = command.result()

    assert result.exit_code == 0, result.output
    assert all("Step 1 of 6" in answer for answer in answers)
    assert figures(rotate(rotating))["contacts re-encrypted or re-hashed"] == 0
    new_only = Keys.from_secret(NEW_DATA_KEY)
    stored = contacts(rotating)
    assert sorted(new_only.decrypt(contact.address_encrypted) for contact in stored) == texters
    assert all(
        contact.address_hash == new_only.hash(texter)
        for contact, texter in zip(stored, texters, strict=True)
    )
    assert conversation_count(rotating) == len(texters)


@pytest.mark.parametrize(("fallbacks", "opens"), [((OLD_SECRET_KEY,), True), ((), False)])
def test_a_console_session_signed_with_the_old_secret_key_needs_it_as_a_fallback(
    app: Flask, make_app: Callable[..., Flask], fallbacks: tuple[str, ...], opens: bool
) -> None:
    add_counsellor(app, "alice")
    before = app.test_client()
    sign_in(before, "alice")
    cookie = before.get_cookie("session")
    assert cookie is not None
    rotated = make_app(
        SECRET_KEY="the secret key after the rotation", SECRET_KEY_FALLBACKS=fallbacks
    )
    client: FlaskClient = rotated.test_client()
    client.set_cookie("session", cookie.value)

    page = client.get("/console/queue")

    if opens:
        assert page.status_code == 200
        assert 'name="csrf-token"' in page.get_data(as_text=True)
    else:
        assert page.status_code == 302
        assert page.headers["Location"].startswith("/console/login")


def test_a_two_factor_setup_begun_under_a_retired_data_key_starts_again(
    app: Flask, make_app: Callable[..., Flask]
) -> None:
    add_counsellor(app, "sam", role="supervisor")
    before = app.test_client()
    assert post_password(before, "sam").headers["Location"] == "/console/login/enrol"
    shown = enrolment_secret(before)
    cookie = before.get_cookie("session")
    assert cookie is not None
    client = make_app(RESPONDER_DATA_KEY=NEW_DATA_KEY).test_client()
    client.set_cookie("session", cookie.value)

    secret = enrolment_secret(client)

    assert secret != shown
    done = post_code(client, "/console/login/enrol", pyotp.TOTP(secret).now())
    assert done.status_code == 302
