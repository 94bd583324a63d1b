"""Simulated texters: many distinct numbers walking the menu, signed as Twilio signs.

Each texter is one asyncio task holding a conversation at a human pace: hello, a page
or two, back to the main menu, another page, and now and then TALK, the age answer
and a word while waiting. A texter's number lasts one such visit; the next visit
comes from a new number, as in a spike where new people keep arriving. It also keeps
every number under the helpline's per-minute rate limit, so the load measures the
menu and the handoff rather than the slow-down reply.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import aiohttp
from twilio.request_validator import RequestValidator

HELPLINE = "+14155550100"
PATH = "/twilio/messages"
AGE_QUESTION = "Are you under 18?"
# Pages a texter reads from the main menu; 9 is the talk page, reached with TALK instead.
MENU_CHOICES = ("1", "2", "3", "4", "5", "6", "7", "8")
# Words the helpline answers even to a texter waiting in the queue.
QUEUE_WORDS = ("MENU", "0", "TALK")
# A waiting texter's message gets one of these notes back (content/en/messages.toml:
# waiting_reply, and waiting_kept when told a moment ago): never the menu.
WAITING_NOTES = ("We got your message.", "We got this message too.")
# Replies that put the texter in the queue: queued, still queued, queued while nobody
# is on shift, and the crisis reply.
QUEUED_SIGNS = ("in the queue", "Nobody is free to talk", "counsellor has been asked")


@dataclass
class Tally:
    """What the load saw: one latency per answered message and every kind of failure."""

    latencies: list[float] = field(default_factory=list)
    sent: int = 0
    answered: int = 0
    non_200: int = 0
    server_errors: int = 0
    bad_twiml: int = 0
    wrong_reply: int = 0
    transport_errors: int = 0
    handoffs: int = 0
    # Per texter visit: messages sent and responses received, to check one answer each.
    visits_unbalanced: int = 0

    @property
    def errors(self) -> int:
        return self.non_200 + self.bad_twiml + self.wrong_reply + self.transport_errors


@dataclass(frozen=True)
class Load:
    """How to drive one target."""

    base_url: str
    auth_token: str
    account_sid: str
    texters: int
    seconds: float
    pace: float  # seconds between one texter's messages; 0 drives as fast as answers come
    handoff_share: float = 0.2
    # The baseline answers everything alike, so only the helpline is held to the menu's rules.
    judge_replies: bool = True


def waiting_note(reply: str) -> bool:
    """Does the reply (its text or its TwiML) hold the note a waiting texter gets back?"""
    return any(note in reply for note in WAITING_NOTES)


def wrong_reply(count: int, silent: bool, reply: str) -> bool:
    """Tell whether an answer of count messages breaks the menu's rules: a texter in the
    menu always gets an answer; one waiting for a person (silent) nothing, or only the
    note that their message is kept for a person."""
    if silent:
        return count > 0 and not (count == 1 and waiting_note(reply))
    return count == 0


def joined_queue(reply: str, waiting: bool) -> bool:
    """Tell from the helpline's reply whether the texter now waits for a person."""
    if "left the queue" in reply:
        return False
    if any(sign in reply for sign in QUEUED_SIGNS):
        return True
    # A menu page means the texter is in the menu; any other reply changes nothing.
    return False if "Reply with a number" in reply else waiting


class Numbers:
    """Distinct texter numbers, one per visit, never reused within a run."""

    def __init__(self, start: int) -> None:
        self._counter = itertools.count(start)

    def next(self) -> str:
        return f"+1415{next(self._counter) % 10_000_000:07d}"


def message_form(account_sid: str, number: str, text: str) -> dict[str, str]:
    """The form Twilio posts for one SMS, under a new MessageSid."""
    # Twilio's sids are unique for ever; a repeated one would be answered from storage.
    sid = f"SM{uuid.uuid4().hex}"
    return {
        "ToCountry": "US",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": text,
        "FromCountry": "US",
        "To": HELPLINE,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": number,
        "ApiVersion": "2010-04-01",
    }


