"""Two instances and two workers on one PostgreSQL: no message lost, no reply twice.

    .venv/bin/python -m bench.instances            # 50 texters for 60 s
    .venv/bin/python -m bench.instances --quick    # about 20 s in all

The helpline grows past one machine's worth of processes by running more gunicorn
instances and more `responder worker` processes on one database. This starts two of
each with the same settings, the workers sending to a fake of Twilio's REST API
(bench.fake_twilio), and drives them together:

- texters as in bench.texters, each message posted to one instance at random, and
  a share of them redelivered: the same MessageSid posted to both instances at
  once, as Twilio retries a webhook that timed out;
- counsellors with API tokens at the queue through either instance: each waiting
  conversation is claimed by two of them at the same moment, one on each instance,
  and whoever gets it writes replies, which go out through the outbox and the two
  workers, then closes it.

Once the workers have drained the outbox it counts, from the database and from
what the fake Twilio took: one stored message per MessageSid with the replies the
texter was given, the same answer to both deliveries of a redelivered message,
every accepted counsellor reply sent exactly once, nothing left unsent, and one
winner per claim. It exits non-zero when a message was lost or doubled, an answer
was wrong, or a server failed; speed is reported, not judged.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from bench import databases, servers
from bench.fake_twilio import FakeTwilio
from bench.report import percentile, verdict
from bench.texters import (
    PATH,
    QUEUE_WORDS,
    Load,
    Numbers,
    Tally,
    Texter,
    joined_queue,
    message_count,
    message_form,
    wrong_reply,
)
from responder.config import normalise_database_url
from responder.counselling.handoff import CATEGORIES
from responder.staff.auth import add_counsellor, issue_token
from responder.store.db import make_engine

# Long enough for any run: see where the counsellors are made.
PRESENCE_SECONDS = 24 * 3600

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/bench_instances"
# Both instances stand behind one public address, as they would behind a load
# balancer. Twilio signs that address whichever instance the request reaches, and
# with RESPONDER_TRUSTED_PROXIES at 0 each instance checks the signature against
# PUBLIC_URL + path, and takes only requests whose Host is PUBLIC_URL's, which a load
# balancer passes on. So every instance gets the very same settings, and the texters
# sign the one public URL and post to either port with that Host.
PUBLIC_URL = "https://helpline.example.org"
PUBLIC_HOST = {"Host": urlsplit(PUBLIC_URL).netloc}
# A counsellor keeps a conversation this long before closing it, so the texter's
# last words after TALK still reach the conversation they queued in.
HOLD_SECONDS = 6.0
QUEUE_POLL_SECONDS = 0.5
# Each counsellor reply carries a tag of its own, to find it among Twilio's sends.
TAG = re.compile(r"\[(r[0-9]{6})\]")
# More texters ask for a person than in bench.run: the handoffs are what is shared here.
HANDOFF_SHARE = 0.3
# The warm-up's texters write from numbers of their own.
WARM_UP_NUMBERS = 5_000_000
AWAITING_TWILIO = "(status = 'pending' OR (status = 'sending' AND twilio_sid IS NULL))"


@dataclass
class Record:
    """Everything the drivers saw that the final count is checked against."""

    deliveries: Counter[int] = field(default_factory=Counter)  # per instance
    redelivered: int = 0
    # MessageSid -> the number of replies in the answer, for each message answered with TwiML.
    replies: dict[str, int] = field(default_factory=dict)
    sids: set[str] = field(default_factory=set)
    differing: int = 0  # redeliveries answered differently by the two instances
    queued_numbers: set[str] = field(default_factory=set)
    api: Counter[tuple[str, int | None]] = field(default_factory=Counter)
    races: int = 0
    uncontested: int = 0
    # conversation id -> the ids of the counsellors whose claim got 200
    winners: dict[int, list[int]] = field(default_factory=dict)
    # conversations whose every claim was answered 409 (the texter left the queue first)
    nobody: set[int] = field(default_factory=set)
    # tag -> (message id, conversation id) of each counsellor reply the API accepted
    accepted: dict[str, tuple[int, int]] = field(default_factory=dict)
    closed: int = 0

    @property
    def api_server_errors(self) -> int:
        return sum(n for (_, status), n in self.api.items() if status is None or status >= 500)


@dataclass
class Counsellor:
    id: int
    name: str
    token: str
    holding: int = 0  # conversations held or being claimed, to stay under max_open


class _SpreadTexter(Texter):
    """A texter of bench.texters whose messages go to either instance, some to both."""

    def __init__(
        self,
        load: Load,
        http: aiohttp.ClientSession,
        validator: RequestValidator,
        numbers: Numbers,
        tally: Tally,
        deadline: float,
        instances: list[str],
        redelivered_share: float,
        record: Record,
        rng: random.Random,
    ) -> None:
        super().__init__(load, http, validator, numbers, tally, deadline)
        self.instances = instances
        self.redelivered_share = redelivered_share
        self.record = record
        self.rng = rng

    async def send(self, number: str, text: str, silent: bool) -> tuple[bool, str | None]:
        form = message_form(self.load.account_sid, number, text)
        sid = form["MessageSid"]
        signature = self.validator.compute_signature(PUBLIC_URL + PATH, form)
        both = self.rng.random() < self.redelivered_share
        targets = range(len(self.instances)) if both else [self.rng.randrange(len(self.instances))]
        self.tally.sent += 1
        self.record.sids.add(sid)
        self.record.redelivered += both
        answers = await asyncio.gather(*(self._post(i, form, signature) for i in targets))
        bodies = [body for body in answers if body is not None]
        if not bodies:
            return False, None
        self.tally.answered += 1
        counts = [message_count(body) for body in bodies]
        if None in counts or len(bodies) < len(answers):
            return True, None
        if len(set(bodies)) > 1:
            self.record.differing += 1
        count = counts[0] or 0
        self.record.replies[sid] = count
        reply = bodies[0].decode()
        # A queued texter cannot tell whether a counsellor has claimed them: once
        # claimed, MENU or TALK goes to the counsellor and the bot stays quiet.
        claimed_maybe = number in self.record.queued_numbers and text in QUEUE_WORDS
        if wrong_reply(count, silent, reply) and not (count == 0 and claimed_maybe):
            self.tally.wrong_reply += 1
        if joined_queue(reply, False):
            self.record.queued_numbers.add(number)
        return True, reply

    async def _post(self, instance: int, form: dict[str, str], signature: str) -> bytes | None:
        """Post one delivery; return the TwiML when it was answered 200."""
        self.record.deliveries[instance] += 1
        started = time.perf_counter()
        try:
            async with self.http.post(
                self.instances[instance] + PATH,
                data=form,
                headers={"X-Twilio-Signature": signature},
            ) as response:
                body = await response.read()
                status = response.status
        except (TimeoutError, aiohttp.ClientError):
            self.tally.transport_errors += 1
            return None
        self.tally.latencies.append(time.perf_counter() - started)
        if status != 200:
            self.tally.non_200 += 1
            self.tally.server_errors += status >= 500
            return None
        if message_count(body) is None:
            self.tally.bad_twiml += 1
            return None
        return body


class _Desk:
    """Counsellors at the queue: two claim each waiting conversation at once, one on each side."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        instances: list[str],
        counsellors: list[Counsellor],
        max_open: int,
        record: Record,
        deadline: float,
        rng: random.Random,
    ) -> None:
        self.http = http
        self.instances = instances
        self.counsellors = counsellors
        self.max_open = max_open
        self.record = record
        self.deadline = deadline
        self.rng = rng
        self.tried: set[int] = set()
        self.tags = itertools.count(1)

    async def run(self) -> None:
        for index, counsellor in enumerate(self.counsellors):
            await self._call(
                "availability",
                "PUT",
                index % len(self.instances),
                "/api/v1/me/availability",
                counsellor,
                {"available": True},
            )
        tasks: set[asyncio.Task[None]] = set()
        while time.monotonic() < self.deadline:
            reader = self.rng.choice(self.counsellors)
            status, page = await self._call(
                "queue", "GET", self.rng.randrange(len(self.instances)), "/api/v1/queue", reader
            )
            for item in page.get("items", []) if status == 200 else []:
                conversation_id = item["id"]
                free = [c for c in self.counsellors if c.holding < self.max_open]
                if conversation_id in self.tried or not free:
                    continue
                self.tried.add(conversation_id)
                pair = self.rng.sample(free, min(2, len(free)))
                for counsellor in pair:
                    counsellor.holding += 1
                task = asyncio.create_task(self._contest(conversation_id, pair))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            await asyncio.sleep(QUEUE_POLL_SECONDS)
        await asyncio.gather(*tasks)

    async def _contest(self, conversation_id: int, pair: list[Counsellor]) -> None:
        """Claim at once, each counsellor through another instance; the winner answers."""
        path = f"/api/v1/conversations/{conversation_id}/claim"
        sides = self.rng.sample(range(len(self.instances)), len(pair))
        results = await asyncio.gather(
            *(
                self._call("claim", "POST", side, path, c)
                for side, c in zip(sides, pair, strict=True)
            )
        )
        if len(pair) == 2:
            self.record.races += 1
        else:
            self.record.uncontested += 1
        winners = [c for c, (status, _) in zip(pair, results, strict=True) if status == 200]
        for counsellor in pair:
            if counsellor not in winners:
                counsellor.holding -= 1
        if winners:
            self.record.winners[conversation_id] = [c.id for c in winners]
        elif all(status == 409 for status, _ in results):
            self.record.nobody.add(conversation_id)
        for winner in winners:
            await self._answer(conversation_id, winner)

    async def _answer(self, conversation_id: int, counsellor: Counsellor) -> None:
        """Write one or two replies a second apart, hold the conversation a while, close it."""
        claimed = time.monotonic()
        path = f"/api/v1/conversations/{conversation_id}"
        for _ in range(self.rng.choice((1, 2))):
            await asyncio.sleep(1.0)
            if time.monotonic() >= self.deadline:
                return
            tag = f"r{next(self.tags):06d}"
            status, message = await self._call(
                "reply",
                "POST",
                self.rng.randrange(len(self.instances)),
                path + "/messages",
                counsellor,
                {"body": f"Thank you for writing. I am here to help. [{tag}]"},
            )
            if status in (200, 201, 202):
                self.record.accepted[tag] = (message["id"], conversation_id)
        left = self.deadline - time.monotonic()
        await asyncio.sleep(max(0.0, min(HOLD_SECONDS - (time.monotonic() - claimed), left)))
        if time.monotonic() >= self.deadline:
            return
        status, _ = await self._call(
            "close",
            "POST",
            self.rng.randrange(len(self.instances)),
            path + "/close",
            counsellor,
            {"category": CATEGORIES[0]},
        )
        if status == 200:
            counsellor.holding -= 1
            self.record.closed += 1

    async def _call(
        self,
        kind: str,
        method: str,
        instance: int,
        path: str,
        counsellor: Counsellor,
        body: dict[str, Any] | None = None,
    ) -> tuple[int | None, dict[str, Any]]:
        """Call the API as the counsellor; the status (None: no answer) and the JSON."""
        headers = {"Authorization": f"Bearer {counsellor.token}"}
        try:
            async with self.http.request(
                method, self.instances[instance] + path, json=body, headers=headers
            ) as response:
                status = response.status
                try:
                    data = await response.json(content_type=None)
                except ValueError:
                    data = {}
        except (TimeoutError, aiohttp.ClientError):
            status, data = None, {}
        self.record.api[(kind, status)] += 1
        return status, data if isinstance(data, dict) else {}


