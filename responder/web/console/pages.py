"""The console's working pages: the queue, and one conversation with everything to answer it.

The pages are rendered here in full; console.js then keeps them current through
/api/v1 (the change feed, the queue, the conversation) and sends every action there,
so a page and the API never disagree about what a counsellor may do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import abort, current_app, g, render_template
from flask.typing import ResponseReturnValue

from responder import errors, policies, services
from responder.bot.content import Content
from responder.bot.resources import ROLES
from responder.bot.sms import GSM7_BASIC, GSM7_EXTENSION
from responder.conversations import waiting
from responder.conversations.receiving import MAX_BODY
from responder.conversations.waiting import ESCALATED_PRIORITY
from responder.counselling import caseload, views, wrapup
from responder.counselling.reveal import MAX_REASON, MIN_REASON
from responder.privacy.addresses import Keys
from responder.staff import audit
from responder.staff.auth import SUPERVISING_ROLES, supervises
from responder.store.db import get_session
from responder.web.console import bp
from responder.web.console.live import conversations_url, latest_event
from responder.web.console.records import (
    LANGUAGE_NAMES,
    ROLE_NAMES,
    STATUS_WORDS,
    reason_said,
    reason_words,
)
from responder.web.console.session import signed_in
from responder.web.console.words import say

# The queue page shows the API's longest page; console.js asks for as many.
QUEUE_SHOWN = 200
CONVERSATION = "/conversations/<int(max=2147483647):conversation_id>"


@dataclass(frozen=True)
class LocalHelp:
    """One kind of local help and the lines a counsellor can insert for it."""

    role: str
    name: str
    lines: tuple[str, ...]


@bp.get("/queue")
@signed_in()
def queue() -> ResponseReturnValue:
    session, now = get_session(), _now()
    # Read before the queue, so a change in between is seen again rather than missed.
    events_after = latest_event()
    page = views.queue_page(session, _keys(), now, QUEUE_SHOWN, None)
    window = policies.presence(current_app.config)
    return render_template(
        "console/queue.html",
        page=page,
        shown=QUEUE_SHOWN,
        conversations_url=conversations_url(),
        me=views.counsellor_view(session, g.counsellor, now, window),
        # What a texter asking for a person is told right now, hours included.
        someone_free=waiting.availability(session, now, services.of().hours, window)[0],
        events_after=events_after,
        held=_held() if supervises(g.counsellor) else None,
    )


@bp.get("/queue/held")
@signed_in(*SUPERVISING_ROLES)
def held() -> ResponseReturnValue:
    """The queue page's list of conversations with counsellors, which console.js redraws."""
    return render_template("console/held.html", held=_held(), conversations_url=conversations_url())


@bp.get(CONVERSATION)
@signed_in()
def conversation(conversation_id: int) -> ResponseReturnValue:
    session, now, content = get_session(), _now(), _content()
    events_after = latest_event()
    try:
        view = views.conversation_view(
            session, conversation_id, g.counsellor, _keys(), content, now
        )
    except errors.NotFound:
        abort(404, description=say("conversation.no_conversation"))
    except errors.NotPermitted:
        abort(403, description=say("conversation.not_yours"))
    audit.record(session, g.counsellor, "view", conversation_id, now)
    # Opening the conversation reads what it shows; console.js marks later messages
    # read as they appear while the page is in view.
    read = caseload.mark_read(
        session, g.counsellor, conversation_id, view.messages[-1].id if view.messages else 0
    )
    session.commit()
    language = content.language(view.language)
    mine = view.counsellor == g.counsellor.username
    return render_template(
        "console/conversation.html",
        view=view,
        now=now,
        events_after=events_after,
        read_up_to=read.up_to,
        max_body=MAX_BODY,
        language=language,
        language_name=LANGUAGE_NAMES.get(view.language, language.name),
        canned=language.canned,
        local_help=local_help(content, view.language, view.country, view.under_18),
        wrapup_form=wrapup.form(content),
        # A plain dict in the page's language: the page carries it to console.js too.
        status_words=dict(STATUS_WORDS),
        reason_words=reason_words(),
        gsm7={"basic": "".join(sorted(GSM7_BASIC)), "extension": "".join(sorted(GSM7_EXTENSION))},
        template_ready=bool(current_app.config.get("TWILIO_WHATSAPP_TEMPLATE_SID")),
        mine=mine,
        can_reply=mine and view.state == "counsellor",
        # A supervisor may write a note on anyone's conversation; its counsellor sees it.
        can_note=mine or supervises(g.counsellor),
        can_act=view.state == "counsellor" and (mine or supervises(g.counsellor)),
        can_take_over=view.state == "counsellor" and not mine and supervises(g.counsellor),
        can_reveal=supervises(g.counsellor) and view.masked_number is not None,
        can_export=supervises(g.counsellor),
        reason_lengths=(MIN_REASON, MAX_REASON),
        # Whoever may see the page may block, as the API allows; an anonymised
        # conversation leads to nobody left to block.
        can_block=view.masked_number is not None,
    )


