"""When to try again after Twilio refused or did not answer: one shape for every job.

The outbox, the on-call alerts and the deletions at Twilio all wait the same way:
the first wait, doubled after each failed attempt up to the longest wait, until the
attempts run out. Each job keeps its own figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# Enough doublings to pass any longest wait; more would only grow the number.
MAX_DOUBLINGS = 16


@dataclass(frozen=True)
class Schedule:
    first: timedelta  # the wait after the first failed attempt
    longest: timedelta  # no wait is longer than this
    attempts: int  # how many attempts before giving up

    def next_attempt(self, attempt: int, now: datetime) -> datetime:
        """Return when to try again after the attempt numbered `attempt` (from 1) failed."""
        doublings = min(max(attempt - 1, 0), MAX_DOUBLINGS)
        return now + min(self.first * 2**doublings, self.longest)

    def exhausted(self, attempts: int) -> bool:
        """Have this many attempts used up the schedule?"""
        return attempts >= self.attempts