class Worker:
    """One `responder worker` process; stop() asks it to finish its message and waits."""

    def __init__(self, environ: dict[str, str], log: Path) -> None:
        self.log = log
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("responder")), "worker"],
            cwd=Path(__file__).resolve().parent.parent,
            env={**os.environ, **environ},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def main(argv: list[str] | None = None) -> int:
    options = _arguments(argv)
    url = databases.postgresql(options.database_url)
    engine = make_engine(normalise_database_url(url))
    config = servers.settings(0, url)
    # One set of settings for all four processes; the fake Twilio is the workers' API.
    fake = FakeTwilio(servers.ACCOUNT_SID, config.auth_token, options.callback_delay)
    # The counsellors work through API tokens, which never count as a console open: they
    # are marked seen when made, with a presence window that outlasts the run.
    environ = {
        **config.environ,
        "PUBLIC_URL": PUBLIC_URL,
        "TWILIO_API_BASE_URL": fake.base_url,
        "RESPONDER_PRESENCE_SECONDS": str(PRESENCE_SECONDS),
    }
    counsellors = _counsellors(engine, options.counsellors, options.max_open)
    ports = [servers.free_port(), servers.free_port()]
    instances: list[servers.Gunicorn] = []
    workers: list[Worker] = []
    fake.start()
    try:
        with tempfile.TemporaryDirectory(prefix="responder-instances-") as folder:
            logs = Path(folder)
            for index, port in enumerate(ports):
                instances.append(
                    servers.Gunicorn(
                        "responder:create_app()",
                        port,
                        environ,
                        options.workers,
                        "gthread",
                        options.threads,
                        logs / f"instance-{index + 1}.log",
                    )
                )
                workers.append(Worker(environ, logs / f"worker-{index + 1}.log"))
            for instance in instances:
                instance.wait_ready()
            _wait_for_workers(engine, workers)
            print(
                f"two instances x {options.workers} gthread workers x {options.threads} threads, "
                f"two workers, {options.texters} texters for {options.seconds:g} s, "
                f"{options.counsellors} counsellors, {os.cpu_count()} CPUs",
                flush=True,
            )
            urls = [f"http://127.0.0.1:{port}" for port in ports]
            fake.forward(PUBLIC_URL, urls)
            warm_up, paced, record = asyncio.run(_drive(options, urls, config, counsellors))
            drained = _drain(engine, options.drain_timeout)
            # Twilio's news of each send comes after it; wait for it to be taken in.
            reported = fake.wait_for_callbacks(options.drain_timeout)
            _stop(workers, instances)
            problems = _logged_problems(logs)
            tally = _merged(warm_up, paced)
            rate = paced.sent / options.seconds
            return _count(engine, fake, tally, rate, record, drained, reported, problems)
    finally:
        _stop(workers, instances)
        fake.stop()
        engine.dispose()


