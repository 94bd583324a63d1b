"""The console in a counsellor's own language: the catalogues, the choice, and the pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from responder.web.console import words
from tests.console_sessions import form_token, script_words, sign_in
from tests.counsellors import add_counsellor


def text(response) -> str:
    return response.get_data(as_text=True)


def choose(client: FlaskClient, language: str, next_path: str = "/console/queue"):
    token = form_token(client.get("/console/two-factor"))
    return client.post(
        "/console/language", data={"csrf_token": token, "language": language, "next": next_path}
    )


def test_every_language_has_every_english_phrase_with_the_same_placeholders() -> None:
    catalogues = words.load(words.CATALOGUES)
    assert set(catalogues) == set(words.LANGUAGES)
    english = catalogues["en"]
    assert "nav.queue" in english and "{name}" in english["site.signed_in"]
    for language, phrases in catalogues.items():
        assert set(phrases) == set(english), language
    # A phrase left in English is a phrase nobody translated.
    same = [key for key in english if catalogues["fr"][key] == english[key]]
    assert len(same) < len(english) // 5, same


@pytest.mark.parametrize(
    ("french", "complaint"),
    [
        ('[nav]\nqueue = "File"\n', "fr/nav.toml: missing ['nav.accounts']"),
        ('[nav]\nqueue = "File"\naccounts = "Comptes"\nextra = "Non"\n', "unknown ['nav.extra']"),
        ('[nav]\nqueue = "File {nom}"\naccounts = "Comptes"\n', "placeholders ['name']"),
        ('[nav]\nqueue = 3\naccounts = "Comptes"\n', "nav.queue must be text"),
        ("[nav\n", "fr/nav.toml"),
    ],
)
def test_a_catalogue_that_does_not_match_english_is_refused_with_its_file_and_phrase(
    tmp_path: Path, french: str, complaint: str
) -> None:
    english, translated = tmp_path / "en", tmp_path / "fr"
    english.mkdir(), translated.mkdir()
    (english / "nav.toml").write_text('[nav]\nqueue = "Queue {name}"\naccounts = "Accounts"\n')
    (translated / "nav.toml").write_text(french)
    with pytest.raises(words.CatalogueError, match=r"fr/nav\.toml") as refused:
        words.load(tmp_path)
    assert complaint in str(refused.value)


def test_a_language_without_one_of_the_english_files_or_with_a_key_twice_is_refused(
    tmp_path: Path,
) -> None:
    english, translated = tmp_path / "en", tmp_path / "fr"
    english.mkdir(), translated.mkdir()
    (english / "nav.toml").write_text('[nav]\nqueue = "Queue"\n')
    (english / "queue.toml").write_text('[queue]\ntitle = "Queue"\n')
    (translated / "nav.toml").write_text('[nav]\nqueue = "File"\n')
    with pytest.raises(words.CatalogueError, match=r"fr/: holds \['nav.toml'\]"):
        words.load(tmp_path)
    (translated / "queue.toml").write_text('[queue]\ntitle = "File"\n')
    (english / "queue.toml").write_text('[queue]\ntitle = "Queue"\n[nav]\nqueue = "Q"\n')
    (translated / "queue.toml").write_text('[queue]\ntitle = "File"\n[nav]\nqueue = "F"\n')
    with pytest.raises(words.CatalogueError, match=r"\['nav.queue'\] are in another file too"):
        words.load(tmp_path)


def test_the_sign_in_page_follows_the_browsers_language(client: FlaskClient) -> None:
    french = client.get("/console/login", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert '<html lang="fr">' in text(french)
    assert "Nom d&#39;utilisateur" in text(french) and "Mot de passe" in text(french)
    english = client.get("/console/login", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert '<html lang="en">' in text(english) and "Username" in text(english)


def test_a_counsellor_chooses_french_and_every_device_then_speaks_it(
    app: Flask, client: FlaskClient
) -> None:
    add_counsellor(app, "alice")
    sign_in(client, "alice")
    assert "Sign out" in text(client.get("/console/two-factor"))

    chosen = choose(client, "fr", "/console/two-factor")
    assert chosen.status_code == 302 and chosen.headers["Location"] == "/console/two-factor"
    page = text(client.get("/console/two-factor"))
    assert '<html lang="fr">' in page
    assert "Se déconnecter" in page and "File d&#39;attente" in page
    assert "La console parle maintenant français." in page
    # Kept on the account: a browser asking for English still gets French.
    other = app.test_client()
    sign_in(other, "alice")
    page = text(other.get("/console/two-factor", headers={"Accept-Language": "en"}))
    assert "Se déconnecter" in page


def test_a_language_the_console_does_not_speak_is_refused_in_words(
    app: Flask, client: FlaskClient
) -> None:
    add_counsellor(app, "alice")
    sign_in(client, "alice")
    refused = choose(client, "xx")
    assert refused.status_code == 400
    assert "Choose one of the console&#39;s languages." in text(refused)
    assert '<html lang="en">' in text(client.get("/console/two-factor"))


def test_choosing_a_language_leaves_the_console_only_for_a_console_page(
    app: Flask, client: FlaskClient
) -> None:
    add_counsellor(app, "alice")
    sign_in(client, "alice")
    away = choose(client, "en", "https://example.org/console/queue")
    assert away.status_code == 302 and away.headers["Location"] == "/console/"


STATIC = Path(words.__file__).resolve().parent.parent / "static"
TEMPLATES = Path(words.__file__).resolve().parent.parent / "templates" / "console"
# A dotted lower-case string in a script is a phrase key: "queue.someone_free".
SCRIPT_KEY = re.compile(r"""["']([a-z_]+(?:\.[a-z0-9_]+)+)["']""")
# Selectors that look like keys and are not.
NOT_KEYS = {"li.flag"}


def test_every_phrase_a_page_or_a_script_names_is_in_the_catalogues() -> None:
    english = words.load(words.CATALOGUES)["en"]
    prefixes = {key.rsplit(".", 1)[0] + "." for key in english}
    named = {
        key
        for page in TEMPLATES.glob("*.html")
        for key in re.findall(r"""\bt\(\s*["']([^"']+)["']""", page.read_text())
    }
    # A key ending in a dot is a prefix the page completes ("role." ~ role).
    missing = sorted(key for key in named if key not in english and key not in prefixes)
    assert not missing, missing
    scripts = {
        key
        for script in STATIC.glob("*.js")
        for key in SCRIPT_KEY.findall(script.read_text())
        if key not in NOT_KEYS
    }
    assert "queue.someone_free" in scripts
    unknown = sorted(key for key in scripts if f"script.{key}" not in english)
    assert not unknown, unknown


def test_a_french_counsellors_pages_carry_the_scripts_words_in_french(
    app: Flask, client: FlaskClient
) -> None:
    add_counsellor(app, "alice")
    sign_in(client, "alice")
    choose(client, "fr")
    page = text(client.get("/console/queue"))
    carried = script_words(page)
    assert carried["queue.nobody_free"].startswith("Les personnes qui écrivent")
    assert "Texters are told" not in page
