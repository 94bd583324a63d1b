"""Counts made as requests pass: latency and answers by route, bad signatures, Twilio's codes.

Each app has its own meters. With PROMETHEUS_MULTIPROC_DIR set, as under gunicorn with
several workers, every process writes its counts to files there instead, and a scrape
(web/metrics.py) adds them all up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from time import perf_counter

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

# Twilio gives up on a webhook after 15 seconds; the buckets reach past it.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30)
# Requests matching no route are counted together: a scanner's made-up paths must not
# each become a series of their own.
UNMATCHED = "unmatched"


@dataclass(frozen=True)
class Meters:
    """The counts one app makes as requests pass, and where a scrape collects them."""

    latency: Histogram
    answers: Counter
    signature_failures: Counter
    twilio_errors: Counter
    registry: CollectorRegistry | None  # None: the counts are in PROMETHEUS_MULTIPROC_DIR

    @classmethod
    def create(cls) -> Meters:
        """Make the app's meters in a registry of its own, or in the shared files.

        A registry per app, rather than prometheus_client's global one, lets any number
        of apps live in one process (the tests build hundreds) without clashing names.
        """
        # A _created series beside every counter only doubles what a monitor reads.
        disable_created_metrics()
        folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if folder:
            # Every request writes there: a folder missing after a restart must not
            # turn every answer into a 500.
            os.makedirs(folder, exist_ok=True)
        registry = None if folder else CollectorRegistry()
        return cls(
            latency=Histogram(
                "responder_request_duration_seconds",
                "Time taken to answer a request, by route",
                ["route"],
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
            answers=Counter(
                "responder_responses",
                "Answers given, by route and HTTP status",
                ["route", "status"],
                registry=registry,
            ),
            signature_failures=Counter(
                "responder_webhook_signature_failures",
                "Webhook requests refused for a bad Twilio signature or host, by route",
                ["route"],
                registry=registry,
            ),
            twilio_errors=Counter(
                "responder_twilio_error_codes",
                "Twilio error codes reported in status callbacks, by code",
                ["code"],
                registry=registry,
            ),
            registry=registry,
        )


def init_app(app: Flask, meters: Meters) -> None:
    """Time and count every request: a clock reading, two dictionary reads, two increments.

    prometheus_client's labels() takes a lock and builds a key each time; the series a
    route and status lead to are kept here instead, which halves the cost per request.
    Routes and statuses are few (unknown paths share one route), so the dictionaries stay small.
    """
    timers: dict[str, Histogram] = {}
    tallies: dict[tuple[str, int], Counter] = {}

    def start() -> None:
        g.metrics_started = perf_counter()

    def finish(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        rule, status = route(), response.status_code
        if started is not None:
            timer = timers.get(rule)
            if timer is None:
                timer = timers[rule] = meters.latency.labels(rule)
            timer.observe(perf_counter() - started)
        tally = tallies.get((rule, status))
        if tally is None:
            tally = tallies[rule, status] = meters.answers.labels(rule, str(status))
        tally.inc()
        return response

    app.before_request(start)
    app.after_request(finish)


def route() -> str:
    """Return the route rule of this request (/twilio/messages), never its raw path."""
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED
