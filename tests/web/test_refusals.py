"""Every refusal has a code the console can say in each of its languages."""

from __future__ import annotations

import ast
import string
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

import responder
from responder import errors
from responder.web.console.words import catalogues
from tests.console_sessions import form_token, script_words, sign_in, update_account

PACKAGE = Path(responder.__file__).parent
REFUSALS = {
    name
    for name, kind in vars(errors).items()
    if isinstance(kind, type) and issubclass(kind, errors.HandoffError)
}


def raised_refusals() -> list[tuple[str, ast.Call]]:
    """Each `raise NotFound(...)`, `raise Rejected(...)` ... in the package, with its place."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            called = node.exc.func
            name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
            if name in REFUSALS:
                found.append((f"{path.relative_to(PACKAGE)}:{node.lineno}", node.exc))
    return found


def codes_of(call: ast.Call) -> list[str]:
    """The codes a raise can give: a literal, or a choice between literals."""
    return choices(call.args[1]) if len(call.args) > 1 else []


def choices(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return [*choices(node.body), *choices(node.orelse)]
    return []  # built at run time: no test could tell that a phrase exists


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_every_refusal_raised_has_a_phrase_its_values_fill() -> None:
    english = catalogues()["en"]
    raised = raised_refusals()
    assert len(raised) > 30  # the scan sees the package's refusals
    used = set()
    for place, call in raised:
        codes = codes_of(call)
        assert codes, f"{place}: a refusal without a code shows in English in every console"
        given = {keyword.arg for keyword in call.keywords}
        for code in codes:
            key = f"script.refused.{code}"
            assert key in english, f"{place}: no phrase {key}"
            missing = placeholders(english[key]) - given
            assert not missing, f"{place}: {key} needs {sorted(missing)}"
            used.add(key)
    # InvalidFields gives its code in its own constructor.
    used.add("script.refused.wrapup_unaccepted")
    phrases = {key for key in english if key.startswith("script.refused.")}
    assert phrases - used == set(), "phrases for refusals nothing raises"


def test_a_refusal_reaches_the_console_script_in_the_counsellors_language(
    app: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    update_account(app, "alice", console_language="fr")
    sign_in(client, "alice")
    carried = script_words(client.get("/console/queue").get_data(as_text=True))
    assert (
        carried["refused.at_limit"]
        == "Vous avez déjà {limit} conversations ouvertes, votre limite."
    )


def test_a_refused_flag_is_told_in_french_on_the_page(
    app: Flask, client: FlaskClient, alice: dict[str, str], waiting: int
) -> None:
    update_account(app, "alice", console_language="fr")
    sign_in(client, "alice")
    page = f"/console/conversations/{waiting}"
    client.post(
        f"{page}/flags",
        data={
            "csrf_token": form_token(client.get(page)),
            "label": "menaces",
            "expires_on": "2099-01-01",
        },
    )
    shown = client.get(page).get_data(as_text=True)
    assert (
        "Signalement inchangé. Un signalement dure au plus 365 jours : "
        "choisissez une date de fin plus proche."
    ) in shown
    assert "lasts at most" not in shown
