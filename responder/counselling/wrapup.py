"""The wrap-up a counsellor writes when closing: what the contact was about, in plain words.

Every answer but the summary is a choice from a fixed list, so the helpline's figures
add up; each choice is counted anonymously when the conversation closes. The summary
is free text about one texter: it is never counted, and retention deletes it with the
messages. Closing itself is here too (mark_closed), the one step every way of closing
takes. Functions take a Session and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from responder.bot.content import Content
from responder.counselling.wrapup_lists import (
    AGE_BANDS,
    CATEGORIES,
    CATEGORY_GROUPS,
    CONTACT_TYPES,
    COUNSELLING,
    GENDERS,
    INCIDENT,
    MAX_CATEGORIES,
    MAX_SUMMARY,
    METRICS,
    MONEY,
    PROBLEMS,
    QUESTIONS,
    REFERRALS,
    SEXTORTION,
    TYPE_CODES,
    YES_NO,
    CategoryGroup,
)
from responder.errors import InvalidFields
from responder.store import counts, events
from responder.store.casework import WrapUp
from responder.store.models import Conversation, Counsellor


@dataclass(frozen=True)
class Problem:
    """Why one answer was not accepted: a code of PROBLEMS and what fills its placeholders.

    choose_one_of's {choices} are the question's answers, which each reader fills in
    in its own language.
    """

    reason: str
    values: Mapping[str, object] = field(default_factory=dict)


class Unaccepted(InvalidFields):
    """A wrap-up with wrong answers: problems by code for the console, fields in English."""

    def __init__(self, problems: dict[str, Problem], answers: Mapping[str, Mapping[str, str]]):
        super().__init__(
            {
                name: f"{QUESTIONS.get(name, name)}: {in_english(problem, answers.get(name, {}))}"
                for name, problem in problems.items()
            }
        )
        self.problems = problems


def in_english(problem: Problem, answers: Mapping[str, str]) -> str:
    """A problem in the English the API speaks."""
    values = dict(problem.values)
    if problem.reason == "choose_one_of":
        values["choices"] = ", ".join(answers.values())
    return PROBLEMS[problem.reason].format_map(values)


@dataclass(frozen=True)
class Filled:
    """A wrap-up that passed every check, as codes, ready to store."""

    contact_type: str
    categories: tuple[str, ...]
    incident: Mapping[str, str | None]
    referrals: tuple[str, ...]
    age_band: str
    gender: str
    summary: str | None

    @property
    def category(self) -> str | None:
        """The contact category the conversation is counted under: the first one chosen."""
        if self.categories:
            return CATEGORIES[self.categories[0]].code
        return TYPE_CODES.get(self.contact_type)

    @property
    def secondary(self) -> tuple[str, ...]:
        """The other categories' codes and every local tag, each once."""
        chosen = [CATEGORIES[c] for c in self.categories]
        later = [c.code for c in chosen[1:]] + [c.tag for c in chosen if c.tag]
        return tuple(dict.fromkeys(code for code in later if code != self.category))


@dataclass(frozen=True)
class WrapUpView:
    """A wrap-up in words, as the conversation's page and the API show it."""

    contact_type: str
    categories: tuple[str, ...]
    first_contact_platform: str | None
    threat_platform: str | None
    money_demanded: str | None
    money_paid: str | None
    images_shared: str | None
    deadline_given: str | None
    referrals: tuple[str, ...]
    age_band: str | None
    gender: str | None
    summary: str | None  # None when there was none, or retention has deleted it
    written_at: datetime


@dataclass(frozen=True)
class Form:
    """What the wrap-up form offers: the questions in words, their choices, categories by group."""

    questions: Mapping[str, str]
    choices: Mapping[str, Mapping[str, str]]
    category_groups: tuple[CategoryGroup, ...]
    referrals: Mapping[str, str]
    sextortion: frozenset[str]
    incident: tuple[str, ...]
    max_categories: int = MAX_CATEGORIES
    max_summary: int = MAX_SUMMARY


def form(content: Content) -> Form:
    """Describe the wrap-up form with the helpline's own platform list."""
    return Form(QUESTIONS, choices(content), CATEGORY_GROUPS, REFERRALS, SEXTORTION, INCIDENT)


def choices(content: Content) -> dict[str, dict[str, str]]:
    """Every single-choice question's answers, code to words."""
    platforms = {p.id: p.name for p in content.platforms}
    return {
        "contact_type": CONTACT_TYPES,
        "first_contact_platform": platforms,
        "threat_platform": platforms,
        "money_demanded": MONEY,
        "money_paid": MONEY,
        "images_shared": YES_NO,
        "deadline_given": YES_NO,
        "age_band": AGE_BANDS,
        "gender": GENDERS,
    }


