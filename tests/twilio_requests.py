"""Twilio-shaped requests for tests: signed forms built from real capture layouts."""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask.testing import FlaskClient
from sqlalchemy import inspect
from twilio.request_validator import RequestValidator

from responder.store.db import make_engine

PUBLIC_URL = "https://helpline.example.org"
AUTH_TOKEN = "test-auth-token"
TEXTER = "+14155550123"
HELPLINE = "+14155550100"
ACCOUNT = "ACe268443e43d93dab7ebef303bbe9642f"


def settings(database_url: str, **overrides: object) -> dict[str, object]:
    """Production settings with every secret given, as a real deployment has them."""
    config: dict[str, object] = {
        "RESPONDER_ENV": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "RESPONDER_DATA_KEY": "test-data-key",
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_URL": PUBLIC_URL,
    }
    config.update(overrides)
    return config


def sign(path: str, form: dict[str, str], url: str = PUBLIC_URL) -> str:
    return RequestValidator(AUTH_TOKEN).compute_signature(url + path, form)


def post_signed(client: FlaskClient, form: dict[str, str], path: str = "/twilio/messages"):
    """Post a form signed the way Twilio signs it."""
    return client.post(
        path, data=form, headers={"X-Twilio-Signature": sign(path, form)}, base_url=PUBLIC_URL
    )


def _form(body: str) -> dict[str, str]:
    return dict(parse_qsl(body, keep_blank_values=True))


# Shapes follow real Twilio captures (see the project's Twilio reference card).
SMS_BODY = (
    "ToCountry=US&ToState=CA&SmsMessageSid=SMe69cb7d2a5a055da80708bac36c369bf&NumMedia=0"
    "&ToCity=SAN+FRANCISCO&FromZip=94612&SmsSid=SMe69cb7d2a5a055da80708bac36c369bf"
    "&FromState=CA&SmsStatus=received&FromCity=OAKLAND&Body=Hi%2C+I+need+to+talk+to+someone"
    "&FromCountry=US&To=%2B14155550100&ToZip=94105&NumSegments=1&ReferralNumMedia=0"
    "&MessageSid=SMe69cb7d2a5a055da80708bac36c369bf&AccountSid=ACe268443e43d93dab7ebef303bbe9642f"
    "&From=%2B14155550123&ApiVersion=2010-04-01"
)
WHATSAPP_BODY = (
    "SmsMessageSid=SM017dbc2c93604f3e1b40930b1863397a&NumMedia=0&ProfileName=Sam"
    "&SmsSid=SM017dbc2c93604f3e1b40930b1863397a&WaId=14155550123&SmsStatus=received&Body=Hi"
    "&To=whatsapp%3A%2B14155550100&NumSegments=1&ReferralNumMedia=0"
    "&MessageSid=SM017dbc2c93604f3e1b40930b1863397a&AccountSid=ACe268443e43d93dab7ebef303bbe9642f"
    "&From=whatsapp%3A%2B14155550123&ApiVersion=2010-04-01"
)
WHATSAPP_IMAGE_BODY = (
    "MediaContentType0=image%2Fjpeg&SmsMessageSid=MMc69f196c28cb1850f6d7f101f3ffeb0d&NumMedia=1"
    "&ProfileName=Sam&SmsSid=MMc69f196c28cb1850f6d7f101f3ffeb0d&WaId=14155550123"
    "&SmsStatus=received&Body=&To=whatsapp%3A%2B14155550100&NumSegments=1&ReferralNumMedia=0"
    "&MessageSid=MMc69f196c28cb1850f6d7f101f3ffeb0d&AccountSid=ACe268443e43d93dab7ebef303bbe9642f"
    "&From=whatsapp%3A%2B14155550123&MediaUrl0=https%3A%2F%2Fapi.twilio.com%2F2010-04-01%2F"
    "Accounts%2FACe268443e43d93dab7ebef303bbe9642f%2FMessages%2FMMc69f196c28cb1850f6d7f101f3ffeb0d"
    "%2FMedia%2FME62933a2951ef01f4eafd9bdf4d3cd2f0&ApiVersion=2010-04-01"
)
WHATSAPP_BUTTON_BODY = (
    "SmsMessageSid=SMd83ad065b2cabca895f660a115745ebc&NumMedia=0&ProfileName=Sam"
    "&ButtonText=Talk+to+someone&SmsSid=SMd83ad065b2cabca895f660a115745ebc&WaId=14155550123"
    "&SmsStatus=received&Body=Talk+to+someone&ButtonPayload=menu.counsellor"
    "&To=whatsapp%3A%2B14155550100&NumSegments=1&ReferralNumMedia=0"
    "&MessageSid=SMd83ad065b2cabca895f660a115745ebc&AccountSid=ACe268443e43d93dab7ebef303bbe9642f"
    "&OriginalRepliedMessageSender=whatsapp%3A%2B14155550100"
    "&OriginalRepliedMessageSid=SM1a420e9506d7fc1a6670965913ce5603"
    "&From=whatsapp%3A%2B14155550123&ApiVersion=2010-04-01"
)
STOP_ADVANCED_BODY = (
    "ToCountry=US&ToState=CA&SmsMessageSid=SMef399b2d446bb37b7c32ad2cc1b6045b&NumMedia=0"
    "&ToCity=SAN+FRANCISCO&FromZip=94612&SmsSid=SMef399b2d446bb37b7c32ad2cc1b6045b"
    "&FromState=CA&SmsStatus=received&FromCity=OAKLAND&Body=STOP&FromCountry=US"
    "&To=%2B14155550100&ToZip=94105&NumSegments=1"
    "&MessagingServiceSid=MGaaabf0d39951f3e6c3e8a7911df524c2&OptOutType=STOP&ReferralNumMedia=0"
    "&MessageSid=SMef399b2d446bb37b7c32ad2cc1b6045b&AccountSid=ACe268443e43d93dab7ebef303bbe9642f"
    "&From=%2B14155550123&ApiVersion=2010-04-01"
)

_counter = iter(range(1, 10**9))


def new_sid(prefix: str = "SM") -> str:
    return f"{prefix}{next(_counter):032x}"


def sms(body: str, sender: str = TEXTER, sid: str | None = None, **extra: str) -> dict[str, str]:
    """An SMS webhook form with a fresh MessageSid, shaped like Twilio's."""
    form = _form(SMS_BODY)
    sid = sid or new_sid()
    form.update(Body=body, From=sender, MessageSid=sid, SmsMessageSid=sid, SmsSid=sid)
    form.update(extra)
    return form


def whatsapp(body: str, sender: str = TEXTER, sid: str | None = None, **extra: str):
    """A WhatsApp webhook form with a fresh MessageSid."""
    form = _form(WHATSAPP_BODY)
    sid = sid or new_sid()
    form.update(Body=body, From="whatsapp:" + sender, WaId=sender.lstrip("+"))
    form.update(MessageSid=sid, SmsMessageSid=sid, SmsSid=sid)
    form.update(extra)
    return form


def fixture_form(body: str) -> dict[str, str]:
    """One of the captured bodies above, as a form."""
    return _form(body)


def replies(response) -> list[str]:
    """The message bodies a TwiML response sends, in order."""
    from responder.channels.twilio import read_twiml

    return read_twiml(response.get_data(as_text=True))


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
