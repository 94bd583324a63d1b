"""The helpline at scale: webhook and queue API latency with years of history stored.

    .venv/bin/python -m bench.scale            # 1,000,000 conversations, 10,000,000 messages
    .venv/bin/python -m bench.scale --quick    # a tenth of that, shorter loads

In a PostgreSQL database of its own (emptied and migrated first), it:

1. measures the webhook on the empty database: texters at a human pace against the
   app under gunicorn, as bench.run drives it, then scripted visits one message at a
   time in-process, a figure other work on the machine moves much less;
2. fills the database in a few big INSERT ... SELECT statements (bench.filler):
   contacts, conversations, ten messages each, and a queue of 10,000 waiting;
3. restarts the app and times the queue API (GET /api/v1/queue) with a counsellor's
   token: the first page, the largest page, and a page deep in the queue by cursor;
4. measures the webhook again the same two ways, beside the empty figures;
5. prints EXPLAIN (ANALYZE, BUFFERS) of every statement behind a first message, a
   menu choice, a handoff and the queue pages, marking sequential scans of big tables.

A counsellor is present throughout (available, seen, and a presence window as long as
the run), so a handoff asks for the queue position and the expected wait as it does in
service. It exits non-zero when the run itself broke
(a server error, a wrong or missing reply, a failed API call); slow figures are
reported, not failed.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from bench import databases, filler, plans, servers
from bench.report import percentile, verdict
from bench.texters import PATH, Load, Tally, message_form, run
from responder import create_app
from responder.config import normalise_database_url
from responder.privacy.addresses import Keys
from responder.staff import auth, presence
from responder.store.db import make_engine
from responder.store.timeouts import Timeouts

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/bench_scale"
# Texter numbers: each phase starts a range of its own, far from the others'.
EMPTY_NUMBERS, FULL_NUMBERS, PLAN_NUMBERS = 0, 3_000_000, 6_000_000
DEEP = 5_000  # the cursor page starts after this many waiting conversations
QUEUE_TARGET_MS = 100
WITHIN = 1.20  # the full database's latency, at most this times the empty one's
# The run's counsellor has no console open to keep them present: the window outlasts the run.
PRESENCE_SECONDS = 24 * 3600


@dataclass
class Phase:
    """One webhook load: what the texters saw, and for how long."""

    name: str
    tally: Tally
    seconds: float
    # The machine's one-minute load average as the load ended: other work on it shows here.
    load: float
    # Milliseconds of each message of scripted visits sent one at a time, in-process.
    alone: list[float] = field(default_factory=list)


@dataclass
class Timings:
    """One queue API request, repeated: milliseconds of each, and failures."""

    name: str
    ms: list[float] = field(default_factory=list)
    failures: int = 0
    items: int = 0


def main(argv: list[str] | None = None) -> int:
    options = _arguments(argv)
    url = normalise_database_url(options.database_url)
    database = make_url(url).database
    sizes = filler.Sizes(options.contacts, options.conversations, options.waiting)
    print(
        f"database {database}; {options.workers} {options.worker_class} workers x "
        f"{options.threads} threads; {options.texters} texters at one message a second for "
        f"{options.seconds:g} s; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    databases.postgresql(url)
    data_key = secrets.token_urlsafe(32)
    token = _available_counsellor(url)
    with tempfile.TemporaryDirectory(prefix="responder-scale-") as folder:
        server = _Server(url, data_key, options, Path(folder) / "empty.log")
        try:
            empty = server.load("empty", options, EMPTY_NUMBERS)
        finally:
            server.stop()
        empty.alone = _one_at_a_time(url, data_key, EMPTY_NUMBERS + 2_000_000, options.visits)
        print(f"empty database: {_done(empty.tally)}", flush=True)

        fill_seconds = _fill(url, sizes, data_key)

        server = _Server(url, data_key, options, Path(folder) / "full.log")
        try:
            queue = _queue_timings(server.port, token, options.requests)
            full = server.load("full", options, FULL_NUMBERS)
        finally:
            server.stop()
        full.alone = _one_at_a_time(url, data_key, FULL_NUMBERS + 2_000_000, options.visits)
        print(f"full database: {_done(full.tally)}", flush=True)

    print()
    print(_webhook_table(empty, full))
    print()
    print(_queue_table(queue, options.waiting))
    print()
    found = _plans(url, data_key, token)
    print()
    lines = _verdicts(empty, full, queue, found, fill_seconds)
    for line in lines:
        print(line)
    broken = [
        phase.name
        for phase in (empty, full)
        if phase.tally.errors or phase.tally.server_errors or phase.tally.visits_unbalanced
    ] + [timing.name for timing in queue if timing.failures]
    if broken:
        print(f"\nthe run broke on: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0


class _Server:
    """The app under gunicorn on the scale database, with the run's one data key."""

    def __init__(self, url: str, data_key: str, options: argparse.Namespace, log: Path) -> None:
        self.port = servers.free_port()
        self.config = servers.settings(self.port, url)
        # One data key for the whole run: the filled contacts' numbers are encrypted with it.
        self.environ = {
            **self.config.environ,
            "RESPONDER_DATA_KEY": data_key,
            "RESPONDER_PRESENCE_SECONDS": str(PRESENCE_SECONDS),
        }
        self.gunicorn = servers.Gunicorn(
            "responder:create_app()", self.port, self.environ, options.workers,
            options.worker_class, options.threads, log,
        )  # fmt: skip
        self.gunicorn.wait_ready()

    def load(self, name: str, options: argparse.Namespace, numbers: int) -> Phase:
        """A warm-up, not counted, then the measured load; each from fresh numbers."""
        asyncio.run(run(self._load(options.texters, options.warm_up), numbers))
        started = time.monotonic()
        tally = asyncio.run(run(self._load(options.texters, options.seconds), numbers + 1_000_000))
        return Phase(name, tally, time.monotonic() - started, os.getloadavg()[0])

    def _load(self, texters: int, seconds: float) -> Load:
        return Load(
            base_url=f"http://127.0.0.1:{self.port}",
            auth_token=self.config.auth_token,
            account_sid=servers.ACCOUNT_SID,
            texters=texters,
            seconds=seconds,
            pace=1.0,
        )

    def stop(self) -> None:
        self.gunicorn.stop()