def _stop(workers: list[Worker], instances: list[servers.Gunicorn]) -> None:
    """Stop the four processes at once, each finishing its work; those already stopped stay so."""
    running = [i for i in instances if i.process.poll() is None]
    with ThreadPoolExecutor(len(workers) + len(running) or 1) as pool:
        for stopping in [*workers, *running]:
            pool.submit(stopping.stop)


def _counsellors(engine: Engine, count: int, max_open: int) -> list[Counsellor]:
    """Create the accounts and their API tokens, as `responder counsellor add` and `token` do."""
    now = datetime.now(UTC)
    made = []
    with Session(engine) as session:
        for index in range(count):
            name = f"counsellor{index + 1}"
            account = add_counsellor(
                session, name, "counsellor", secrets.token_urlsafe(16), max_open, now
            )
            token = issue_token(session, name, now)
            account.last_seen_at = now
            session.flush()
            made.append(Counsellor(account.id, name, token))
        session.commit()
    return made


def _wait_for_workers(engine: Engine, workers: list[Worker], timeout: float = 30) -> None:
    """Wait for a worker's first heartbeat: it has read its settings and reached the database."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker in workers:
            if worker.process.poll() is not None:
                tail = worker.log.read_text(errors="replace").splitlines()[-20:]
                raise RuntimeError("a worker exited at start:\n" + "\n".join(tail))
        with engine.connect() as connection:
            if connection.execute(text("SELECT count(*) FROM heartbeats")).scalar():
                return
        time.sleep(0.2)
    raise RuntimeError(f"no worker beat within {timeout} s")


async def _drive(
    options: argparse.Namespace,
    instances: list[str],
    config: servers.Settings,
    counsellors: list[Counsellor],
) -> tuple[Tally, Tally, Record]:
    """A short warm-up, then texters and counsellors together for options.seconds.

    The warm-up's messages are checked like the others; only its latencies are left
    out, since the first requests of each process pay for its start.
    """
    warm_up, tally, record = Tally(), Tally(), Record()
    validator = RequestValidator(config.auth_token)
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, headers=PUBLIC_HOST
    ) as http:

        def texter(tally: Tally, seconds: float, pace: float, first: int) -> _SpreadTexter:
            load = Load(
                base_url=PUBLIC_URL,
                auth_token=config.auth_token,
                account_sid=servers.ACCOUNT_SID,
                texters=options.texters,
                seconds=seconds,
                pace=pace,
                handoff_share=HANDOFF_SHARE,
            )
            deadline = time.monotonic() + seconds
            return _SpreadTexter(
                load, http, validator, Numbers(first), tally, deadline,
                instances, options.redelivered, record, random.Random(first),
            )  # fmt: skip

        # Flat out, as bench.run warms up: every worker thread of both instances gets work.
        warming = texter(warm_up, options.warm_up, 0.0, WARM_UP_NUMBERS)
        await asyncio.gather(*(warming.visits(random.Random(i)) for i in range(16)))
        paced = texter(tally, options.seconds, 1.0, 0)
        desk = _Desk(
            http, instances, counsellors, options.max_open, record, paced.deadline,
            random.Random(13),
        )  # fmt: skip
        await asyncio.gather(
            desk.run(),
            *(paced.visits(random.Random(7000 + i)) for i in range(options.texters)),
        )
    return warm_up, tally, record


def _drain(engine: Engine, timeout: float) -> float | None:
    """Wait until the workers have handed every outbox message to Twilio; the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with engine.connect() as connection:
            left = connection.execute(
                text(f"SELECT count(*) FROM messages WHERE direction = 'out' AND {AWAITING_TWILIO}")
            ).scalar()
        if not left:
            return time.monotonic() - started
        time.sleep(0.25)
    return None


