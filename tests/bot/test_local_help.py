"""Local help and languages: each texter sees their own country's services, in their language."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from responder import create_app, services
from responder.bot.check import check, composed_messages
from responder.bot.content import ContentError, load
from responder.bot.engine import match_page
from responder.channels.transport import Inbound
from responder.conversations.hours import load as load_hours
from responder.conversations.receiving import Policy, receive
from responder.store.db import get_session
from tests.checkout import ROOT
from tests.twilio_requests import new_sid, post_signed, replies, settings, sms

SHIPPED = ROOT / "content"
CONTENT = load(SHIPPED)


def chat(client: FlaskClient, sender: str, *texts: str) -> list[str]:
    """Send each text from one number; return the last reply."""
    answer: list[str] = []
    for text in texts:
        answer = replies(post_signed(client, sms(text, sender=sender)))
    return answer


# Reporting and removing photos ask the age first; 3 skips it, so every service shows.
@pytest.mark.parametrize(
    ("sender", "texts", "expected"),
    [
        # UK: CEOP to report, Childline to talk, Report Remove to take photos down.
        ("+447700900123", ("hi", "where to report", "3"), ["CEOP", "101"]),
        ("+447700900123", ("hi", "helplines"), ["Childline: 0800 1111", "Shout"]),
        ("+447700900123", ("hi", "take down my photos", "3"), ["Report Remove", "Take It Down"]),
        # USA: the CyberTipline and Take It Down.
        ("+14155550123", ("hi", "where do i report", "3"), ["CyberTipline", "tips.fbi.gov"]),
        ("+14155550123", ("hi", "5", "3"), ["Take It Down", "takeitdown.ncmec.org"]),
        ("+14155550123", ("hi", "8"), ["988"]),
        # Indonesia: SAPA 129; no checked police line of its own, so the international ones.
        ("+6281234567890", ("hi", "helplines"), ["SAPA 129"]),
        (
            "+6281234567890",
            ("hi", "where to report", "3"),
            ["your local police", "report.cybertip"],
        ),
        # A number from nowhere in particular: the international entries.
        ("+80012345678", ("hi", "where to report", "3"), ["report.cybertip.org"]),
        ("+80012345678", ("hi", "5", "3"), ["StopNCII", "Take It Down"]),
        ("+80012345678", ("hi", "8"), ["emergency number"]),
    ],
)
def test_texters_see_their_own_countrys_help(
    client: FlaskClient, sender: str, texts: tuple[str, ...], expected: list[str]
) -> None:
    (reply,) = chat(client, sender, *texts)
    for words in expected:
        assert words in reply


def test_a_french_number_is_answered_in_french(app: Flask, client: FlaskClient) -> None:
    french = services.of(app).content.language("fr")
    (welcome,) = chat(client, "+33612345678", "bonjour")
    assert welcome.startswith(french.messages["welcome"])
    assert "Menu principal" in welcome
    (report,) = chat(client, "+33612345678", "PAYS FR", "1", "3")  # 3 skips the age question
    assert "internet-signalement.gouv.fr" in report
    assert "Plainte" in report  # French words for French services


@pytest.mark.parametrize("sender", ["+2250701020304", "+221771234567"])
def test_french_speaking_africa_starts_in_french(app: Flask, client: FlaskClient, sender: str):
    french = services.of(app).content.language("fr")
    (welcome,) = chat(client, sender, "hello")
    assert welcome.startswith(french.messages["welcome"])


def test_language_and_country_can_change_mid_conversation(app: Flask, client: FlaskClient) -> None:
    content = services.of(app).content
    texter = "+447700900123"
    chat(client, texter, "hi", "1")
    (french,) = chat(client, texter, "FRANCAIS")
    assert french.startswith(content.language("fr").messages["language_set"])
    (still,) = chat(client, texter, "3")
    assert still.startswith(content.language("fr").pages["now_dont_pay"].title)
    (english,) = chat(client, texter, "english")
    assert english.startswith(content.language("en").messages["language_set"])
    (moved,) = chat(client, texter, "COUNTRY FR")
    assert moved.startswith("OK. We will show you help for France.")
    assert "internet-signalement.gouv.fr" not in moved  # local_help lists the kinds of help
    (report,) = chat(client, texter, "1", "3")  # 3 skips the age question
    assert "internet-signalement.gouv.fr" in report
    assert "CEOP" not in report
    (unknown,) = chat(client, texter, "COUNTRY ZZ")
    assert unknown.startswith(content.language("en").messages["country_unknown"].format(code="ZZ"))


def test_country_names_are_in_the_texters_language(app: Flask, client: FlaskClient) -> None:
    content = services.of(app).content
    texter = "+221771234567"  # Senegal starts in French
    chat(client, texter, "bonjour")
    (moved,) = chat(client, texter, "PAYS GB")
    french = content.language("fr").messages
    assert moved.startswith(french["country_set"].format(country="Royaume-Uni"))
    assert "United Kingdom" not in moved
    (back,) = chat(client, texter, "PAYS SN")
    assert "Sénégal" in back


@pytest.mark.parametrize(
    ("sender", "first", "word", "code"),
    [
        ("+447700900123", "is this confidential?", "PRIVACY", "en"),
        ("+33612345678", "c'est confidentiel ?", "CONFIDENTIEL", "fr"),
        ("+525512345678", "es confidencial?", "PRIVACIDAD", "es"),
    ],
)
def test_a_new_texter_can_ask_first_what_stays_private(
    app: Flask, client: FlaskClient, sender: str, first: str, word: str, code: str
) -> None:
    """Someone afraid of being found out may ask this before anything else: the welcome
    and menu answer first, the menu says which word shows what stays private, and that
    word (or the question asked again) shows it."""
    lang = services.of(app).content.language(code)
    about = lang.pages["about"]
    (welcome,) = chat(client, sender, first)
    assert welcome.startswith(lang.messages["welcome"])
    assert word in welcome  # the main menu under the welcome names the word
    for ask in (word, first):
        (answer,) = chat(client, sender, ask)
        assert answer.startswith(about.title)
        assert about.text.strip().splitlines()[0] in answer  # the confidentiality sentence


@pytest.mark.parametrize(
    ("code", "question", "page"),
    [
        ("en", "do you tell the police?", "about"),
        ("en", "will you call the police", "about"),
        ("en", "do you tell my parents", "about"),
        ("en", "how do you tell my parents", "now_tell"),
        ("en", "how do i tell the police", "now_police"),
        ("fr", "vous prevenez la police ?", "about"),
        ("fr", "vous le dites a mes parents ?", "about"),
        ("fr", "comment le dire a mes parents", "now_tell"),
        ("es", "le dicen a la policia?", "about"),
        ("es", "le van a decir a mis padres?", "about"),
        ("es", "como le digo a mis padres", "now_tell"),
    ],
)
def test_asking_whether_the_helpline_tells_the_police_or_parents_shows_what_stays_private(
    app: Flask, code: str, question: str, page: str
) -> None:
    """A question about what the helpline does with what they write is answered by the
    confidentiality page; asking how to tell someone still opens that step."""
    assert match_page(services.of(app).content.language(code), question) == page


def test_the_language_menu_switches_too(app: Flask, client: FlaskClient) -> None:
    content = services.of(app).content
    lang = content.language("en")
    texter = "+14155550123"
    chat(client, texter, "hi")
    local = str(lang.pages["main"].options.index("local_help") + 1)
    language = str(lang.pages["local_help"].options.index("language") + 1)
    french = str(lang.pages["language"].options.index("to_fr") + 1)
    (menu,) = chat(client, texter, local, language, french)
    assert menu.startswith(content.language("fr").messages["language_set"])


@pytest.mark.parametrize("country", [*sorted(CONTENT.directory.places), None])
@pytest.mark.parametrize("code", sorted(CONTENT.languages))
def test_unverified_entries_are_never_shown(country: str | None, code: str) -> None:
    places = [CONTENT.directory.international]
    if country:
        places.append(CONTENT.directory.places[country])
    hidden = {c for p in places for r in p.resources if not r.verified for c in r.contacts.values()}
    shown = {c for p in places for r in p.resources if r.verified for c in r.contacts.values()}
    local = CONTENT.local(code, country)
    lang = CONTENT.language(code)
    for page_id, page in lang.pages.items():
        if page.action:
            continue
        text = lang.render(page_id, "sms", local)
        for contact in hidden - shown:
            assert contact not in text, f"{country} {page_id} shows unverified {contact}"


@pytest.mark.parametrize("code", sorted(CONTENT.languages))
def test_no_page_repeats_a_line_or_stacks_fallbacks(code: str) -> None:
    """Every page, for every country (and none), language, age and channel, with every
    prefix the bot can put in front: no line twice, and "reply TALK" at most once."""
    lang = CONTENT.language(code)
    offer = lang.messages["talk_offer"]
    checked = 0
    for message in composed_messages(CONTENT, lang):
        lines = [line for line in message.text.splitlines() if line.strip()]
        repeated = {line for line in lines if lines.count(line) > 1}
        assert not repeated, f"{message.entry} ({message.country}) repeats {repeated}"
        assert message.text.count(offer) <= 1, f"{message.entry} ({message.country}) stacks offers"
        checked += 1
    assert checked > 1000


def test_a_service_under_two_roles_shows_once() -> None:
    """Lifeline answers adults and people in crisis; the helplines page lists it once."""
    local = CONTENT.local("en", "AU", None)
    assert set(local.lines["adult"]) & set(local.lines["crisis"])
    page = CONTENT.language("en").render("local_helplines", "sms", local)
    assert page.count("Lifeline: 13 11 14") == 1


def test_a_country_with_little_help_offers_a_person_once() -> None:
    en = CONTENT.language("en")
    page = en.render("local_helplines", "sms", CONTENT.local("en", None, None))
    assert page.count(en.messages["talk_offer"]) == 1
    assert en.messages["none_child"] in page
    assert en.messages["none_adult"] not in page  # the second fallback is left out
    # Placeholders inside a sentence always get their text, but the offer still comes once.
    inline = CONTENT.local("en", None, None).fill("Young? {child} Older? {adult}")
    assert inline.count(en.messages["talk_offer"]) == 1
    assert en.messages["none_child"] in inline and en.messages["none_adult"] in inline
    adult = en.render("local_helplines", "sms", CONTENT.local("en", None, False))
    assert en.messages["none_child"] not in adult  # an adult is not sent to a child line


def test_every_country_has_a_placeholder_answer_for_every_kind(tmp_path: Path) -> None:
    for code in CONTENT.languages:
        for country in [*CONTENT.directory.places, None, "ZZ"]:
            local = CONTENT.local(code, country)
            for role in local.lines:
                # A page listing one kind of help never shows nothing there.
                assert local.fill(f"Help:\n{{{role}}}").strip() != "Help:", (code, country, role)


def copy_content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(SHIPPED, root)
    return root


def test_unchecked_entries_are_flagged_after_180_days(tmp_path: Path) -> None:
    soon = check(SHIPPED, today=date(2026, 11, 28) + timedelta(days=180))
    assert not [p for p in soon if p.warning]
    later = check(SHIPPED, today=date(2026, 11, 28) + timedelta(days=181))
    stale = [p for p in later if p.warning and "last checked 181 days ago" in p.message]
    assert stale
    assert all(p.file.endswith(".toml") and "resources #" in p.entry for p in stale)
    assert not [p for p in later if not p.warning]


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ('confidence = "H"', 'confidence = "L"', "cannot be verified"),
        ('role = "police"', 'role = "cops"', "role must be one of"),
        ("checked = 2026-11-28", 'checked = "last week"', "checked must be a date"),
        ('country = "GB"', 'country = "UK"', "must be 'GB'"),
    ],
)
def test_resource_mistakes_are_named(tmp_path: Path, old: str, new: str, says: str) -> None:
    root = copy_content(tmp_path)
    path = root / "resources" / "gb.toml"
    path.write_text(path.read_text().replace(old, new, 1))
    problems = [p for p in check(root) if not p.warning]
    assert any(p.file == str(path) and says in p.message for p in problems), problems


def test_languages_must_have_the_same_pages(tmp_path: Path) -> None:
    root = copy_content(tmp_path)
    path = root / "fr" / "pages.toml"
    text = path.read_text()
    start = text.index("[pages.q_apps]")
    end = text.index("[pages.", start + 5)
    path.write_text(text[:start] + text[end:])
    problems = [str(p) for p in check(root) if not p.warning]
    assert any("fr/pages.toml: pages.q_apps: missing" in p for p in problems), problems


def test_adding_a_language_is_adding_a_folder(tmp_path: Path) -> None:
    root = copy_content(tmp_path)
    shutil.copytree(root / "en", root / "xx")
    (root / "xx" / "language.toml").write_text(
        'name = "Test"\nswitch = ["TESTLANG"]\ncountries = ["IS"]\nrequire_gsm7 = false\n'
        'days = ["1", "2", "3", "4", "5", "6", "7"]\n'
    )
    content = load(root)
    assert content.language_for("IS") == "xx"
    assert not [p for p in check(root) if not p.warning]


def test_the_app_refuses_content_it_cannot_walk_through(tmp_path: Path) -> None:
    root = copy_content(tmp_path)
    path = root / "fr" / "pages.toml"
    path.write_text(path.read_text().replace('"q_common",', '"q_nowhere",', 1))
    config = settings(f"sqlite:///{tmp_path}/db.sqlite3", RESPONDER_CONTENT_DIR=str(root))
    with pytest.raises(ContentError, match="q_nowhere"):
        create_app(config)


@pytest.mark.parametrize(
    ("sender", "word", "opening", "danger"),
    [
        ("+33612345678", "AIDE", "Service d'aide gratuit", "En danger ? Police: 17"),
        ("+447700900123", "help", "This is a free, private helpline", "Police emergency: 999"),
    ],
)
def test_a_new_texters_first_word_help_ends_on_their_own_emergency_number(
    client: FlaskClient, sender: str, word: str, opening: str, danger: str
) -> None:
    (reply,) = replies(post_signed(client, sms(word, sender=sender)))
    assert reply.startswith(opening) and reply.endswith(danger)


def test_fallback_speaks_the_texters_language(app: Flask, client: FlaskClient) -> None:
    content = services.of(app).content
    french = client.post("/twilio/fallback", data={"From": "+33612345678", "ErrorCode": "11200"})
    # In their language, and with their own emergency number when it is known.
    fallback = content.language("fr").messages["fallback"]
    assert replies(french) == [fallback.format(emergency="Police: 17")]
    nobody = client.post("/twilio/fallback", data={"ErrorCode": "11200"})
    fallback = content.language("en").messages["fallback"]
    assert replies(nobody) == [fallback.format(emergency="Call your local emergency number.")]


def test_closed_service_says_when_it_opens_in_french(app: Flask) -> None:
    content = services.of(app).content
    hours = load_hours(ROOT / "hours.example.toml")
    policy = Policy(keys=services.of(app).keys, hours=hours)
    saturday_night = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)
    with app.app_context():
        session = get_session()
        for text in ("bonjour", "PARLER", "3"):  # 3 skips the age question
            inbound = Inbound("sms", "+33612345678", "+1", text, new_sid())
            (reply,) = receive(session, inbound, saturday_night, content, policy)
        session.commit()
    assert "On rouvre dimanche à 12:00." in reply