def local_help(
    content: Content, code: str, country: str | None, under_18: bool | None
) -> tuple[LocalHelp, ...]:
    """Gather the verified local help of a country in the texter's language, by kind.

    Where a kind has none, the words the bot itself would send instead are offered.
    """
    local = content.local(code, country, under_18)
    return tuple(
        LocalHelp(role, ROLE_NAMES[role], local.lines[role] or (local.fallbacks[role],))
        for role in ROLES
    )


@bp.app_template_filter("console_wait")
def wait_words(seconds: int) -> str:
    """Say how long someone has waited, to the minute."""
    minutes = seconds // 60
    if minutes < 1:
        return say("script.wait.under_a_minute")
    if minutes < 60:
        return say("script.wait.minutes", minutes=minutes)
    return say("script.wait.hours", hours=minutes // 60, minutes=minutes % 60)


@bp.app_template_filter("console_waiting")
def waiting_words(total: int) -> str:
    if total == 0:
        return say("script.queue.nobody_waiting")
    return (
        say("script.queue.waiting_one")
        if total == 1
        else say("script.queue.waiting_other", count=total)
    )


@bp.app_template_filter("console_channel")
def channel_name(channel: str) -> str:
    return {"sms": "SMS", "whatsapp": "WhatsApp"}.get(channel, channel)


@bp.app_template_filter("console_time")
def time_words(moment: datetime) -> str:
    # Rendered in UTC; console.js shows it again in the counsellor's own time zone.
    # strftime's month names follow the server's locale, never the counsellor's.
    utc = moment.astimezone(UTC)
    return say("time.at", day=day_words(utc.date()), clock=f"{utc:%H:%M}")


def day_words(day: date) -> str:
    """A calendar day in the page's language ("06 Dec 2026", "06 déc. 2026")."""
    month = say("time.months").split()[day.month - 1]
    return say("time.day", day=f"{day.day:02d}", month=month, year=day.year)


@bp.app_template_filter("console_age")
def age_words(under_18: bool | None) -> str:
    if under_18 is None:
        return say("conversation.not_known")
    return say("conversation.age_young" if under_18 else "conversation.age_adult")


@bp.app_template_filter("console_state")
def state_words(state: str, counsellor: str | None) -> str:
    if state == "counsellor":
        return say("conversation.state_with", name=counsellor)
    key = {
        "waiting": "conversation.state_waiting",
        "menu": "conversation.state_menu",
        "closed": "conversation.state_closed",
    }.get(state)
    return say(key) if key else state


@bp.app_template_filter("console_window")
def window_words(ends_at: datetime | None, now: datetime, template_ready: bool) -> str:
    """Say how long WhatsApp still lets free-form replies through."""
    if ends_at is None:
        return say("conversation.window_anonymised")
    left = ends_at - now
    if left >= timedelta(minutes=1):
        return say("script.conversation.window_open", left=wait_words(int(left.total_seconds())))
    if left > timedelta(0):
        return say("script.conversation.window_closing")
    if template_ready:
        return say("script.conversation.window_template")
    return say("script.conversation.window_closed")


@bp.app_template_filter("console_author_kind")
def author_kind(author: str) -> str:
    return author if author in ("texter", "bot") else "counsellor"


@bp.app_template_filter("console_page_title")
def page_title(body: str | None) -> str:
    """A bot's page by its first line, its title (bold on WhatsApp, between asterisks).

    Notices that are not pages have no title line: their first words stand for them.
    """
    if body is None:
        return say("script.conversation.page_erased")
    lines = body.strip().splitlines() or [""]
    return caseload.preview(lines[0].strip().strip("*"), 0) or say("script.conversation.page_empty")


@bp.app_template_filter("console_pressure")
def under_pressure(view: views.ConversationView) -> bool:
    """Sextortion pressure raised the priority; crisis words raise it further and say more."""
    return view.crisis_at is None and view.priority >= ESCALATED_PRIORITY


@bp.app_template_filter("console_author")
def author_name(author: str) -> str:
    key = {"texter": "script.conversation.author_texter", "bot": "script.conversation.author_bot"}
    return say(key[author]) if author in key else author


@bp.app_template_filter("console_delivery")
def delivery_words(message: views.MessageView, words: dict[str, str]) -> str:
    """Say where a message is on its way to the texter, and why it stopped if it did."""
    status = message.status or ""
    word = words.get(status, status)
    if not message.error_message:
        return word
    reason = reason_said(message.error_message)
    waiting = status in ("pending", "sending")
    return say(f"script.delivery.{'waiting' if waiting else 'stopped'}", status=word, reason=reason)


def _held() -> tuple[views.HeldItem, ...]:
    return views.with_counsellors(get_session(), g.counsellor, _keys())


def _now() -> datetime:
    return datetime.now(UTC)


def _keys() -> Keys:
    return services.of().keys


def _content() -> Content:
    return services.of().content
