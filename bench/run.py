"""The one benchmark command: baseline, SQLite and PostgreSQL, one after another.

    .venv/bin/python -m bench.run            # the full run: 50 texters, 60 s each
    .venv/bin/python -m bench.run --quick    # a short run, under a minute

Each target runs alone on the machine under the same gunicorn settings. A paced
phase (every texter one message a second) gives the latency texters feel; a flat-out
phase (16 texters, each writing again as soon as answered) gives the most the target
serves, which is what the ratio to the baseline compares. Then bench/floor.py sets the
app's CPU per message beside its floor, on a PostgreSQL database of its own. It exits
non-zero when a message went unanswered or answered wrongly, or the server failed;
slow figures are reported, not failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import databases, floor, report, servers
from bench.report import yardstick
from bench.texters import Load, Tally, run

DEFAULT_POSTGRESQL = "postgresql://postgres@127.0.0.1:5432/bench"
TARGETS = ("baseline", "sqlite", "postgresql")


def main(argv: list[str] | None = None) -> int:
    options = _arguments(argv)
    # Other work on a shared machine slows its CPU, sometimes by half: timed on either
    # side of the run, it says whether the run had the machine to itself.
    before = yardstick()
    results = []
    with tempfile.TemporaryDirectory(prefix="responder-bench-") as folder:
        for index, name in enumerate(options.targets):
            print(f"{name}: ", end="", flush=True)
            results.append(_measure(name, index, options, Path(folder)))
            print(_breakdown(results[-1]), flush=True)
    print()
    print(
        f"{options.workers} {options.worker_class} workers x {options.threads} threads, "
        f"{options.texters} texters for {options.seconds:g} s, "
        f"{options.flat_out_texters} flat out for {options.flat_out_seconds:g} s, "
        f"{os.cpu_count()} CPUs, CPU yardstick {before:.2f} s before, {yardstick():.2f} s after"
    )
    print(report.table(results))
    print()
    for line in report.verdicts(results, options.texters):
        print(line)
    floor_answered = True
    if "postgresql" in options.targets and options.floor_messages:
        # The app's CPU per message beside the same work done by its parts (bench/floor.py).
        print()
        floor_answered = floor.report(
            {"postgresql": options.floor_database_url}, options.floor_messages
        )
    failed = [r.name for r in results if r.errors or r.server_errors or r.unbalanced]
    failed += [] if floor_answered else ["the floor"]
    if failed:
        print(f"\nmessages went unanswered or wrong on: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _breakdown(result: report.Result) -> str:
    """Name each kind of failure, so a wrong figure in the table can be traced."""
    kinds = ("non_200", "server_errors", "bad_twiml", "wrong_reply", "transport_errors")
    counts = {kind: getattr(result.paced, kind) + getattr(result.flat_out, kind) for kind in kinds}
    found = ", ".join(f"{kind} {count}" for kind, count in counts.items() if count)
    return f"done ({found})" if found else "done"


def _measure(name: str, index: int, options: argparse.Namespace, folder: Path) -> report.Result:
    port = servers.free_port()
    if name == "baseline":
        app, url = "bench.baseline:create_app()", None
    elif name == "sqlite":
        app, url = "responder:create_app()", databases.sqlite(folder)
    else:
        app, url = "responder:create_app()", databases.postgresql(options.database_url)
    config = servers.settings(port, url)
    server = servers.Gunicorn(
        app, port, config.environ, options.workers, options.worker_class, options.threads,
        folder / f"{name}.log",
    )  # fmt: skip
    try:
        server.wait_ready()
        watcher = _MemoryWatch(server)
        watcher.start()

        def load(texters: int, seconds: float, pace: float) -> Load:
            return Load(
                base_url=f"http://127.0.0.1:{port}",
                auth_token=config.auth_token,
                account_sid=servers.ACCOUNT_SID,
                texters=texters,
                seconds=seconds,
                pace=pace,
                judge_replies=name != "baseline",
            )

        # Numbers never repeat between phases: each phase's visits start a fresh range.
        first = index * 3_000_000
        asyncio.run(run(load(options.flat_out_texters, options.warm_up, 0), first))
        paced = _timed(load(options.texters, options.seconds, 1.0), first + 1_000_000)
        flat_out = _timed(
            load(options.flat_out_texters, options.flat_out_seconds, 0), first + 2_000_000
        )
        watcher.stop()
    finally:
        server.stop()
    return report.Result(name, paced[0], paced[1], flat_out[0], flat_out[1], server.peak_rss)


def _timed(load: Load, number_start: int) -> tuple[Tally, float]:
    started = time.monotonic()
    tally = asyncio.run(run(load, number_start))
    return tally, time.monotonic() - started


class _MemoryWatch(threading.Thread):
    """Sample the workers' peak memory while the load runs, in case one is replaced."""

    def __init__(self, server: servers.Gunicorn) -> None:
        super().__init__(daemon=True)
        self._server = server
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.5):
            self._server.sample_memory()

    def stop(self) -> None:
        self._done.set()
        self.join()


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run, under a minute")
    parser.add_argument("--texters", type=int, help="texters at a human pace (50; quick 20)")
    parser.add_argument("--seconds", type=float, help="length of the paced phase (60; quick 5)")
    parser.add_argument("--flat-out-texters", type=int, default=16, help="texters not pausing")
    parser.add_argument("--flat-out-seconds", type=float, help="length of that phase (20; quick 3)")
    parser.add_argument("--warm-up", type=float, default=1.0, help="seconds of load not counted")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, for every target")
    parser.add_argument("--worker-class", default="gthread", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS))
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRESQL),
        help="a PostgreSQL database of the bench's own: it is emptied (BENCH_DATABASE_URL)",
    )
    parser.add_argument(
        "--floor-messages", type=int, help="messages of each kind for the floor (300; quick 50)"
    )
    parser.add_argument(
        "--floor-database-url",
        default=os.environ.get("BENCH_FLOOR_DATABASE_URL", floor.DEFAULT_POSTGRESQL),
        help="the floor's own PostgreSQL database: it is emptied (BENCH_FLOOR_DATABASE_URL)",
    )
    options = parser.parse_args(argv)
    if options.targets[0] != "baseline":
        parser.error("the baseline comes first: the ratios are to it")
    options.texters = options.texters or (20 if options.quick else 50)
    options.seconds = options.seconds or (5 if options.quick else 60)
    options.flat_out_seconds = options.flat_out_seconds or (3 if options.quick else 20)
    if options.floor_messages is None:
        options.floor_messages = 50 if options.quick else 300
    return options


if __name__ == "__main__":
    sys.exit(main())