def validate(raw: Mapping[str, Any], content: Content) -> Filled:
    """Check a wrap-up; raise Unaccepted naming every field that is wrong, and why."""
    answers = choices(content)
    problems: dict[str, Problem] = {}
    for name in sorted(set(raw) - set(QUESTIONS)):
        problems[name] = Problem("not_asked")
    chosen: dict[str, str | None] = {}
    for name in ("contact_type", *INCIDENT, "age_band", "gender"):
        chosen[name] = _one(raw.get(name), answers[name], name, problems)
    categories = _several(raw.get("categories"), CATEGORIES, "categories", problems)
    if len(categories) > MAX_CATEGORIES:
        problems["categories"] = Problem("too_many", {"most": MAX_CATEGORIES})
    elif not categories and chosen["contact_type"] in COUNSELLING:
        problems["categories"] = Problem("none_for_counselling")
    sextortion = bool(SEXTORTION & set(categories))
    for name in INCIDENT:
        if sextortion and chosen[name] is None and name not in problems:
            problems[name] = Problem("sextortion_unanswered")
        elif not sextortion and chosen[name] is not None:
            problems[name] = Problem("only_for_sextortion")
    for name in ("contact_type", "age_band", "gender"):
        if chosen[name] is None and name not in problems:
            problems[name] = Problem("choose_one")
    referrals = _several(raw.get("referrals"), REFERRALS, "referrals", problems)
    summary = _summary(raw.get("summary"), problems)
    if problems:
        raise Unaccepted(problems, answers)
    return Filled(
        contact_type=str(chosen["contact_type"]),
        categories=categories,
        incident={name: chosen[name] for name in INCIDENT},
        referrals=referrals,
        age_band=str(chosen["age_band"]),
        gender=str(chosen["gender"]),
        summary=summary,
    )


def record(session: Session, conversation: Conversation, filled: Filled, now: datetime) -> WrapUp:
    """Keep the wrap-up with the conversation and count each answer, never the summary."""
    wrapup = WrapUp(
        conversation_id=conversation.id,
        contact_type=filled.contact_type,
        categories=list(filled.categories),
        referrals=list(filled.referrals),
        age_band=filled.age_band,
        gender=filled.gender,
        summary=filled.summary,
        written_at=now,
        **filled.incident,
    )
    session.add(wrapup)
    for name, metric in METRICS.items():
        value = getattr(wrapup, name)
        if value is not None:
            counts.add(session, now, metric, conversation=conversation, detail=value)
    for category in filled.categories:
        counts.add(session, now, "wrapup_category", conversation=conversation, detail=category)
    for referral in filled.referrals:
        counts.add(session, now, "wrapup_referral", conversation=conversation, detail=referral)
    return wrapup


def describe(wrapup: WrapUp | None, content: Content) -> WrapUpView | None:
    """Put a stored wrap-up in words; a code no longer offered is shown as it is."""
    if wrapup is None:
        return None
    answers = choices(content)

    def words(name: str) -> str | None:
        value = getattr(wrapup, name)
        return None if value is None else answers[name].get(value, value)

    return WrapUpView(
        contact_type=CONTACT_TYPES.get(wrapup.contact_type, wrapup.contact_type),
        categories=tuple(CATEGORIES[c].words if c in CATEGORIES else c for c in wrapup.categories),
        first_contact_platform=words("first_contact_platform"),
        threat_platform=words("threat_platform"),
        money_demanded=words("money_demanded"),
        money_paid=words("money_paid"),
        images_shared=words("images_shared"),
        deadline_given=words("deadline_given"),
        referrals=tuple(REFERRALS.get(r, r) for r in wrapup.referrals or ()),
        age_band=words("age_band"),
        gender=words("gender"),
        summary=wrapup.summary,
        written_at=wrapup.written_at,
    )


def _one(
    value: object, allowed: Mapping[str, str], name: str, problems: dict[str, Problem]
) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        problems[name] = Problem("choose_one_of")
        return None
    return value


def _several(
    value: object, allowed: Mapping[str, Any], name: str, problems: dict[str, Problem]
) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems[name] = Problem("send_a_list")
        return ()
    unknown = [v for v in value if v not in allowed]
    if unknown:
        problems[name] = Problem("not_a_choice", {"choices": ", ".join(unknown[:3])})
        return ()
    return tuple(dict.fromkeys(value))


def _summary(value: object, problems: dict[str, Problem]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems["summary"] = Problem("not_text")
        return None
    if len(value) > MAX_SUMMARY:
        problems["summary"] = Problem("too_long", {"length": len(value), "most": MAX_SUMMARY})
        return None
    # PostgreSQL text cannot hold NUL and UTF-8 cannot encode a lone surrogate.
    try:
        value.encode()
    except UnicodeEncodeError:
        value = "\x00"
    if "\x00" in value:
        problems["summary"] = Problem("bad_character")
        return None
    return value.strip() or None


def mark_closed(
    session: Session,
    conversation: Conversation,
    actor: Counsellor,
    category: str | None,
    secondary: Sequence[str],
    filled: Filled | None,
    now: datetime,
) -> None:
    """Close the conversation as actor, with its categories and wrap-up, and count it.

    The one way a conversation is closed, whether from its page or with a flood.
    """
    conversation.state, conversation.closed_at = "closed", now
    conversation.closed_by_id = actor.id
    conversation.category = category
    conversation.secondary = list(dict.fromkeys(secondary))
    events.record(session, "closed", now, conversation, actor.id)
    counts.add(session, now, "closed", conversation=conversation, detail=category)
    if filled is not None:
        record(session, conversation, filled, now)