def _available_counsellor(url: str) -> str:
    """Create an available counsellor the way `responder counsellor add` does; return a token."""
    engine = make_engine(url)
    now = datetime.now(UTC)
    try:
        with Session(engine) as session:
            counsellor = auth.add_counsellor(
                session, f"scale-{secrets.token_hex(4)}", "counsellor",
                secrets.token_urlsafe(16), 3, now,
            )  # fmt: skip
            counsellor.available = True
            presence.seen(counsellor, now)
            token = auth.issue_token(session, counsellor.username, now)
            session.commit()
    finally:
        engine.dispose()
    return token


def _fill(url: str, sizes: filler.Sizes, data_key: str) -> float:
    """Fill the database and print each table's rows, time and size; return the seconds."""
    print(
        f"filling: {sizes.contacts:,} contacts, {sizes.conversations:,} conversations, "
        f"{sizes.messages:,} messages, {sizes.waiting:,} waiting",
        flush=True,
    )

    def progress(step: filler.Step) -> None:
        print(f"  {step.name:<20}{step.rows:>12,} rows {step.seconds:>8.1f} s", flush=True)

    # Filling a million rows takes statements far longer than a webhook may: no limit.
    engine = make_engine(url, Timeouts(statement=0, lock=0))
    started = time.perf_counter()
    try:
        filler.fill(engine, sizes, Keys.from_secret(data_key), datetime.now(UTC), progress)
        with engine.connect() as connection:
            settled = filler.settle(connection)
            print(f"  {'vacuum, checkpoint':<20}{'':>17}{settled:>8.1f} s")
            total = time.perf_counter() - started
            print(f"  {'fill in all':<20}{'':>17}{total:>8.1f} s")
            for table in plans.BIG_TABLES:
                rows, size = connection.execute(
                    text(
                        f"SELECT count(*), pg_size_pretty(pg_total_relation_size('{table}'))"
                        f" FROM {table}"
                    )
                ).one()
                print(f"  {table:<20}{rows:>12,} rows, {size} with indexes")
            waiting = connection.execute(
                text("SELECT count(*) FROM conversations WHERE state = 'waiting'")
            ).scalar_one()
            print(f"  {'waiting':<20}{waiting:>12,} conversations", flush=True)
    finally:
        engine.dispose()
    return total


