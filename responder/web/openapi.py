"""The OpenAPI 3.1 description of the counsellor API, served at /api/v1/openapi.json.

The document is kept in openapi.json beside this module. Where it states a limit or a
list of names the code enforces (categories, event kinds, lengths), the file holds null
and the value is written in here from the code's own constant at import, so that the
two cannot drift apart.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from responder.conversations.blocks import HOURS
from responder.conversations.receiving import MAX_BODY
from responder.counselling import flags, history, wrapup_lists
from responder.counselling.handoff import CATEGORIES, LOCAL_TAGS, MAX_NOTE
from responder.counselling.reveal import MAX_REASON, MIN_REASON
from responder.counselling.views import MEDIA_WITHHELD
from responder.reports import export
from responder.staff.audit import ACTIONS
from responder.store.events import KINDS

PREFIX = "/api/v1"
FILE = "openapi.json"


def _from_code() -> dict[tuple[str, ...], Any]:
    """Return the values the code decides, by their place under components/schemas."""
    return {
        ("Category", "enum"): list(CATEGORIES),
        ("SecondaryTag", "enum"): [*CATEGORIES, *LOCAL_TAGS],
        ("SecondaryTag", "description"): "A secondary category, or a local tag: "
        + ", ".join(LOCAL_TAGS)
        + ".",
        ("Message", "properties", "body", "description"): f'"{MEDIA_WITHHELD}" for media '
        "without text (media is never fetched); null once the retention period has erased "
        "the text",
        ("Event", "properties", "kind", "enum"): sorted(KINDS),
        ("MessageRequest", "properties", "body", "maxLength"): MAX_BODY,
        ("NoteRequest", "properties", "body", "maxLength"): MAX_NOTE,
        ("TransferRequest", "properties", "note", "maxLength"): MAX_NOTE,
        ("BlockRequest", "properties", "hours", "enum"): [*HOURS, None],
        ("RevealRequest", "properties", "reason", "minLength"): MIN_REASON,
        ("RevealRequest", "properties", "reason", "maxLength"): MAX_REASON,
        ("RevealRequest", "properties", "reason", "description"): "why you need the number; "
        f"at least {MIN_REASON} characters besides surrounding spaces. Kept in the audit "
        "log: do not write the number.",
        ("AuditAction", "enum"): sorted(ACTIONS),
        **_wrapup_choices(),
        ("FlagRequest", "properties", "label", "maxLength"): flags.MAX_LABEL,
        ("FlagRequest", "properties", "label", "examples"): list(flags.CHOICES),
        ("History", "properties", "conversations", "maxItems"): history.SHOWN,
        ("StatsFormat", "enum"): list(export.FORMATS),
        ("StatsShape", "enum"): list(export.SHAPES),
        ("StatsGrain", "enum"): list(export.GRAINS),
    }


def _wrapup_choices() -> dict[tuple[str, ...], Any]:
    """The wrap-up's fixed lists; platforms are the helpline's own, so not listed here."""
    lists = {
        "contact_type": wrapup_lists.CONTACT_TYPES,
        "money_demanded": wrapup_lists.MONEY,
        "money_paid": wrapup_lists.MONEY,
        "images_shared": wrapup_lists.YES_NO,
        "deadline_given": wrapup_lists.YES_NO,
        "age_band": wrapup_lists.AGE_BANDS,
        "gender": wrapup_lists.GENDERS,
    }
    at = ("WrapUpRequest", "properties")
    values: dict[tuple[str, ...], Any] = {(*at, name, "enum"): list(v) for name, v in lists.items()}
    values[(*at, "categories", "items", "enum")] = list(wrapup_lists.CATEGORIES)
    values[(*at, "categories", "maxItems")] = wrapup_lists.MAX_CATEGORIES
    values[(*at, "referrals", "items", "enum")] = list(wrapup_lists.REFERRALS)
    values[(*at, "summary", "maxLength")] = wrapup_lists.MAX_SUMMARY
    return values


def _load() -> dict[str, Any]:
    """Read the document and write in what the code decides; refuse a file that disagrees."""
    document: dict[str, Any] = json.loads(
        files(__package__).joinpath(FILE).read_text(encoding="utf-8")
    )
    schemas = document["components"]["schemas"]
    for path, value in _from_code().items():
        parent = schemas
        for key in path[:-1]:
            parent = parent[key]
        # Null marks each place a value comes from the code; a value written in the file
        # there would be silently replaced, so it is refused instead.
        if parent.get(path[-1], ...) is not None:
            raise ValueError(f"{FILE}: {'/'.join(path)} must be null, it comes from the code")
        parent[path[-1]] = value
    return document


DOCUMENT: dict[str, Any] = _load()
