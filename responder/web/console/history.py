"""The texter's history in the console: the panel beside a conversation, and earlier ones read-only.

The panel (console/history.html) reads what it shows through a template global, so the
conversation page needs nothing passed for it. Its forms post here and come back to
the conversation; history.js sends the same changes through /api/v1 without a reload.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from responder import errors, services
from responder.counselling import flags, history
from responder.staff import audit
from responder.store.db import get_session
from responder.web.console import bp
from responder.web.console.pages import CONVERSATION, STATUS_WORDS, day_words
from responder.web.console.session import signed_in
from responder.web.console.words import language, phrase, refusal, say

EARLIER = "/earlier/<int(max=2147483647):earlier_id>"
FLAG = "/flags/<int(max=2147483647):flag_id>"


@dataclass(frozen=True)
class Panel:
    """What the history panel shows beside a conversation, and the flag form's bounds."""

    history: history.History
    choices: tuple[str, ...]
    default_expiry: date
    first_expiry: date
    last_expiry: date


@bp.app_template_global("console_history")
def panel(conversation_id: int) -> Panel:
    """Read the texter's flags and earlier conversations for the conversation page."""
    now = _now()
    return Panel(
        history=history.history(get_session(), conversation_id, g.counsellor, now),
        choices=flags.CHOICES,
        default_expiry=flags.default_expiry(now),
        first_expiry=flags.today(now),
        last_expiry=flags.today(now) + timedelta(days=flags.MAX_DAYS),
    )


@bp.get(f"{CONVERSATION}{EARLIER}")
@signed_in()
def earlier(conversation_id: int, earlier_id: int) -> ResponseReturnValue:
    session, now, app_services = get_session(), _now(), services.of()
    try:
        found = history.earlier(
            session,
            conversation_id,
            earlier_id,
            g.counsellor,
            app_services.keys,
            app_services.content,
            now,
        )
    except errors.NotFound:
        abort(404, description=say("history.no_earlier"))
    except errors.NotPermitted:
        abort(403, description=say("history.not_yours"))
    audit.record(session, g.counsellor, "view", earlier_id, now, via=conversation_id)
    session.commit()
    return render_template("console/earlier.html", earlier=found, status_words=STATUS_WORDS)


@bp.post(f"{CONVERSATION}/flags")
@signed_in()
def add_flag(conversation_id: int) -> ResponseReturnValue:
    """Flag the texter from the panel's form, when history.js is not there to do it."""
    label, raw = request.form.get("label", ""), request.form.get("expires_on", "").strip()

    def add(session: Session, now: datetime) -> None:
        try:
            until = date.fromisoformat(raw) if raw else None
        except ValueError:
            raise errors.Rejected(
                "the expiry date must be a date, such as 2027-01-31", "expiry_not_date"
            ) from None
        flags.add(session, conversation_id, g.counsellor, label, until, now)

    return _change(conversation_id, add, "history.flag_added")


@bp.post(f"{CONVERSATION}{FLAG}/lift")
@signed_in()
def lift_flag(conversation_id: int, flag_id: int) -> ResponseReturnValue:
    def lift(session: Session, now: datetime) -> None:
        flags.lift(session, conversation_id, g.counsellor, flag_id, now)

    return _change(conversation_id, lift, "history.flag_lifted")


@bp.app_template_filter("console_last_day")
def last_day(expires_at: datetime) -> str:
    """Name the last day a flag shows: it expires at the start of the next one."""
    return day_words(flags.last_day(expires_at))


@bp.app_template_filter("console_earlier_count")
def earlier_count(total: int) -> str:
    if total == 0:
        return say("history.earlier_none")
    return say("history.earlier_one") if total == 1 else say("history.earlier_other", count=total)


@bp.app_template_global("console_phrase_at")
def phrase_at(key: str, when: datetime, shown: str, **values: object) -> Markup:
    """A phrase whose {when} is a <time> element, so the moment stays machine-readable.

    The phrase is escaped first and the time put in after, so a translation places the
    time wherever its language needs it without holding any markup itself.
    """
    time = Markup('<time datetime="{}">{}</time>').format(when.isoformat(), shown)
    return Markup(escape(phrase(language(), key))).format(when=time, **values)


def _change(
    conversation_id: int, action: Callable[[Session, datetime], None], done: str
) -> ResponseReturnValue:
    # done is the key of the phrase that says what happened.
    """Run one change and commit it, then show the conversation again with what happened."""
    session = get_session()
    try:
        action(session, _now())
    except errors.NotFound:
        abort(404, description=say("history.no_flag"))
    except errors.NotPermitted:
        abort(403, description=say("history.not_yours"))
    except (errors.Rejected, errors.Conflict) as error:
        session.rollback()
        flash(say("history.flag_not_changed", error=refusal(error)), "error")
    else:
        session.commit()
        flash(say(done))
    return redirect(url_for("console.conversation", conversation_id=conversation_id))


def _now() -> datetime:
    return datetime.now(UTC)
