"""Finding entries in the audit log: by person, action, conversation and UTC days.

A supervisor's filter comes as text from a form or a query string; it is read here into
ids and times, and each field that cannot be read is named with a code so the web edge
can say what is wrong in the reader's language. A field that cannot be read is left
out of the filter, so a typo shows a wider list rather than an error page.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from responder.errors import NotPermitted
from responder.staff.audit import ACTIONS, AuditView, view_of
from responder.staff.auth import supervises
from responder.store.models import AuditEntry, Counsellor

FIELDS = ("person", "action", "conversation", "from", "to")
# Ids are 32-bit integers on PostgreSQL: a larger one would fail in the database.
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class AuditFilter:
    counsellor_id: int | None = None
    action: str | None = None
    conversation_id: int | None = None
    start: datetime | None = None  # included
    end: datetime | None = None  # left out: the day after the last day asked for
    hide_views: bool = False


@dataclass(frozen=True)
class ReadFilter:
    """A filter as read, the fields it used (as given) and the fields it could not read."""

    filter: AuditFilter
    used: dict[str, str]
    problems: dict[str, str]  # field -> code: unknown_person, unknown_action, bad_number...


def read_filter(session: Session, args: Mapping[str, str]) -> ReadFilter:
    given = {name: args.get(name, "").strip() for name in FIELDS}
    problems: dict[str, str] = {}
    person = _person(session, given["person"], problems)
    action = given["action"] or None
    if action is not None and action not in ACTIONS:
        problems["action"], action = "unknown_action", None
    conversation = _number(given["conversation"], problems)
    first, last = _day(given["from"], "from", problems), _day(given["to"], "to", problems)
    if first and last and first > last:
        problems["to"], first, last = "dates_reversed", None, None
    found = AuditFilter(
        counsellor_id=person,
        action=action,
        conversation_id=conversation,
        start=datetime.combine(first, time(), UTC) if first else None,
        end=datetime.combine(last + timedelta(days=1), time(), UTC) if last else None,
    )
    used = {k: v for k, v in given.items() if v and k not in problems}
    if "to" in problems:
        used.pop("from", None)
    return ReadFilter(found, used, problems)


def _person(session: Session, username: str, problems: dict[str, str]) -> int | None:
    if not username:
        return None
    found = session.scalar(select(Counsellor.id).where(Counsellor.username == username))
    if found is None:
        problems["person"] = "unknown_person"
    return found


def _number(raw: str, problems: dict[str, str]) -> int | None:
    if not raw:
        return None
    # isdigit() alone accepts "²" and other Unicode digits that int() refuses.
    if raw.isascii() and raw.isdigit() and int(raw) <= MAX_ID:
        return int(raw)
    problems["conversation"] = "bad_number"
    return None


def _day(raw: str, field: str, problems: dict[str, str]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else _bad_day(raw)
    except ValueError:
        problems[field] = "bad_date"
        return None


def _bad_day(raw: str) -> date:
    # fromisoformat also takes "20261206"; a form sends YYYY-MM-DD only.
    raise ValueError(raw)


def without_views(found: AuditFilter) -> AuditFilter:
    """The filter with views folded away, unless it asks for views."""
    return found if found.action == "view" else replace(found, hide_views=True)


def _where(query: Select, found: AuditFilter) -> Select:
    if found.counsellor_id is not None:
        query = query.where(AuditEntry.counsellor_id == found.counsellor_id)
    if found.action is not None:
        query = query.where(AuditEntry.action == found.action)
    elif found.hide_views:
        query = query.where(AuditEntry.action != "view")
    if found.conversation_id is not None:
        query = query.where(AuditEntry.conversation_id == found.conversation_id)
    if found.start is not None:
        query = query.where(AuditEntry.created_at >= found.start)
    if found.end is not None:
        query = query.where(AuditEntry.created_at < found.end)
    return query


def _check(reader: Counsellor) -> None:
    if not supervises(reader):
        raise NotPermitted(
            "only supervisors and admins may read the audit log", "audit_supervisors"
        )


def matching_before(
    session: Session, reader: Counsellor, found: AuditFilter, before: int | None, limit: int
) -> tuple[AuditView, ...]:
    """The matching entries before an id, or the latest, newest first."""
    _check(reader)
    query = _where(select(AuditEntry), found).order_by(AuditEntry.id.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    rows = session.scalars(query.options(selectinload(AuditEntry.counsellor))).all()
    return tuple(view_of(entry) for entry in rows)


def matching_after(
    session: Session, reader: Counsellor, found: AuditFilter, after: int, limit: int
) -> tuple[AuditView, ...]:
    """The matching entries after an id, oldest first, as the API pages them."""
    _check(reader)
    query = _where(select(AuditEntry), found).where(AuditEntry.id > after)
    query = query.order_by(AuditEntry.id).limit(limit)
    rows = session.scalars(query.options(selectinload(AuditEntry.counsellor))).all()
    return tuple(view_of(entry) for entry in rows)


def views_hidden(session: Session, reader: Counsellor, found: AuditFilter) -> int:
    """How many view entries the filter would show if views were not folded away."""
    _check(reader)
    if not found.hide_views:
        return 0
    asked = replace(found, action="view", hide_views=False)
    return session.scalar(_where(select(func.count(AuditEntry.id)), asked)) or 0


def all_matching(
    session: Session, reader: Counsellor, found: AuditFilter, batch: int = 500
) -> Iterator[AuditView]:
    """Every matching entry, newest first, read a batch at a time for an export."""
    before: int | None = None
    while True:
        page = matching_before(session, reader, found, before, batch)
        yield from page
        if len(page) < batch:
            return
        before = page[-1].id
