"""What every console page carries: the list of the counsellor's own conversations.

The list is rendered with the page, and console.js keeps it current from the change
feed, so a texter writing in any conversation the counsellor holds shows wherever
they are in the console: the queue, another conversation, the audit log or accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import g, url_for
from sqlalchemy import func, select

from responder.counselling import caseload
from responder.store.db import get_session
from responder.store.models import Event
from responder.web.console import bp
from responder.web.console.words import say


@dataclass(frozen=True)
class Live:
    """The counsellor's conversations, and where the page starts following the change feed."""

    events_after: int
    held: tuple[caseload.HeldConversation, ...]
    api: str
    conversations_url: str


@bp.app_template_global("console_live")
def live() -> Live:
    """Read the signed-in counsellor's conversations for the page's layout."""
    # The feed's position is read first: a change in between is then seen again, not missed.
    events_after = latest_event()
    return Live(
        events_after=events_after,
        held=caseload.held(get_session(), g.counsellor, datetime.now(UTC)),
        api=api_root(),
        conversations_url=conversations_url(),
    )


def latest_event() -> int:
    """Return the newest change's id: what a page shows already includes everything up to it."""
    return get_session().scalar(select(func.max(Event.id))) or 0


def api_root() -> str:
    """Return the API's base path, which console.js puts before each call."""
    return url_for("api.me").removesuffix("/me")


def conversations_url() -> str:
    """Return the path a conversation's id is appended to, to link to its page."""
    return url_for("console.conversation", conversation_id=0).removesuffix("0")


@bp.app_template_filter("console_ago")
def ago_words(moment: datetime) -> str:
    """Say how long ago something came, roughly: "just now", "2 min ago", "3 h ago"."""
    minutes = int((datetime.now(UTC) - moment).total_seconds() // 60)
    if minutes < 1:
        return say("script.rail.just_now")
    if minutes < 60:
        return say("script.rail.minutes_ago", n=minutes)
    if minutes < 24 * 60:
        return say("script.rail.hours_ago", n=minutes // 60)
    return say("script.rail.days_ago", n=minutes // (24 * 60))