def _queue_timings(port: int, token: str, requests: int) -> list[Timings]:
    """Time the queue API's pages over one kept-alive HTTP connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}

    def get(query: str, timing: Timings | None = None) -> dict | None:
        started = time.perf_counter()
        connection.request("GET", "/api/v1/queue" + query, headers=headers)
        response = connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if timing is not None:
            timing.ms.append(elapsed)
        if response.status != 200:
            if timing is not None:
                timing.failures += 1
            return None
        return json.loads(body)

    try:
        cursor, seen = None, 0
        while seen < DEEP:
            page = get("?limit=200" + ("" if cursor is None else f"&cursor={cursor}"))
            if page is None or page["next_cursor"] is None:
                break
            cursor, seen = page["next_cursor"], seen + len(page["items"])
        variants = [
            ("first page, default limit", ""),
            ("first page, limit=200", "?limit=200"),
            (f"page after {seen:,} by cursor", f"?cursor={cursor}" if cursor else ""),
        ]
        timings = []
        for name, query in variants:
            timing = Timings(name)
            for _ in range(requests):
                page = get(query, timing)
                if page is not None:
                    timing.items = len(page["items"])
            timings.append(timing)
        return timings
    finally:
        connection.close()


class _InProcess:
    """The app in this process on the scale database, posting as Twilio does."""

    PUBLIC_URL = "http://127.0.0.1:9"

    def __init__(self, url: str, data_key: str) -> None:
        config = servers.settings(9, url)
        self.app = create_app(
            {
                **config.environ,
                "RESPONDER_DATA_KEY": data_key,
                "RESPONDER_PRESENCE_SECONDS": PRESENCE_SECONDS,
            }
        )
        self.engine = plans.engine_of(self.app)
        self.client = self.app.test_client()
        self.validator = RequestValidator(config.auth_token)

    def message(self, number: str, body: str) -> float:
        """Post one signed message; return how long the answer took, in milliseconds."""
        form = message_form(servers.ACCOUNT_SID, number, body)
        signature = self.validator.compute_signature(self.PUBLIC_URL + PATH, form)
        started = time.perf_counter()
        response = self.client.post(
            PATH, data=form, headers={"X-Twilio-Signature": signature}, base_url=self.PUBLIC_URL
        )
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"the webhook answered {response.status_code}")
        return elapsed

    def close(self) -> None:
        self.engine.dispose()


def _one_at_a_time(url: str, data_key: str, numbers: int, visits: int) -> list[float]:
    """Time scripted visits, one message at a time, in-process.

    With one request at a time and no HTTP or texter client beside it, the figure is
    the app's and the database's own time, and moves much less with other work on
    the machine than the load's latencies do. Every fifth visit joins the queue and
    leaves it again, so the queue stays as long as it was.
    """
    app = _InProcess(url, data_key)
    latencies = []
    try:
        for visit in range(visits):
            number = f"+1415{(numbers + visit) % 10_000_000:07d}"
            words = ["Hi", "1", "0", "4"] + (["TALK", "2", "MENU"] if visit % 5 == 0 else [])
            latencies.extend(app.message(number, word) for word in words)
    finally:
        app.close()
    return latencies


def _plans(url: str, data_key: str, token: str) -> list[plans.Plan]:
    """Print the plans behind the webhook's messages and the queue API's pages."""
    app = _InProcess(url, data_key)
    engine, client = app.engine, app.client
    number = f"+1415{PLAN_NUMBERS:07d}"

    def message(body: str) -> None:
        app.message(number, body)

    cursor = ""

    def queue(query: str) -> None:
        nonlocal cursor
        response = client.get("/api/v1/queue" + query, headers={"Authorization": f"Bearer {token}"})
        if response.status_code != 200:
            raise RuntimeError(f"the queue API answered {response.status_code}")
        cursor = response.get_json()["next_cursor"] or ""

    requests = [
        ("webhook: first message of a new texter", lambda: message("Hi")),
        ("webhook: a menu choice", lambda: message("1")),
        ("webhook: TALK, answered with the age question", lambda: message("TALK")),
        ("webhook: the age answer, joining the queue", lambda: message("2")),
        ("queue API: first page, limit=200", lambda: queue("?limit=200")),
        ("queue API: the next page by cursor", lambda: queue(f"?cursor={cursor}")),
    ]
    found = []
    try:
        for name, request in requests:
            statements = plans.statements_of(engine, request)
            explained = plans.explain(engine, statements)
            total = sum(plan.execution_ms for plan in explained)
            print(
                f"=== {name}: {len(statements)} statements, {len(explained)} explained,"
                f" {total:.1f} ms executing"
            )
            for plan in explained:
                for line in plans.describe(plan):
                    print("  " + line)
            found.extend(explained)
    finally:
        engine.dispose()
    return found


def _done(tally: Tally) -> str:
    kinds = ("non_200", "server_errors", "bad_twiml", "wrong_reply", "transport_errors")
    failures = ", ".join(f"{kind} {getattr(tally, kind)}" for kind in kinds if getattr(tally, kind))
    return f"{tally.answered} answered, {tally.handoffs} handoffs" + (
        f" ({failures})" if failures else ""
    )


def _ms(tally: Tally) -> list[float]:
    return [value * 1000 for value in tally.latencies]


def _webhook_table(empty: Phase, full: Phase) -> str:
    lines = [
        f"{'webhook, texters at a human pace':<34}{'empty':>10}{'full':>10}{'full/empty':>12}",
        "-" * 66,
        f"{'requests answered':<34}{empty.tally.answered:>10}{full.tally.answered:>10}",
        f"{'requests a second':<34}{empty.tally.answered / empty.seconds:>10.1f}"
        f"{full.tally.answered / full.seconds:>10.1f}",
    ]
    for label, share in (("p50 ms", 0.50), ("p95 ms", 0.95), ("p99 ms", 0.99)):
        before, after = percentile(_ms(empty.tally), share), percentile(_ms(full.tally), share)
        ratio = after / before if before else 0.0
        lines.append(f"{label:<34}{before:>10.1f}{after:>10.1f}{ratio:>12.2f}")
    lines.append(f"{'errors':<34}{empty.tally.errors:>10}{full.tally.errors:>10}")
    lines.append(
        f"{'one message at a time, in-process':<34}{len(empty.alone):>10}{len(full.alone):>10}"
    )
    for label, share in (("p50 ms", 0.50), ("p99 ms", 0.99)):
        before, after = percentile(empty.alone, share), percentile(full.alone, share)
        ratio = after / before if before else 0.0
        lines.append(f"{'  ' + label:<34}{before:>10.1f}{after:>10.1f}{ratio:>12.2f}")
    lines.append(f"{'load average at the end':<34}{empty.load:>10.1f}{full.load:>10.1f}")
    return "\n".join(lines)


def _queue_table(timings: list[Timings], waiting: int) -> str:
    header = f"{f'queue API, {waiting:,} waiting':<34}{'items':>6}"
    header += f"{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}{'fails':>6}"
    lines = [header, "-" * len(header)]
    for timing in timings:
        lines.append(
            f"{timing.name:<34}{timing.items:>6}{percentile(timing.ms, 0.50):>8.1f}"
            f"{percentile(timing.ms, 0.95):>8.1f}{percentile(timing.ms, 0.99):>8.1f}"
            f"{max(timing.ms, default=0):>8.1f}{timing.failures:>6}"
        )
    return "\n".join(lines)


def _verdicts(
    empty: Phase, full: Phase, queue: list[Timings], found: list[plans.Plan], fill_seconds: float
) -> list[str]:
    """Hold the figures against the scale targets; the bench reports, it does not fail."""
    lines = []
    for label, share in (("p50", 0.50), ("p99", 0.99)):
        before, after = percentile(_ms(empty.tally), share), percentile(_ms(full.tally), share)
        lines.append(
            verdict(
                after <= before * WITHIN,
                f"webhook {label} full {after:.1f} ms vs empty {before:.1f} ms "
                f"(within {WITHIN - 1:.0%})",
            )
        )
    before, after = percentile(empty.alone, 0.50), percentile(full.alone, 0.50)
    lines.append(
        verdict(
            after <= before * WITHIN,
            f"one message at a time, p50 full {after:.1f} ms vs empty {before:.1f} ms "
            f"(within {WITHIN - 1:.0%})",
        )
    )
    for timing in queue:
        p99 = percentile(timing.ms, 0.99)
        lines.append(
            verdict(p99 < QUEUE_TARGET_MS, f"queue API {timing.name}: p99 {p99:.1f} ms (< 100 ms)")
        )
    scans = sorted({table for plan in found for table in plan.big_seq_scans})
    seen = "Seq Scan on " + ", ".join(scans) if scans else "no sequential scan of a big table"
    lines.append(verdict(not scans, f"plans use indexes: {seen}"))
    errors = empty.tally.errors + full.tally.errors + sum(t.failures for t in queue)
    lines.append(verdict(errors == 0, f"{errors} errors (none)"))
    load = os.getloadavg()[0]
    lines.append(f"        filled in {fill_seconds:.0f} s; load average now {load:.1f}")
    return lines


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="a tenth of the rows, short loads")
    parser.add_argument("--texters", type=int, default=50, help="texters at a human pace")
    parser.add_argument("--seconds", type=float, help="length of each webhook load (30; quick 8)")
    parser.add_argument("--warm-up", type=float, default=3.0, help="seconds of load not counted")
    parser.add_argument("--requests", type=int, help="queue API requests of each kind (200; 50)")
    parser.add_argument("--visits", type=int, help="visits sent one at a time, in-process (60; 20)")
    parser.add_argument("--contacts", type=int, help="contacts to add (300,000; quick 50,000)")
    parser.add_argument(
        "--conversations", type=int, help="conversations to add, ten messages each (1,000,000)"
    )
    parser.add_argument("--waiting", type=int, default=10_000, help="the queue after the fill")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="gthread", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_SCALE_DATABASE_URL", DEFAULT_DATABASE),
        help="a PostgreSQL database of the bench's own: it is emptied (BENCH_SCALE_DATABASE_URL)",
    )
    options = parser.parse_args(argv)
    quick = options.quick
    options.seconds = options.seconds or (8 if quick else 30)
    options.requests = options.requests or (50 if quick else 200)
    options.visits = options.visits or (20 if quick else 60)
    options.contacts = options.contacts or (50_000 if quick else 300_000)
    options.conversations = options.conversations or (100_000 if quick else 1_000_000)
    return options


if __name__ == "__main__":
    sys.exit(main())
