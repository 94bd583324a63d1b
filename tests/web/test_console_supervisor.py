"""The console's supervisor parts: the audit log, blocks, and every open conversation."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.console_sessions import sign_in
from tests.counsellors import add_counsellor, number, queue_texter, update_conversation
from tests.web.test_console_pages import claim, page, parsed

REASON_ATTACK = "<script>alert(1)</script> welfare check"


def rows(html: str) -> list[str]:
    """The audit table's rows, newest first, as their text with the markup taken out."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    found = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in found]


def block_section(html: str) -> str:
    return html.split('aria-labelledby="block-heading"', 1)[1].split("</section>", 1)[0]


# The audit log page


def test_the_audit_log_is_not_open_to_counsellors(
    client: FlaskClient, alice: dict[str, str]
) -> None:
    sign_in(client, "alice")
    response = client.get("/console/audit")
    assert response.status_code == 403
    assert "This page is not open to your role." in response.get_data(as_text=True)
    assert 'href="/console/audit"' not in page(client, "/console/queue")


def test_the_audit_log_lists_claims_and_blocks_newest_first(
    client: FlaskClient, alice: dict[str, str], sam: dict[str, str]
) -> None:
    conversation_id = queue_texter(client)
    claim(client, alice, conversation_id)
    block = client.post(
        f"/api/v1/conversations/{conversation_id}/block", headers=sam, json={"hours": 168}
    )
    assert block.status_code == 200
    sign_in(client, "sam")

    html = page(client, "/console/audit")

    assert 'href="/console/audit">Audit log</a>' in html  # in the supervisor's navigation
    link = f'<a href="/console/conversations/{conversation_id}">Conversation {conversation_id}</a>'
    assert html.count(link) == 2
    assert len(rows(html)) == 2
    assert rows(html)[0].endswith(
        f"UTC sam blocked the sender Conversation {conversation_id} for 7 days"
    )
    assert rows(html)[1].endswith(f"UTC alice claimed Conversation {conversation_id}")
    assert parsed(html).inline == []


def test_a_reveal_reason_is_shown_as_text(
    client: FlaskClient, alice: dict[str, str], sam: dict[str, str]
) -> None:
    conversation_id = queue_texter(client)
    claim(client, alice, conversation_id)
    revealed = client.post(
        f"/api/v1/conversations/{conversation_id}/reveal",
        headers=sam,
        json={"reason": REASON_ATTACK},
    )
    assert revealed.status_code == 200
    sign_in(client, "sam")

    html = page(client, "/console/audit")

    assert "reason: &lt;script&gt;alert(1)&lt;/script&gt; welfare check" in html
    assert REASON_ATTACK not in html
    markup = parsed(html)
    assert markup.inline == []
    assert markup.tags.count("script") == 3  # console-parts.js, console.js, theme.js
    assert "+14155550123" not in html


def test_the_audit_log_pages_back_to_older_entries(
    app: Flask, client: FlaskClient, alice: dict[str, str], sam: dict[str, str]
) -> None:
    conversation_id = queue_texter(client)
    claim(client, alice, conversation_id)
    for _ in range(25):  # 50 entries after the claim, one page's worth
        for path in ("block", "unblock"):
            response = client.post(
                f"/api/v1/conversations/{conversation_id}/{path}", headers=sam, json={"hours": 24}
            )
            assert response.status_code == 200, response.get_json()
    sign_in(client, "sam")

    first = page(client, "/console/audit")
    assert len(rows(first)) == 50
    assert rows(first)[0].endswith(f"UTC sam lifted the block Conversation {conversation_id}")
    older = re.search(r'href="(/console/audit\?before=\d+)" rel="next">Older entries', first)
    assert older, "the first page links to older entries"

    second = page(client, older.group(1).replace("&amp;", "&"))
    assert len(rows(second)) == 1
    assert rows(second)[0].endswith(f"UTC alice claimed Conversation {conversation_id}")
    assert "Older entries</a>" not in second
    assert '<a href="/console/audit">Newest entries</a>' in second


@pytest.mark.parametrize("before", ["x", "-1", "99999999999", "\uff11"])
def test_a_bad_audit_page_is_refused_plainly(
    client: FlaskClient, sam: dict[str, str], before: str
) -> None:
    sign_in(client, "sam")
    response = client.get("/console/audit", query_string={"before": before})
    assert response.status_code == 400
    assert "not a page of the audit log" in response.get_data(as_text=True)


# Blocks on the conversation page


def test_the_conversation_page_offers_blocks_and_lifts_them_once_blocked(
    client: FlaskClient, alice: dict[str, str]
) -> None:
    conversation_id = queue_texter(client)
    claim(client, alice, conversation_id)
    sign_in(client, "alice")
    path = f"/console/conversations/{conversation_id}"

    section = block_section(page(client, path))
    assert "Block this sender:" in section
    assert '<div id="block-controls">' in section
    assert '<div id="unblock-controls" hidden>' in section
    for hours, label in (("24", "24 hours"), ("168", "7 days"), ("", "until lifted")):
        assert f'data-block="{hours}"' in section and f">{label}</button>" in section

    blocked = client.post(
        f"/api/v1/conversations/{conversation_id}/block", headers=alice, json={"hours": None}
    )
    assert blocked.status_code == 200
    html = page(client, path)
    section = block_section(html)
    assert '<div id="block-controls" hidden>' in section
    assert '<div id="unblock-controls">' in section
    assert ">Lift the block</button>" in section
    assert '<dd id="blocked">Yes, until lifted</dd>' in html
    assert parsed(html).inline == []


def test_an_anonymised_conversation_has_nobody_to_block(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    conversation_id = queue_texter(client)
    claim(client, alice, conversation_id)
    update_conversation(app, conversation_id, contact_id=None)
    sign_in(client, "alice")
    html = page(client, f"/console/conversations/{conversation_id}")
    assert 'id="block-heading"' not in html


# Every open conversation, for supervisors


def test_supervisors_see_conversations_held_by_counsellors(
    client: FlaskClient, alice: dict[str, str], sam: dict[str, str]
) -> None:
    held = queue_texter(client)
    claim(client, alice, held)
    waiting = queue_texter(client, number(7))
    sign_in(client, "sam")

    html = page(client, "/console/queue")

    section = html.split('aria-labelledby="held-heading"', 1)[1].split("</section>", 1)[0]
    assert "With counsellors" in html
    assert "1 conversation is with a counsellor." in section
    assert f'<a href="/console/conversations/{held}">Conversation {held}</a>' in section
    assert '<dd class="held-by">alice</dd>' in section
    assert "+1 •••• ••• 123" in section and "+14155550123" not in html
    assert f"Conversation {waiting}<" not in section  # the waiting one is in the queue
    assert 'data-held="/console/queue/held"' in html
    assert parsed(html).inline == []

    fragment = page(client, "/console/queue/held")
    assert '<dd class="held-by">alice</dd>' in fragment
    # From the list, the supervisor opens it with the transfer form at hand.
    assert 'id="transfer-form"' in page(client, f"/console/conversations/{held}")


def test_counsellors_do_not_see_others_conversations_on_the_queue_page(
    client: FlaskClient, alice: dict[str, str]
) -> None:
    bob = add_counsellor(client.application, "bob")
    claim(client, bob, queue_texter(client))
    sign_in(client, "alice")

    html = page(client, "/console/queue")

    assert "With counsellors" not in html
    assert "bob" not in html
    assert "data-held" not in html
    assert client.get("/console/queue/held").status_code == 403