def _logged_problems(folder: Path) -> int:
    """Count errors and tracebacks the four processes logged (warnings are expected)."""
    found = 0
    for log in folder.glob("*.log"):
        for line in log.read_text(errors="replace").splitlines():
            found += " ERROR " in line or line.startswith("Traceback") or " CRITICAL " in line
    return found


def _count(
    engine: Engine,
    fake: FakeTwilio,
    tally: Tally,
    rate: float,
    record: Record,
    drained: float | None,
    reported: bool,
    logged: int,
) -> int:
    """Count from the database and the fake Twilio, print the table and the verdicts."""
    with engine.connect() as connection:

        def rows(sql: str) -> list[Any]:
            return list(connection.execute(text(sql)))

        inbound = dict(
            rows(
                "SELECT m.twilio_sid, count(*) FROM messages m "
                "WHERE m.direction = 'in' GROUP BY m.twilio_sid"
            )
        )
        stored_replies = dict(
            rows(
                "SELECT m.twilio_sid, count(r.id) FROM messages m "
                "LEFT JOIN messages r ON r.in_reply_to_id = m.id "
                "WHERE m.direction = 'in' GROUP BY m.twilio_sid"
            )
        )
        outbox = rows(
            "SELECT id, status, twilio_sid, counsellor_id FROM messages "
            "WHERE direction = 'out' AND status IS NOT NULL"
        )
        claims = dict(
            rows(
                "SELECT conversation_id, count(*) FROM audit_entries "
                "WHERE action = 'claim' GROUP BY conversation_id"
            )
        )
        holders = dict(
            rows("SELECT id, counsellor_id FROM conversations WHERE counsellor_id IS NOT NULL")
        )
        states = dict(rows("SELECT id, state FROM conversations"))
        left_queue = {
            row[0] for row in rows("SELECT conversation_id FROM events WHERE kind = 'left_queue'")
        }
        by_direction = rows(
            "SELECT direction, coalesce(status, '-'), count(*) FROM messages "
            "GROUP BY 1, 2 ORDER BY 1, 2"
        )

    # Texters: every answered message stored once, with the replies it was answered with.
    answered = set(record.replies)
    lost = sum(1 for sid in answered if inbound.get(sid, 0) == 0)
    doubled = sum(1 for count in inbound.values() if count > 1)
    strangers = sum(1 for sid in inbound if sid not in record.sids)
    replies_differ = sum(
        1 for sid, count in record.replies.items() if stored_replies.get(sid, 0) != count
    )

    # Counsellor replies: accepted by the API -> exactly one send at Twilio.
    sent = fake.sent()
    sends_by_tag = Counter(found[1] for m in sent if (found := TAG.search(m.body)))
    sid_of_tag = {found[1]: m.sid for m in sent if (found := TAG.search(m.body))}
    by_id = {row.id: row for row in outbox}
    replies_lost = sum(1 for tag in record.accepted if sends_by_tag[tag] == 0)
    replies_twice = sum(1 for tag in record.accepted if sends_by_tag[tag] > 1)
    unrecorded = sum(
        1
        for tag, (message_id, _) in record.accepted.items()
        if message_id not in by_id or by_id[message_id].twilio_sid != sid_of_tag.get(tag)
    )
    fake_sids = Counter(m.sid for m in sent)
    outbox_sids = {row.twilio_sid for row in outbox if row.twilio_sid}
    sends_unknown = sum(1 for sid in fake_sids if sid not in outbox_sids)
    # Each reply's "delivered" callback reached one instance or the other, and was applied.
    undelivered = sum(
        1
        for message_id, _ in record.accepted.values()
        if message_id not in by_id or by_id[message_id].status != "delivered"
    )
    callbacks_refused = sum(n for status, n in fake.callback_answers.items() if status != 204)
    unsent = sum(1 for row in outbox if row.status in ("pending", "sending") and not row.twilio_sid)
    failed = sum(1 for row in outbox if row.status == "failed")

    # Claims: one winner, the one the database names, and one claim in the audit log.
    two_winners = sum(1 for ids in record.winners.values() if len(ids) > 1)
    wrong_holder = sum(
        1 for cid, ids in record.winners.items() if len(ids) == 1 and holders.get(cid) != ids[0]
    )
    audit_off = sum(
        1 for cid in record.winners if claims.get(cid, 0) != len(record.winners[cid])
    ) + sum(1 for cid in record.nobody if claims.get(cid, 0))
    # Nothing here releases a conversation: one won stays with its counsellor until closed.
    taken_back = sum(1 for cid in record.winners if states.get(cid) not in ("counsellor", "closed"))
    nobody_unexplained = sum(1 for cid in record.nobody if cid not in left_queue)
    claim_statuses = Counter(
        {status: n for (kind, status), n in record.api.items() if kind == "claim"}
    )
    server_errors = tally.server_errors + record.api_server_errors

    latencies = [value * 1000 for value in tally.latencies]
    table = [
        ("texter messages", f"{tally.sent} ({rate:.1f}/s at a human pace after the warm-up)"),
        (
            "  deliveries per instance",
            " / ".join(str(record.deliveries[i]) for i in sorted(record.deliveries)),
        ),
        ("  redelivered to both at once", str(record.redelivered)),
        ("  answered 200 with TwiML", str(len(answered))),
        (
            "  latency p50 / p95 / p99 ms",
            " / ".join(f"{percentile(latencies, q):.1f}" for q in (0.50, 0.95, 0.99)),
        ),
        ("  failures (non-200, TwiML, transport)", _failures(tally)),
        ("  wrong reply or silence", str(tally.wrong_reply)),
        ("stored inbound messages", str(sum(inbound.values()))),
        ("  answered but not stored", str(lost)),
        ("  stored twice", str(doubled)),
        ("  stored replies unlike the answer", str(replies_differ)),
        ("  redeliveries answered differently", str(record.differing)),
        ("handoffs asked for (TALK)", str(tally.handoffs)),
        (
            "claims: races / uncontested",
            f"{record.races} / {record.uncontested}",
        ),
        ("  answers to claims", _statuses(claim_statuses)),
        ("  won / nobody won (texter left)", f"{len(record.winners)} / {len(record.nobody)}"),
        (
            "  two winners / wrong holder / audit off",
            f"{two_winners} / {wrong_holder} / {audit_off}",
        ),
        ("  won, then back with the bot", str(taken_back)),
        ("counsellor replies accepted (202)", str(len(record.accepted))),
        ("  sent to Twilio once", str(sum(1 for t in record.accepted if sends_by_tag[t] == 1))),
        ("  lost / twice / sid not recorded", f"{replies_lost} / {replies_twice} / {unrecorded}"),
        ("  conversations closed", str(record.closed)),
        ("sends at the fake Twilio", f"{len(sent)} ({sends_unknown} the outbox does not know)"),
        ("  lookups / deletions / refused", f"{fake.lookups} / {fake.deletions} / {fake.refused}"),
        ("  status callbacks answered", _statuses(fake.callback_answers)),
        ("  replies not marked delivered", str(undelivered)),
        (
            "outbox drained in",
            "not within the timeout" if drained is None else f"{drained:.1f} s",
        ),
        ("  unsent / failed", f"{unsent} / {failed}"),
        ("API calls", _statuses(Counter({f"{k} {s}": n for (k, s), n in record.api.items()}))),
        ("errors in the processes' logs", str(logged)),
    ]
    print()
    width = max(len(label) for label, _ in table) + 2
    for label, value in table:
        print(f"{label:<{width}}{value}")
    print()
    by_state = Counter(states.values())
    print("conversations by state:", ", ".join(f"{k} {n}" for k, n in sorted(by_state.items())))
    print(
        "messages by direction and status:", ", ".join(f"{d} {s} {n}" for d, s, n in by_direction)
    )
    print()
    verdicts = [
        (lost == 0 and strangers == 0, f"every answered texter message stored: {lost} lost"),
        (doubled == 0, f"one stored message per MessageSid: {doubled} twice"),
        (
            record.differing == 0 and replies_differ == 0,
            f"one answer per message on both instances: {record.differing} redeliveries "
            f"answered differently, {replies_differ} unlike what was stored",
        ),
        (
            tally.errors == 0 and tally.visits_unbalanced == 0,
            f"texters answered as the menu says: {tally.errors} errors",
        ),
        (
            replies_lost == 0 and replies_twice == 0 and unrecorded == 0 and sends_unknown == 0,
            f"every accepted counsellor reply sent exactly once: {replies_lost} lost, "
            f"{replies_twice} twice, {sends_unknown} sends the outbox does not know",
        ),
        (
            drained is not None and unsent == 0 and failed == 0,
            f"outbox drained: {unsent} unsent, {failed} failed",
        ),
        (
            reported and callbacks_refused == 0 and undelivered == 0,
            f"status callbacks taken by either instance: {callbacks_refused} refused, "
            f"{undelivered} replies not marked delivered",
        ),
        (
            two_winners == 0
            and wrong_holder == 0
            and audit_off == 0
            and nobody_unexplained == 0
            and record.races > 0,
            f"one winner per claim race: {two_winners} with two, {nobody_unexplained} with none "
            f"unexplained, {record.races} races",
        ),
        (
            taken_back == 0,
            f"a won claim holds until the counsellor closes it: {taken_back} of "
            f"{len(record.winners)} went back to the bot",
        ),
        (
            server_errors == 0 and logged == 0,
            f"no server errors: {server_errors} answered 5xx or not at all, {logged} in the logs",
        ),
    ]
    for met, line in verdicts:
        print(verdict(met, line))
    return 0 if all(met for met, _ in verdicts) else 1


