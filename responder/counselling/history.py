"""The texter's history: their earlier conversations, as a counsellor sees them beside this one.

Texters targeted by sextortion often come back days later, when the threats return;
the counsellor who answers then should not have to ask them to tell it all again.

Who may read what: a counsellor who may see a conversation (theirs, one waiting in the
queue, or any as a supervisor or admin) may read every earlier conversation of the same
texter, read-only. Earlier means started before it; only conversations still linked to
the texter count, so retention decides how far back the history reaches: once a
conversation is anonymised it leads to nobody and drops out, and its text and notes
have gone a while before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from responder.bot.content import Content
from responder.counselling import access, flags, views
from responder.errors import NotFound
from responder.privacy.addresses import Keys
from responder.store.casework import WrapUp
from responder.store.models import Conversation, Counsellor, Note

# A texter who writes every day for months has many; the page shows the latest.
SHOWN = 50


@dataclass(frozen=True)
class WrapUpView:
    """What the counsellor recorded on closing, as codes; the console puts them in words."""

    categories: tuple[str, ...]
    referrals: tuple[str, ...]
    summary: str | None  # free text; None when none was written or retention deleted it


@dataclass(frozen=True)
class EarlierConversation:
    id: int
    channel: str
    state: str
    started_at: datetime
    closed_at: datetime | None
    counsellor: str | None  # who had it last
    wrap_up: WrapUpView
    notes: tuple[views.NoteView, ...]  # gone once retention deleted them


@dataclass(frozen=True)
class History:
    conversation_id: int
    total: int  # every earlier conversation still linked to the texter
    conversations: tuple[EarlierConversation, ...]  # the latest SHOWN of them, newest first
    flags: tuple[flags.FlagView, ...]


@dataclass(frozen=True)
class Earlier:
    """One earlier conversation in full, for reading only, and the conversation it is read from."""

    from_conversation: int
    view: views.ConversationView
    wrap_up: WrapUpView


def history(session: Session, conversation_id: int, actor: Counsellor, now: datetime) -> History:
    """List the earlier conversations of the texter behind a conversation the counsellor may see."""
    current = access.visible(session, conversation_id, actor)
    if current.contact_id is None:
        return History(current.id, 0, (), ())  # anonymised: it leads to nobody
    earlier = (
        Conversation.contact_id == current.contact_id,
        Conversation.id < current.id,
    )
    rows = session.scalars(
        select(Conversation).where(*earlier).order_by(Conversation.id.desc()).limit(SHOWN)
    ).all()
    total = session.scalar(select(func.count(Conversation.id)).where(*earlier)) or 0
    ids = [row.id for row in rows]
    wrap_ups = _wrap_ups(session, rows)
    notes = session.scalars(
        select(Note).where(Note.conversation_id.in_(ids)).order_by(Note.id)
    ).all()
    names = views.usernames(
        session, [n.counsellor_id for n in notes] + [r.counsellor_id for r in rows]
    )
    return History(
        conversation_id=current.id,
        total=total,
        conversations=tuple(
            EarlierConversation(
                id=row.id,
                channel=row.channel,
                state=row.state,
                started_at=row.started_at,
                closed_at=row.closed_at,
                counsellor=names.get(row.counsellor_id) if row.counsellor_id else None,
                wrap_up=wrap_ups[row.id],
                notes=tuple(
                    views.NoteView(n.id, names[n.counsellor_id], n.body, n.created_at)
                    for n in notes
                    if n.conversation_id == row.id
                ),
            )
            for row in rows
        ),
        flags=flags.of_contact(session, current.contact_id, now),
    )


def earlier(
    session: Session,
    conversation_id: int,
    earlier_id: int,
    actor: Counsellor,
    keys: Keys,
    content: Content,
    now: datetime,
) -> Earlier:
    """Show an earlier conversation of the texter behind one the counsellor may see.

    Any other conversation is "not found", as if it did not exist: whether a number
    belongs to some other texter is not the counsellor's to learn this way.
    """
    current = access.visible(session, conversation_id, actor)
    found = session.get(Conversation, earlier_id)
    if (
        found is None
        or current.contact_id is None
        or found.contact_id != current.contact_id
        or found.id >= current.id
    ):
        raise NotFound(
            f"no earlier conversation {earlier_id} of this texter", "no_earlier", id=earlier_id
        )
    return Earlier(
        from_conversation=current.id,
        view=views.describe(session, found, keys, content, now),
        wrap_up=_wrap_ups(session, [found])[found.id],
    )


def _wrap_ups(session: Session, rows: Sequence[Conversation]) -> dict[int, WrapUpView]:
    """Read the wrap-ups of the conversations; one closed without one shows its category."""
    stored = {
        wrap_up.conversation_id: wrap_up
        for wrap_up in session.scalars(
            select(WrapUp).where(WrapUp.conversation_id.in_([row.id for row in rows]))
        )
    }
    found = {}
    for row in rows:
        wrap_up = stored.get(row.id)
        if wrap_up is not None:
            found[row.id] = WrapUpView(
                tuple(wrap_up.categories or ()), tuple(wrap_up.referrals or ()), wrap_up.summary
            )
        else:
            fallback = (row.category, *(row.secondary or ())) if row.category else ()
            found[row.id] = WrapUpView(tuple(fallback), (), None)
    return found
