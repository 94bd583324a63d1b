"""A supervisor steps in: a note the counsellor reads, taking over, the number with a reason."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.console_sessions import form_token, sign_in
from tests.counsellors import number, queue_texter
from tests.staff.test_audit import act, audit_log
from tests.twilio_requests import TEXTER, post_signed, sms
from tests.web.test_console_pages import page

STEP_IN = 'aria-labelledby="step-in-heading"'


def holder(client: FlaskClient, headers: dict[str, str], conversation_id: int) -> str | None:
    found = client.get(f"/api/v1/conversations/{conversation_id}", headers=headers)
    return found.get_json()["counsellor"]


def notes(client: FlaskClient, headers: dict[str, str], conversation_id: int) -> list[dict]:
    found = client.get(f"/api/v1/conversations/{conversation_id}", headers=headers)
    assert found.status_code == 200
    return found.get_json()["notes"]


def test_a_supervisors_note_reaches_the_counsellor_and_never_the_texter(
    app: Flask, client: FlaskClient, alice: dict[str, str], sam: dict[str, str], held: int
) -> None:
    written = client.post(
        act(held, "notes"), headers=sam, json={"body": "Ask whether she has told anyone."}
    )
    assert written.status_code == 201
    assert [(n["author"], n["body"]) for n in notes(client, alice, held)] == [
        ("sam", "Ask whether she has told anyone.")
    ]
    feed = client.get("/api/v1/events", headers=alice).get_json()["items"]
    assert {"kind": "note", "conversation_id": held, "actor": "sam"}.items() <= feed[-1].items()
    # Nothing went out to the texter: the outbox holds no message with the note.
    assert all(
        "told anyone" not in (m["body"] or "")
        for m in client.get(f"/api/v1/conversations/{held}", headers=alice).get_json()["messages"]
    )


def test_a_counsellor_cannot_note_on_someone_elses_conversation(
    client: FlaskClient, bob: dict[str, str], held: int
) -> None:
    refused = client.post(act(held, "notes"), headers=bob, json={"body": "hello"})
    assert refused.status_code == 403
    assert refused.get_json()["code"] == "counsellor_or_supervisor"


def test_a_supervisor_takes_a_conversation_over_and_its_counsellor_is_told(
    app: Flask, client: FlaskClient, alice: dict[str, str], sam: dict[str, str], held: int
) -> None:
    taken = client.post(act(held, "take-over"), headers=sam)
    assert taken.status_code == 200
    assert taken.get_json()["counsellor"] == "sam"
    assert holder(client, sam, held) == "sam"
    assert notes(client, sam, held)[-1]["body"] == "sam (supervisor) took this conversation over"
    (entry,) = [e for e in audit_log(client, sam)["items"] if e["action"] == "take_over"]
    assert entry["detail"] == {"from": "alice"} and entry["conversation_id"] == held
    # Alice no longer holds it: her replies are refused, the texter's words go to sam.
    assert client.post(act(held, "messages"), headers=alice, json={"body": "hi"}).status_code == 403
    post_signed(client, sms("are you still there", sender=TEXTER))
    bodies = [
        m["body"]
        for m in client.get(f"/api/v1/conversations/{held}", headers=sam).get_json()["messages"]
    ]
    assert bodies[-1] == "are you still there"


def test_only_supervisors_take_over_and_only_held_conversations(
    client: FlaskClient,
    alice: dict[str, str],
    bob: dict[str, str],
    sam: dict[str, str],
    held: int,
) -> None:
    waiting = queue_texter(client, number(2))
    refused = client.post(act(held, "take-over"), headers=bob)
    assert refused.status_code == 403 and refused.get_json()["code"] == "take_over_supervisors"
    waiting_one = client.post(act(waiting, "take-over"), headers=sam)
    assert waiting_one.status_code == 409 and waiting_one.get_json()["code"] == "not_held"
    assert client.post(act(held, "take-over"), headers=sam).status_code == 200
    again = client.post(act(held, "take-over"), headers=sam)
    assert again.status_code == 422 and again.get_json()["code"] == "already_with"


def test_the_console_offers_a_supervisor_to_step_in(
    app: Flask, client: FlaskClient, alice: dict[str, str], sam: dict[str, str], held: int
) -> None:
    other = app.test_client()
    sign_in(other, "alice")
    shown = f"/console/conversations/{held}"
    assert STEP_IN not in page(other, shown)  # not for the counsellor who holds it

    sign_in(client, "sam")
    html = page(client, shown)
    assert STEP_IN in html and 'id="note-form"' in html
    token = form_token(client.get(shown))
    taken = client.post(f"{shown}/take-over", data={"csrf_token": token})
    assert taken.status_code == 302 and taken.headers["Location"] == shown
    after = page(client, shown)
    assert "You now hold conversation" in after
    assert "Take over" not in after  # now sam's own: nothing to take over
    assert holder(client, sam, held) == "sam"


def test_a_supervisor_sees_the_number_once_with_a_reason_kept_in_the_audit_log(
    client: FlaskClient, alice: dict[str, str], sam: dict[str, str], held: int
) -> None:
    sign_in(client, "sam")
    shown = f"/console/conversations/{held}"
    token = form_token(client.get(shown))

    short = client.post(f"{shown}/reveal", data={"csrf_token": token, "reason": "police"})
    assert short.status_code == 302
    refused = page(client, shown)
    assert "The number was not shown. Write a reason of 10 to 500 characters" in refused
    assert TEXTER not in refused

    revealed = client.post(
        f"{shown}/reveal",
        data={"csrf_token": token, "reason": "Police asked for a welfare check tonight"},
    )
    assert revealed.status_code == 200
    assert f"<strong>{TEXTER}</strong>" in revealed.get_data(as_text=True)
    assert revealed.headers["Cache-Control"] == "no-store"
    assert TEXTER not in page(client, shown)  # shown once, not kept on the conversation
    (entry,) = [e for e in audit_log(client, sam)["items"] if e["action"] == "reveal"]
    assert entry["detail"] == {"reason": "Police asked for a welfare check tonight"}


def test_a_counsellor_cannot_see_the_number_from_the_console(
    client: FlaskClient, alice: dict[str, str], held: int
) -> None:
    sign_in(client, "alice")
    shown = f"/console/conversations/{held}"
    html = page(client, shown)
    assert STEP_IN not in html
    token = form_token(client.get(shown))
    refused = client.post(
        f"{shown}/reveal", data={"csrf_token": token, "reason": "I would like to call her"}
    )
    assert refused.status_code == 403
    assert TEXTER not in refused.get_data(as_text=True)


def test_a_supervisor_exports_a_transcript_with_a_reason_kept_in_the_audit_log(
    client: FlaskClient, alice: dict[str, str], sam: dict[str, str], held: int
) -> None:
    post_signed(client, sms("they said they will post it tonight", sender=TEXTER))
    client.post(act(held, "messages"), headers=alice, json={"body": "You did right to tell us."})
    client.post(act(held, "notes"), headers=alice, json={"body": "Deadline tonight."})

    exported = client.post(
        act(held, "transcript"), headers=sam, json={"reason": "Safeguarding referral to the DSL"}
    )

    assert exported.status_code == 200
    assert exported.mimetype == "text/plain"
    assert exported.headers["Content-Disposition"] == (
        f'attachment; filename="conversation-{held}-transcript.txt"'
    )
    assert exported.headers["Cache-Control"] == "no-store"
    text = exported.get_data(as_text=True)
    assert f"Conversation: {held}\n" in text and "Number: +1 •••• ••• 123" in text
    assert TEXTER not in text  # the masked number only
    said = [line for line in text.splitlines() if line.startswith("  ")]
    assert said[-3:] == [
        "  they said they will post it tonight",
        "  You did right to tell us.",
        "  Deadline tonight.",
    ]
    assert "] Counsellor alice:" in text and "] Note by alice:" in text and "] Texter:" in text
    (entry,) = [e for e in audit_log(client, sam)["items"] if e["action"] == "transcript"]
    assert entry["detail"] == {"reason": "Safeguarding referral to the DSL"}


def test_a_transcript_needs_a_supervisor_and_a_reason(
    client: FlaskClient, alice: dict[str, str], sam: dict[str, str], held: int
) -> None:
    refused = client.post(act(held, "transcript"), headers=alice, json={"reason": "x" * 20})
    assert refused.status_code == 403 and refused.get_json()["code"] == "transcript_supervisors"
    short = client.post(act(held, "transcript"), headers=sam, json={"reason": "dsl"})
    assert short.status_code == 422 and short.get_json()["code"] == "reason_length"
    assert not [e for e in audit_log(client, sam)["items"] if e["action"] == "transcript"]


def test_the_console_downloads_a_transcript_for_a_supervisor(
    client: FlaskClient, alice: dict[str, str], sam: dict[str, str], held: int
) -> None:
    sign_in(client, "sam")
    shown = f"/console/conversations/{held}"
    token = form_token(client.get(shown))
    short = client.post(f"{shown}/transcript", data={"csrf_token": token, "reason": "dsl"})
    assert short.status_code == 302
    assert "The transcript was not exported. Write a reason of 10" in page(client, shown)

    saved = client.post(
        f"{shown}/transcript",
        data={"csrf_token": token, "reason": "Safeguarding referral to the DSL"},
    )
    assert saved.status_code == 200
    assert saved.headers["Content-Disposition"].startswith("attachment;")
    assert saved.get_data(as_text=True).startswith(f"Conversation: {held}\n")
