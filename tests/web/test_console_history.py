"""The history panel's forms without the script: flags added and lifted by plain posts."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.console_sessions import form_token, sign_in

# The line shown, not hidden, while the texter has no flag.
NO_FLAGS = '<p id="flags-none" class="hint">No flags.</p>'


def test_a_flag_is_added_and_lifted_by_plain_form_posts(
    client: FlaskClient, alice: dict[str, str], waiting: int
) -> None:
    sign_in(client, "alice")
    page = f"/console/conversations/{waiting}"
    token = form_token(client.get(page))

    added = client.post(
        f"{page}/flags",
        data={"csrf_token": token, "label": "repeat threats", "expires_on": "2099-01-01"},
    )
    assert added.status_code == 302 and added.headers["Location"] == page
    # Over a year ahead: refused with words, nothing added.
    shown = client.get(page).get_data(as_text=True)
    assert "Flag not changed: a flag lasts at most 365 days" in shown
    assert NO_FLAGS in shown and 'class="flag"' not in shown

    client.post(f"{page}/flags", data={"csrf_token": token, "label": "repeat threats"})
    shown = client.get(page).get_data(as_text=True)
    assert "Flag added." in shown
    assert '<strong class="mark mark-flag">repeat threats</strong>' in shown
    (flag_id,) = re.findall(r'data-flag-id="(\d+)"', shown)
    assert "Flag: repeat threats" in client.get("/console/queue").get_data(as_text=True)

    # Without the form's token nothing changes.
    assert client.post(f"{page}/flags/{flag_id}/lift").status_code == 400
    lifted = client.post(f"{page}/flags/{flag_id}/lift", data={"csrf_token": token})
    assert lifted.status_code == 302
    shown = client.get(page).get_data(as_text=True)
    assert "Flag lifted." in shown and NO_FLAGS in shown
    again = client.post(f"{page}/flags/{flag_id}/lift", data={"csrf_token": token})
    assert again.status_code == 404
