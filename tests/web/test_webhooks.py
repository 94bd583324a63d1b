"""The Twilio webhooks, driven with signed requests shaped like Twilio's own."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from responder import create_app, services
from responder.bot.sms import encode
from responder.store.db import get_session
from responder.store.models import Contact, Conversation, Message
from tests.outbox_rows import opened
from tests.twilio_requests import (
    AUTH_TOKEN,
    PUBLIC_URL,
    STOP_ADVANCED_BODY,
    TEXTER,
    WHATSAPP_BUTTON_BODY,
    WHATSAPP_IMAGE_BODY,
    fixture_form,
    post_signed,
    replies,
    settings,
    sign,
    sms,
    whatsapp,
)


def english(app: Flask):
    return services.of(app).content.language("en")


def count(app: Flask, model) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(model))


def test_first_sms_gets_welcome_and_numbered_menu(app: Flask, client: FlaskClient) -> None:
    response = post_signed(client, sms("hi"))
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    (reply,) = replies(response)
    lang = english(app)
    assert reply.startswith(lang.messages["welcome"])
    assert "STOP" in reply
    for number, target in enumerate(lang.pages["main"].options, 1):
        assert f"\n{number} {lang.pages[target].title}" in reply
    assert encode(reply).name == "GSM-7"
    assert encode(reply).segments <= 3


def test_options_lead_to_pages_and_back(app: Flask, client: FlaskClient) -> None:
    lang = english(app)
    post_signed(client, sms("hi"))
    first = lang.pages["main"].options[0]
    (page,) = replies(post_signed(client, sms("1")))
    assert page.startswith(lang.pages[first].title)
    (home,) = replies(post_signed(client, sms("BACK")))
    assert home.startswith(lang.pages["main"].title)
    (again,) = replies(post_signed(client, sms("7")))
    assert again.startswith(lang.pages[lang.pages["main"].options[6]].title)
    (menu,) = replies(post_signed(client, sms("menu")))
    assert menu.startswith(lang.pages["main"].title)


@pytest.mark.parametrize(
    "change",
    [
        {"Body": "tampered"},
        {"From": "+14155550999"},
        {"ExtraField": "added after signing"},
    ],
)
def test_changed_request_is_refused(app: Flask, client: FlaskClient, change) -> None:
    form = sms("hi")
    signature = sign("/twilio/messages", form)
    form.update(change)
    response = client.post(
        "/twilio/messages",
        data=form,
        headers={"X-Twilio-Signature": signature},
        base_url=PUBLIC_URL,
    )
    assert response.status_code == 403
    assert count(app, Message) == 0


def test_missing_or_foreign_signature_is_refused(app: Flask, client: FlaskClient) -> None:
    form = sms("hi")
    unsigned = client.post("/twilio/messages", data=form, base_url=PUBLIC_URL)
    other_host = client.post(
        "/twilio/messages",
        data=form,
        headers={"X-Twilio-Signature": sign("/twilio/messages", form, "https://evil.example")},
        base_url=PUBLIC_URL,
    )
    assert unsigned.status_code == 403
    assert other_host.status_code == 403
    assert count(app, Contact) == 0


def test_signature_covers_the_query_string(client: FlaskClient) -> None:
    form = sms("hi")
    path = "/twilio/messages?source=sms%20number&lang=caf%C3%A9"
    response = client.post(
        path, data=form, headers={"X-Twilio-Signature": sign(path, form)}, base_url=PUBLIC_URL
    )
    assert response.status_code == 200


def test_a_signature_over_the_url_with_its_port_or_a_repeated_field_is_checked_whole(
    app: Flask, client: FlaskClient
) -> None:
    path = "/twilio/messages"
    # Twilio has signed some requests over the URL with the scheme's port written out.
    form = sms("hi")
    with_port = sign(path, form, PUBLIC_URL.replace(".org", ".org:443"))
    accepted = client.post(
        path, data=form, headers={"X-Twilio-Signature": with_port}, base_url=PUBLIC_URL
    )
    assert accepted.status_code == 200
    # Every value of a field sent twice is signed; changing either one is refused.
    repeated = MultiDict([*sms("hello").items(), ("Tag", "a"), ("Tag", "b")])
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, repeated)
    headers = {"X-Twilio-Signature": signature}
    altered = MultiDict([*sms("hello").items(), ("Tag", "a"), ("Tag", "c")])
    altered["MessageSid"] = repeated["MessageSid"]
    refused = client.post(path, data=altered, headers=headers, base_url=PUBLIC_URL)
    assert refused.status_code == 403
    assert client.post(path, data=repeated, headers=headers, base_url=PUBLIC_URL).status_code == 200
    # A signature that is not even ASCII is refused like any other wrong one.
    odd = {"X-Twilio-Signature": "é" * len(signature)}
    assert client.post(path, data=sms("hi"), headers=odd, base_url=PUBLIC_URL).status_code == 403
    with app.app_context():
        stored = get_session().scalars(select(Message.direction).where(Message.direction == "in"))
        assert len(stored.all()) == 2  # the refused one was not kept


def test_proxied_url_is_checked_when_proxies_are_trusted(make_app) -> None:
    app = make_app(PUBLIC_URL="https://public.example.org", RESPONDER_TRUSTED_PROXIES=1)
    form = sms("hi")
    headers = {
        "X-Twilio-Signature": sign("/twilio/messages", form, "https://public.example.org"),
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "public.example.org",
    }
    client = app.test_client()
    ok = client.post(
        "/twilio/messages", data=form, headers=headers, base_url="http://10.0.0.5:8000"
    )
    assert ok.status_code == 200
    headers["X-Forwarded-Host"] = "other.example.org"
    form = sms("hi")
    refused = client.post(
        "/twilio/messages", data=form, headers=headers, base_url="http://10.0.0.5:8000"
    )
    assert refused.status_code == 403


def test_behind_proxies_a_signature_made_for_another_host_is_refused(make_app) -> None:
    app = make_app(PUBLIC_URL="https://public.example.org", RESPONDER_TRUSTED_PROXIES=1)
    form = sms("hi")
    # A signature that is right for the host the request claims, but that host is not
    # the helpline's: Twilio signed it for someone else's webhook.
    headers = {
        "X-Twilio-Signature": sign("/twilio/messages", form, "https://other.example.org"),
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "other.example.org",
    }
    refused = app.test_client().post(
        "/twilio/messages", data=form, headers=headers, base_url="http://10.0.0.5:8000"
    )
    assert refused.status_code == 403
    assert count(app, Message) == 0
    # The helpline's own host still passes, also with the port the proxy reports.
    form = sms("hi")
    headers = {
        "X-Twilio-Signature": sign("/twilio/messages", form, "https://public.example.org"),
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "Public.Example.org",
        "X-Forwarded-Port": "443",
    }
    ok = app.test_client().post(
        "/twilio/messages", data=form, headers=headers, base_url="http://10.0.0.5:8000"
    )
    assert ok.status_code == 200


def test_repeated_message_sid_gets_the_same_answer_and_changes_nothing(
    app: Flask, client: FlaskClient
) -> None:
    post_signed(client, sms("hi"))
    form = sms("1")
    first = post_signed(client, form)
    messages_before = count(app, Message)
    second = post_signed(client, form)
    assert second.status_code == 200
    assert second.get_data() == first.get_data()
    assert count(app, Message) == messages_before
    # The menu did not move on: "1" on the page reached would go elsewhere.
    (page,) = replies(post_signed(client, sms("BACK")))
    assert page.startswith(english(app).pages["main"].title)


def test_stop_silences_the_bot_until_start(app: Flask, client: FlaskClient) -> None:
    post_signed(client, sms("hi"))
    stop = post_signed(client, sms("Stop"))
    assert stop.status_code == 200
    assert replies(stop) == []
    assert "<Response />" in stop.get_data(as_text=True)
    for text in ("hi", "1", "MENU", "HELP"):
        assert replies(post_signed(client, sms(text))) == []
    (back,) = replies(post_signed(client, sms("START")))
    assert back == english(app).messages["opted_in"]
    (menu,) = replies(post_signed(client, sms("0")))
    assert menu.startswith(english(app).pages["main"].title)


@pytest.mark.parametrize("word", ["STOPALL", "unsubscribe", "Cancel", "END", "quit.", "OPTOUT"])
def test_every_stop_word_opts_out(client: FlaskClient, word: str) -> None:
    post_signed(client, sms("hi"))
    assert replies(post_signed(client, sms(word))) == []
    assert replies(post_signed(client, sms("2"))) == []


def test_advanced_opt_out_is_respected(app: Flask, client: FlaskClient) -> None:
    post_signed(client, sms("hi"))
    assert replies(post_signed(client, fixture_form(STOP_ADVANCED_BODY))) == []
    assert replies(post_signed(client, sms("hi"))) == []
    # Twilio has already answered START itself: the helpline stays quiet but listens again.
    assert replies(post_signed(client, sms("START", OptOutType="START"))) == []
    assert replies(post_signed(client, sms("MENU")))
    # And Twilio's HELP answer is not doubled.
    assert replies(post_signed(client, sms("HELP", OptOutType="HELP"))) == []


def test_help_answers_without_losing_the_place(app: Flask, client: FlaskClient) -> None:
    lang = english(app)
    post_signed(client, sms("hi"))
    post_signed(client, sms("7"))
    (help_text,) = replies(post_signed(client, sms("help")))
    # Ends on the texter's own emergency number (a US number here).
    assert help_text == lang.messages["help"].format(emergency="Emergency: 911")
    questions = lang.pages["main"].options[6]
    (page,) = replies(post_signed(client, sms("1")))
    assert page.startswith(lang.pages[lang.pages[questions].options[0]].title)


def test_media_is_refused_kindly_and_never_stored(app: Flask, client: FlaskClient) -> None:
    post_signed(client, whatsapp("hi"))
    (reply,) = replies(post_signed(client, fixture_form(WHATSAPP_IMAGE_BODY)))
    assert reply == english(app).messages["media"]
    with app.app_context():
        stored = opened(get_session().scalars(select(Message).where(Message.direction == "in")))
    assert [m.media_count for m in stored] == [0, 1]
    assert all("twilio.com" not in (m.body or "") for m in stored)


def test_whatsapp_gets_bold_titles_and_sms_does_not(app: Flask, client: FlaskClient) -> None:
    (on_whatsapp,) = replies(post_signed(client, whatsapp("hi", sender="+14155550124")))
    (on_sms,) = replies(post_signed(client, sms("hi", sender="+14155550125")))
    assert "*Main menu*" in on_whatsapp
    assert "*" not in on_sms


def test_whatsapp_button_payload_counts_as_the_choice(app: Flask, client: FlaskClient) -> None:
    lang = english(app)
    post_signed(client, whatsapp("hi"))
    form = fixture_form(WHATSAPP_BUTTON_BODY)
    form["ButtonPayload"] = "3"
    (page,) = replies(post_signed(client, form))
    third = lang.pages["main"].options[2]
    assert page.startswith(f"*{lang.pages[third].title}*")


def test_whatsapp_list_choice_counts_as_the_choice(app: Flask, client: FlaskClient) -> None:
    lang = english(app)
    post_signed(client, whatsapp("hi"))
    (page,) = replies(post_signed(client, whatsapp("Questions about it", ListId="7")))
    assert page.startswith(f"*{lang.pages[lang.pages['main'].options[6]].title}*")


def test_one_contact_across_sms_and_whatsapp(app: Flask, client: FlaskClient) -> None:
    post_signed(client, sms("hi"))
    post_signed(client, whatsapp("1"))
    assert count(app, Contact) == 1
    assert count(app, Conversation) == 1
    with app.app_context():
        conversation = get_session().scalars(select(Conversation)).one()
    assert conversation.channel == "whatsapp"
    assert conversation.helpline_address == "whatsapp:+14155550100"


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   ",
        "\x00\x01",
        "\u202eevil rtl\u202c",
        "😱😱😱",
        "\ufffd\ufffd",
        "a" * 1600,
        "zalgo: z\u0301\u0302\u0303\u0304",
        "١٢٣",
        "\ufeff1",
    ],
)
def test_odd_bodies_get_a_safe_reply(app: Flask, client: FlaskClient, body: str) -> None:
    post_signed(client, sms("hi"))
    response = post_signed(client, sms(body))
    assert response.status_code == 200
    reply, *offer = replies(response)
    assert reply
    # Text the bot cannot place ends with the offer of a person.
    assert all("TALK" in line for line in offer)
    # The texter can always get home.
    (home,) = replies(post_signed(client, sms("0")))
    assert home.startswith(english(app).pages["main"].title)


def test_body_over_twilio_limit_gets_too_long_reply(app: Flask, client: FlaskClient) -> None:
    post_signed(client, sms("hi"))
    (reply,) = replies(post_signed(client, sms("x" * 1601)))
    assert reply == english(app).messages["too_long"]


@pytest.mark.parametrize(
    "change",
    [
        {"MessageSid": ""},
        {"MessageSid": "not-a-sid"},
        {"From": ""},
        {"From": "someone"},
        {"From": "+1"},
        {"To": ""},
        {"NumMedia": "lots"},
        {"NumMedia": "-2"},
        # Past what any column holds: PostgreSQL would refuse them and answer 500.
        {"To": "+1" + "5" * 80},
        {"To": "+1415\x0055501"},
        {"NumMedia": str(2**40)},
    ],
)
def test_malformed_forms_get_400(app: Flask, client: FlaskClient, change) -> None:
    form = sms("hi")
    form.update(change)
    response = post_signed(client, form)
    assert response.status_code == 400
    assert response.get_json()["error"]
    assert count(app, Message) == 0


def test_wrong_method_and_garbage_get_clear_errors(client: FlaskClient) -> None:
    assert client.get("/twilio/messages").status_code == 405
    garbage = client.post(
        "/twilio/messages",
        data=b"\xff\xfe",
        content_type="application/octet-stream",
        base_url=PUBLIC_URL,
    )
    assert garbage.status_code == 403
    huge = client.post("/twilio/messages", data={"Body": "x" * 100_000}, base_url=PUBLIC_URL)
    assert huge.status_code == 413


def test_fallback_answers_without_a_database(tmp_path) -> None:
    broken = f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"
    app = create_app(settings(broken))  # SQLite: nothing to dispose, no file is ever opened
    response = app.test_client().post("/twilio/fallback", data={"ErrorCode": "11200"})
    assert response.status_code == 200
    (reply,) = replies(response)
    # No number to tell the country by: the words for any country.
    nowhere = "Call your local emergency number."
    assert reply == english(app).messages["fallback"].format(emergency=nowhere)
    assert app.test_client().get("/healthz").status_code == 503


def test_healthz_reports_the_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert {"status": "ok", "database": "ok"}.items() <= response.get_json().items()


def test_logs_hold_no_message_text_or_number(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for text in ("hi", "my secret words", "1", "STOP", "START"):
        post_signed(client, sms(text))
    post_signed(client, fixture_form(WHATSAPP_IMAGE_BODY))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "inbound message" in logged
    assert "secret words" not in logged
    assert TEXTER.lstrip("+") not in logged
    assert "5550123" not in logged
    assert "ME62933a2951ef01f4eafd9bdf4d3cd2f0" not in logged
