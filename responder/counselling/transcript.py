"""A conversation's transcript as plain text, for a supervisor who writes down why.

A transcript leaves the helpline (to a safeguarding lead, a police report), so it is
handled like a number: supervisors and admins only, with a reason kept in the audit
log in the same transaction. It holds the masked number, never the full one, and the
words retention has already erased stay erased.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from responder.bot.content import Content
from responder.counselling import views
from responder.counselling.reveal import checked_reason
from responder.errors import NotPermitted
from responder.privacy.addresses import Keys
from responder.staff import audit
from responder.staff.auth import supervises
from responder.store.models import Counsellor

ERASED = "[erased after the retention period]"


def export(
    session: Session,
    conversation_id: int,
    actor: Counsellor,
    reason: str,
    keys: Keys,
    content: Content,
    now: datetime,
) -> str:
    """Return the conversation as text, and log who took it and why."""
    if not supervises(actor):
        raise NotPermitted(
            "only supervisors and admins may export a transcript", "transcript_supervisors"
        )
    view = views.conversation_view(session, conversation_id, actor, keys, content, now)
    written = checked_reason(reason)
    audit.record(session, actor, "transcript", view.id, now, reason=written)
    return as_text(view, now)


def file_name(conversation_id: int) -> str:
    return f"conversation-{conversation_id}-transcript.txt"


def as_text(view: views.ConversationView, now: datetime) -> str:
    """The transcript: what the conversation is, then each message and note in time order."""
    facts = [
        ("Conversation", str(view.id)),
        ("Exported", _time(now)),
        ("State", view.state),
        ("Number", view.masked_number or "anonymised"),
        ("Channel", view.channel),
        ("Country", view.country or "unknown"),
        ("Language", view.language),
        ("Started", _time(view.started_at)),
        ("Closed", _time(view.closed_at) if view.closed_at else "no"),
    ]
    lines = [f"{name}: {value}" for name, value in facts]
    entries = [
        (message.created_at, _author(message.author), _body(message)) for message in view.messages
    ]
    entries += [(note.created_at, f"Note by {note.author}", note.body) for note in view.notes]
    lines.append("")
    for when, author, body in sorted(entries, key=lambda entry: entry[0]):
        lines.append(f"[{_time(when)}] {author}:")
        lines.extend(f"  {line}" for line in body.splitlines() or [""])
    return "\n".join(lines) + "\n"


def _author(author: str) -> str:
    return {"texter": "Texter", "bot": "Bot"}.get(author, f"Counsellor {author}")


def _body(message: views.MessageView) -> str:
    if message.body is None:
        return ERASED
    if message.media_count and message.body != views.MEDIA_WITHHELD:
        # Media is never fetched; the transcript says only that some came with the text.
        return f"{message.body} {views.MEDIA_WITHHELD}"
    return message.body


def _time(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"