def message_count(body: bytes) -> int | None:
    """Count the <Message> elements of a TwiML answer; None when it is not TwiML."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    if root.tag != "Response":
        return None
    return len(root.findall("Message"))


async def run(load: Load, number_start: int, seed: int = 7) -> Tally:
    """Drive the target with load.texters concurrent texters for load.seconds."""
    tally = Tally()
    numbers = Numbers(number_start)
    validator = RequestValidator(load.auth_token)
    deadline = time.monotonic() + load.seconds
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        texter = Texter(load, http, validator, numbers, tally, deadline)
        await asyncio.gather(
            *(texter.visits(random.Random(seed * 1000 + i)) for i in range(load.texters))
        )
    return tally


class Texter:
    """The shared half of every texter: how to send one message and judge its answer."""

    def __init__(
        self,
        load: Load,
        http: aiohttp.ClientSession,
        validator: RequestValidator,
        numbers: Numbers,
        tally: Tally,
        deadline: float,
    ) -> None:
        self.load = load
        self.http = http
        self.validator = validator
        self.numbers = numbers
        self.tally = tally
        self.deadline = deadline

    async def visits(self, rng: random.Random) -> None:
        # Stagger the starts so the texters do not all write in the same instant.
        await asyncio.sleep(rng.random() * self.load.pace)
        while time.monotonic() < self.deadline:
            await self.visit(rng, self.numbers.next())

    async def visit(self, rng: random.Random, number: str) -> None:
        sent = answered = 0
        waiting = False

        async def say(text: str) -> str | None:
            nonlocal sent, answered, waiting
            if time.monotonic() >= self.deadline:
                return None
            # Waiting for a person, the bot keeps quiet except for the queue's own words.
            silent = waiting and text not in QUEUE_WORDS
            sent += 1
            got_response, reply = await self.send(number, text, silent)
            answered += got_response
            if reply is not None:
                waiting = joined_queue(reply, waiting)
            await asyncio.sleep(self.load.pace)
            return reply

        async def page(choice: str) -> None:
            reply = await say(choice)
            if reply is not None and AGE_QUESTION in reply:
                await say(rng.choice(("1", "2", "3")))

        if await say(rng.choice(("Hi", "hello", "Help me please"))) is None:
            return
        await page(rng.choice(MENU_CHOICES))
        await page(rng.choice(("1", "2", "3")))
        await say(rng.choice(("0", "BACK", "MENU")))
        await page(rng.choice(MENU_CHOICES))
        if rng.random() < self.load.handoff_share:
            self.tally.handoffs += 1
            await page("TALK")
            await say("ok thank you")
            if rng.random() < 0.5:
                await say("MENU")
        if sent != answered:
            self.tally.visits_unbalanced += 1

    async def send(self, number: str, text: str, silent: bool) -> tuple[bool, str | None]:
        """Post one signed message: was it answered, and its reply text when that was good."""
        form = message_form(self.load.account_sid, number, text)
        signature = self.validator.compute_signature(self.load.base_url + PATH, form)
        self.tally.sent += 1
        started = time.perf_counter()
        try:
            async with self.http.post(
                self.load.base_url + PATH, data=form, headers={"X-Twilio-Signature": signature}
            ) as response:
                body = await response.read()
                status = response.status
        except (TimeoutError, aiohttp.ClientError):
            self.tally.transport_errors += 1
            return False, None
        self.tally.latencies.append(time.perf_counter() - started)
        self.tally.answered += 1
        if status != 200:
            self.tally.non_200 += 1
            self.tally.server_errors += status >= 500
            return True, None
        count = message_count(body)
        if count is None:
            self.tally.bad_twiml += 1
            return True, None
        if self.load.judge_replies and wrong_reply(count, silent, body.decode()):
            self.tally.wrong_reply += 1
        return True, body.decode()
