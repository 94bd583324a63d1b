"""Every situation a texter can be in, crossed with crisis, pressure and ordinary text.

One table over all of them, on both databases, in SMS (English, a US number), WhatsApp
(French, a French number) and SMS in Spanish (a Mexican number): every message answers
200 with the reply its state calls for, never an error. Each situation is reached the way
a texter and a counsellor reach it, through the signed webhook and the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.counsellors import (
    add_counsellor,
    latest_conversation,
    update_conversation,
)
from tests.twilio_requests import post_signed, replies, sms, whatsapp

RATE_LIMIT = 5  # above what reaching any situation takes, so that only a flood trips it


@dataclass(frozen=True)
class Channel:
    name: str
    sender: str
    form: Callable[..., dict[str, str]]
    crisis: str
    pressure: str
    ordinary: str
    crisis_reply: str  # how the crisis reply begins in the channel's language


SMS = Channel(
    "sms",
    "+14155550123",
    sms,
    "i want to kill myself",
    "they want 500 by tonight",
    "hello",
    "Thank you for telling us.",
)
WHATSAPP = Channel(
    "whatsapp",
    "+33612345678",
    whatsapp,
    "je veux me tuer",
    "il veut 500 euros avant ce soir",
    "bonjour",
    "Merci de nous l'avoir dit.",
)
SPANISH_SMS = Channel(
    "sms-es",
    "+525512345678",
    sms,
    "me quiero matar",
    "me dio 24 horas para pagar",
    "hola",
    "Gracias por contarnos.",
)


class Texter:
    """One texter and the staff around them, driven through the webhook and the API."""

    def __init__(self, app: Flask, channel: Channel) -> None:
        self.app, self.channel = app, channel
        self.client: FlaskClient = app.test_client()
        self.alex = add_counsellor(app, "alex")

    def send(self, text: str) -> list[str]:
        response = post_signed(self.client, self.channel.form(text, sender=self.channel.sender))
        assert response.status_code == 200, response.get_data(as_text=True)
        return replies(response)

    def queue(self) -> int:
        self.send("hi")
        response = post_signed(self.client, self.channel.form("TALK", sender=self.channel.sender))
        assert response.status_code == 200
        conversation = latest_conversation(self.app, self.channel.sender)
        if conversation.age_question_for is not None:
            self.send("3")
        return latest_conversation(self.app, self.channel.sender).id

    def act(self, conversation: int, action: str, **body: object) -> None:
        url = f"/api/v1/conversations/{conversation}/{action}"
        response = self.client.post(url, headers=self.alex, json=body or None)
        assert response.status_code == 200, response.get_json()


def new_texter(texter: Texter) -> None:
    """Nothing yet: the message is the texter's very first."""


def menu(texter: Texter) -> None:
    texter.send("hi")


def new_episode(texter: Texter) -> None:
    texter.send("hi")
    conversation = latest_conversation(texter.app, texter.channel.sender)
    update_conversation(
        texter.app,
        conversation.id,
        last_message_at=conversation.last_message_at - timedelta(hours=25),
    )


def closed(texter: Texter) -> None:
    conversation = texter.queue()
    texter.act(conversation, "claim")
    texter.act(conversation, "close", category="violence/online_sexual_exploitation")


def survey_pending(texter: Texter) -> None:
    conversation = texter.queue()
    texter.act(conversation, "claim")
    texter.act(conversation, "close", category="violence/online_sexual_exploitation", survey=True)


def waiting(texter: Texter) -> None:
    texter.queue()


def with_counsellor(texter: Texter) -> None:
    texter.act(texter.queue(), "claim")


def blocked(texter: Texter) -> None:
    texter.act(texter.queue(), "block", hours=24)


def rate_limited(texter: Texter) -> None:
    for _ in range(RATE_LIMIT + 1):
        texter.send("hi")


def stopped(texter: Texter) -> None:
    texter.send("hi")
    texter.send("STOP")


def erase_asked(texter: Texter) -> None:
    texter.send("hi")
    texter.send("DELETE")


def erased(texter: Texter) -> None:
    texter.send("hi")
    texter.send("DELETE")
    texter.send("DELETE")


SITUATIONS = {
    "new texter": new_texter,
    "menu": menu,
    "new episode": new_episode,
    "after close": closed,
    "survey pending": survey_pending,
    "waiting": waiting,
    "with a counsellor": with_counsellor,
    "blocked": blocked,
    "rate limited": rate_limited,
    "after STOP": stopped,
    "DELETE asked": erase_asked,
    "after DELETE": erased,
}
# Who gets no answer at all: the counsellor answers, or the texter asked for silence.
SILENT = {
    "crisis": {"with a counsellor", "after STOP"},
    "pressure": {"with a counsellor", "after STOP", "blocked", "rate limited"},
    "ordinary": {"with a counsellor", "after STOP", "blocked", "rate limited"},
}


@pytest.mark.parametrize("channel", [SMS, WHATSAPP, SPANISH_SMS], ids=lambda c: c.name)
@pytest.mark.parametrize("tier", ["crisis", "pressure", "ordinary"])
@pytest.mark.parametrize("situation", list(SITUATIONS))
def test_every_message_gets_the_reply_its_state_calls_for(
    make_app: Callable[..., Flask], channel: Channel, tier: str, situation: str
) -> None:
    app = make_app(RESPONDER_RATE_LIMIT_PER_MINUTE=RATE_LIMIT)
    texter = Texter(app, channel)
    SITUATIONS[situation](texter)

    answer = texter.send(getattr(channel, tier))

    conversation = latest_conversation(app, channel.sender)
    if situation in SILENT[tier]:
        assert answer == []
    elif tier == "crisis":
        (reply,) = answer
        assert reply.startswith(channel.crisis_reply)
        assert any(ch.isdigit() for ch in reply)
    else:
        assert answer and all(part.strip() for part in answer)
        assert not answer[0].startswith(channel.crisis_reply)
    if tier == "crisis":
        assert conversation.crisis_at is not None
        assert conversation.priority == 100
        if situation != "with a counsellor":
            assert conversation.state == "waiting"
    elif tier == "pressure":
        assert conversation.priority >= 20
        assert conversation.crisis_at is None
    else:
        assert conversation.crisis_at is None