def _merged(warm_up: Tally, paced: Tally) -> Tally:
    """Every count of both phases; the latencies of the paced phase alone."""
    merged = Tally(latencies=paced.latencies)
    for name in (f.name for f in fields(Tally) if f.name != "latencies"):
        setattr(merged, name, getattr(warm_up, name) + getattr(paced, name))
    return merged


def _failures(tally: Tally) -> str:
    return f"{tally.non_200}, {tally.bad_twiml}, {tally.transport_errors}"


def _statuses(counts: Counter[Any]) -> str:
    return ", ".join(f"{key} x{n}" for key, n in sorted(counts.items(), key=str)) or "none"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.instances", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="a short run, about 20 s in all")
    parser.add_argument("--texters", type=int, help="texters at a human pace (50; quick 20)")
    parser.add_argument("--seconds", type=float, help="length of the load (60; quick 10)")
    parser.add_argument("--warm-up", type=float, help="seconds of flat-out load first (2; quick 1)")
    parser.add_argument("--counsellors", type=int, default=4, help="counsellors at the queue")
    parser.add_argument("--max-open", type=int, default=10, help="conversations each may hold")
    parser.add_argument(
        "--redelivered", type=float, default=0.1, help="share of messages posted to both instances"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument(
        "--callback-delay",
        type=float,
        default=1.0,
        help='seconds from a send to its "sent" status callback ("delivered" twice that)',
    )
    parser.add_argument(
        "--drain-timeout", type=float, default=30.0, help="seconds to wait for the outbox"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_INSTANCES_DATABASE_URL", DEFAULT_DATABASE),
        help="a PostgreSQL database of its own: it is emptied (BENCH_INSTANCES_DATABASE_URL)",
    )
    options = parser.parse_args(argv)
    options.texters = options.texters or (20 if options.quick else 50)
    options.seconds = options.seconds or (10 if options.quick else 60)
    options.warm_up = (
        options.warm_up if options.warm_up is not None else (1 if options.quick else 2)
    )
    if options.counsellors < 2:
        parser.error("claims race between two counsellors: give at least 2")
    return options


if __name__ == "__main__":
    sys.exit(main())
