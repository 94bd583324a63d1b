"""Finding entries in the audit log: filters on the page and the API, folded views, CSV export."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from responder.staff import audit
from responder.store.db import get_session
from responder.store.models import AuditEntry, Counsellor
from tests.console_sessions import form_token, sign_in
from tests.counsellors import add_counsellor, queue_texter
from tests.web.test_console_pages import page
from tests.web.test_console_supervisor import rows

DAY1 = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
DAY2 = datetime(2026, 12, 2, 0, 15, tzinfo=UTC)
DAY3 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def log(app: Flask, name: str, action: str, conversation_id: int | None, at: datetime, **detail):
    with app.app_context():
        session = get_session()
        who = session.scalars(select(Counsellor).where(Counsellor.username == name)).one()
        audit.record(session, who, action, conversation_id, at, **detail)
        session.commit()


@pytest.fixture
def logged(app: Flask, client: FlaskClient, sam: dict[str, str]) -> tuple[int, int]:
    """Two conversations, and entries by alice and bob over three UTC days."""
    add_counsellor(app, "alice")
    add_counsellor(app, "bob")
    first = queue_texter(client, sender="+14155550101")
    second = queue_texter(client, sender="+14155550102")
    log(app, "alice", "claim", first, DAY1)
    log(app, "alice", "view", first, DAY1)
    log(app, "bob", "view", first, DAY2)
    log(app, "bob", "claim", second, DAY2)
    log(app, "alice", "note", second, DAY3)
    log(app, "bob", "view", second, DAY3)
    return first, second


def form_value(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    assert found, name
    return found.group(1)


def test_filters_combine_and_the_form_keeps_them(client: FlaskClient, logged) -> None:
    first, second = logged
    sign_in(client, "sam")

    assert [r.split(" UTC ")[1] for r in rows(page(client, "/console/audit"))] == [
        f"alice added a note Conversation {second}",
        f"bob claimed Conversation {second}",
        f"alice claimed Conversation {first}",
    ]
    by_bob = page(client, "/console/audit?person=bob")
    assert [r.split(" UTC ")[1] for r in rows(by_bob)] == [f"bob claimed Conversation {second}"]
    assert form_value(by_bob, "person") == "bob"
    assert '<label for="filter-person">Person (username)</label>' in by_bob

    html = page(client, f"/console/audit?person=alice&conversation={second}")
    note = f"alice added a note Conversation {second}"
    assert [r.split(" UTC ")[1] for r in rows(html)] == [note]
    html = page(client, "/console/audit?action=claim&from=2026-12-02&to=2026-12-02")
    assert [r.split(" UTC ")[1] for r in rows(html)] == [f"bob claimed Conversation {second}"]
    assert '<option value="claim" selected>claimed</option>' in html
    # A day is a UTC day: 23:30 on the 1st is not on the 2nd.
    html = page(client, "/console/audit?from=2026-12-01&to=2026-12-01")
    assert [r.split(" UTC ")[1] for r in rows(html)] == [f"alice claimed Conversation {first}"]


def test_views_are_folded_and_counted_until_asked_for(client: FlaskClient, logged) -> None:
    first, second = logged
    sign_in(client, "sam")

    html = page(client, "/console/audit")
    assert "3 view entries are folded away." in html
    assert 'href="/console/audit?views=1">Show views</a>' in html
    html = page(client, "/console/audit?person=alice")
    assert "1 view entry is folded away." in html
    assert 'href="/console/audit?person=alice&amp;views=1">Show views</a>' in html

    shown = page(client, f"/console/audit?conversation={first}&views=1")
    assert len(rows(shown)) == 3
    assert "folded away" not in shown
    assert re.search(r'name="views" type="checkbox" value="1" checked', shown)
    only_views = page(client, "/console/audit?action=view&person=bob")
    assert [r.split(" UTC ")[1] for r in rows(only_views)] == [
        f"bob viewed Conversation {second}",
        f"bob viewed Conversation {first}",
    ]
    assert "folded away" not in only_views


def test_older_entries_keep_the_filter(app: Flask, client: FlaskClient, logged) -> None:
    first, _ = logged
    for minute in range(55):
        log(app, "bob", "reply", first, DAY3.replace(minute=minute))
        log(app, "alice", "reply", first, DAY3.replace(minute=minute))
    sign_in(client, "sam")

    html = page(client, "/console/audit?person=bob&action=reply")
    assert len(rows(html)) == 50
    older = re.search(r'href="([^"]+)" rel="next">Older entries', html)
    assert older
    link = older.group(1).replace("&amp;", "&")
    assert "person=bob" in link and "action=reply" in link
    second = page(client, link)
    assert len(rows(second)) == 5
    assert all(" bob replied " in row for row in rows(second))
    assert 'href="/console/audit?person=bob&amp;action=reply">Newest entries</a>' in second


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("person=nobody", "person", "There is no account with that username"),
        ("action=dance", "action", "That is not an action in the log"),
        ("conversation=12x", "conversation", "A conversation number is a whole number"),
        ("conversation=99999999999", "conversation", "A conversation number is a whole number"),
        ("from=2026-13-01", "from", "Write the day as year-month-day"),
        ("to=yesterday", "to", "Write the day as year-month-day"),
        ("from=2026-12-03&to=2026-12-01", "to", "The first day comes after the last"),
    ],
)
def test_a_bad_filter_is_said_at_its_field_and_left_out(
    client: FlaskClient, logged, query: str, field: str, words: str
) -> None:
    sign_in(client, "sam")
    html = page(client, f"/console/audit?{query}")
    assert f'<p class="field-problem" id="problem-{field}">{words}' in html
    assert 'aria-invalid="true"' in html
    assert len(rows(html)) == 3  # the whole log, views folded


def test_a_bad_filter_gets_422_from_the_api(client: FlaskClient, logged, sam) -> None:
    for query, said in (
        ("person=nobody", "person: no account has that username"),
        ("action=dance", "action: not an audit action"),
        ("conversation=x", "conversation: send a conversation id"),
        ("from=12/01/2026", "from: send a UTC day as YYYY-MM-DD"),
        ("from=2026-12-03&to=2026-12-01", "to: the to day comes before the from day"),
        ("to=", "to: leave it out rather than send it empty"),
    ):
        response = client.get(f"/api/v1/audit?{query}", headers=sam)
        assert response.status_code == 422, query
        assert said in json.dumps(response.get_json()), (query, response.get_json())


def test_the_api_filters_the_same_way(client: FlaskClient, logged, sam) -> None:
    first, _ = logged
    response = client.get(f"/api/v1/audit?conversation={first}&to=2026-12-01", headers=sam)
    assert response.status_code == 200
    assert [(i["counsellor"], i["action"]) for i in response.get_json()["items"]] == [
        ("alice", "claim"),
        ("alice", "view"),
    ]
    views = client.get("/api/v1/audit?action=view&person=bob", headers=sam).get_json()["items"]
    assert [i["conversation_id"] for i in views] == [first, logged[1]]


def test_only_admins_export_and_the_export_is_audited(
    app: Flask, client: FlaskClient, logged
) -> None:
    first, second = logged
    log(app, "alice", "reveal", second, DAY3, reason='=HYPERLINK("x") "quoted"')
    sign_in(client, "sam")
    assert client.get("/console/audit.csv").status_code == 403
    assert "Download as CSV" not in page(client, "/console/audit")

    add_counsellor(app, "root", role="admin")
    client.post("/console/logout")
    client.delete_cookie("session")
    sign_in(client, "root")
    assert 'href="/console/audit.csv?person=alice"' in page(client, "/console/audit?person=alice")
    response = client.get("/console/audit.csv?person=alice")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert table[0] == ["time_utc", "counsellor", "action", "conversation_id", "detail"]
    assert [row[1:4] for row in table[1:]] == [
        ["alice", "reveal", str(second)],
        ["alice", "note", str(second)],
        ["alice", "claim", str(first)],
    ]
    assert table[-1][0] == "2026-12-01T23:30:00+00:00"
    assert json.loads(table[1][4]) == {"reason": '=HYPERLINK("x") "quoted"'}

    with app.app_context():
        entry = get_session().scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None
        assert (entry.action, entry.detail) == (
            "audit_export",
            {"filters": {"person": "alice", "views": "0"}},
        )
    exports = rows(page(client, "/console/audit?action=audit_export"))
    assert "UTC root downloaded the audit log " in exports[0]
    assert exports[0].endswith(" filters: person=alice")
    assert client.get("/console/audit.csv?action=dance").status_code == 400


def test_a_french_supervisor_reads_the_filter_in_french(client: FlaskClient, logged) -> None:
    sign_in(client, "sam")
    token = form_token(client.get("/console/audit"))
    chosen = client.post(
        "/console/language",
        data={"csrf_token": token, "language": "fr", "next": "/console/audit"},
    )
    assert chosen.status_code in (302, 303)
    html = page(client, "/console/audit?person=personne")
    assert '<label for="filter-person">Personne (nom d&#39;utilisateur)</label>' in html
    assert "Du (jour UTC)" in html and "Afficher les entrées" in html
    assert "Aucun compte n&#39;a ce nom d&#39;utilisateur" in html
    assert "3 consultations sont masquées." in html
    assert ">Afficher les consultations</a>" in html
