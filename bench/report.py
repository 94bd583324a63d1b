"""Figures from a tally, and the table that sets each target beside the baseline."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench.texters import Tally

MB = 1024 * 1024


@dataclass(frozen=True)
class Result:
    """One target's figures: a human-paced phase for latency, a flat-out one for capacity."""

    name: str
    paced: Tally
    paced_seconds: float
    flat_out: Tally
    flat_out_seconds: float
    peak_rss: dict[int, int]

    @property
    def throughput(self) -> float:
        return self.flat_out.answered / self.flat_out_seconds

    @property
    def errors(self) -> int:
        return self.paced.errors + self.flat_out.errors

    @property
    def server_errors(self) -> int:
        return self.paced.server_errors + self.flat_out.server_errors

    @property
    def unbalanced(self) -> int:
        return self.paced.visits_unbalanced + self.flat_out.visits_unbalanced

    @property
    def peak_worker_mb(self) -> float:
        return max(self.peak_rss.values(), default=0) / MB


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


def table(results: list[Result]) -> str:
    baseline = results[0].throughput if results else 0.0
    header = (
        f"{'target':<11}{'paced req':>10}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
        f"{'max req/s':>11}{'p99 ms':>8}{'ratio':>7}{'errors':>8}{'5xx':>5}"
        f"{'unbal':>6}{'peak MB':>9}"
    )
    lines = [
        f"{'':<11}{'--- texters at a human pace ---':^42}{'--- flat out ---':^26}",
        header,
        "-" * len(header),
    ]
    for result in results:
        paced = [value * 1000 for value in result.paced.latencies]
        flat = [value * 1000 for value in result.flat_out.latencies]
        ratio = result.throughput / baseline if baseline else 0.0
        lines.append(
            f"{result.name:<11}{result.paced.answered:>10}"
            f"{result.paced.answered / result.paced_seconds:>8.1f}"
            f"{percentile(paced, 0.50):>8.1f}{percentile(paced, 0.95):>8.1f}"
            f"{percentile(paced, 0.99):>8.1f}{result.throughput:>11.1f}"
            f"{percentile(flat, 0.99):>8.1f}{ratio:>7.2f}{result.errors:>8}"
            f"{result.server_errors:>5}{result.unbalanced:>6}{result.peak_worker_mb:>9.1f}"
        )
    return "\n".join(lines)


# Flat out on PostgreSQL, against the bare baseline on the same machine: what a run
# must reach, and what the helpline aims for.
THROUGHPUT_TARGET, THROUGHPUT_AIM = 0.30, 0.40


def verdicts(results: list[Result], texters: int) -> list[str]:
    """Hold the figures against the capacity targets; the bench reports, it does not fail."""
    by_name = {result.name: result for result in results}
    baseline, postgres = by_name.get("baseline"), by_name.get("postgresql")
    lines = []
    if baseline and postgres:
        ratio = postgres.throughput / baseline.throughput if baseline.throughput else 0.0
        lines.append(
            verdict(
                ratio >= THROUGHPUT_TARGET,
                f"PostgreSQL throughput {ratio:.0%} of baseline "
                f"(>= {THROUGHPUT_TARGET:.0%}; the aim is {THROUGHPUT_AIM:.0%})",
            )
        )
        p99 = percentile([value * 1000 for value in postgres.paced.latencies], 0.99)
        lines.append(
            verdict(p99 <= 100, f"PostgreSQL p99 {p99:.1f} ms with {texters} texters (<= 100 ms)")
        )
    for result in results[1:]:
        lines.append(verdict(result.errors == 0, f"{result.name}: {result.errors} errors (none)"))
        lines.append(
            verdict(
                result.peak_worker_mb <= 150,
                f"{result.name}: peak {result.peak_worker_mb:.0f} MB per worker (<= 150 MB)",
            )
        )
    return lines


def verdict(met: bool, text: str) -> str:
    """One target's line: met or MISSED, then what was measured against what."""
    return ("met     " if met else "MISSED  ") + text


def yardstick() -> float:
    """Time a fixed piece of pure Python, to tell how fast this machine's CPU is.

    The same run gives very different requests a second on a fast and a slow CPU;
    this figure (lower is faster) lets runs on different machines be set side by side.
    """
    started = time.perf_counter()
    total = 0
    for number in range(5_000_000):
        total += number
    return time.perf_counter() - started
