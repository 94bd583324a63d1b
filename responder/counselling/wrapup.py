"""The wrap-up a counsellor writes when closing: what the contact was about, in plain words.

Every answer but the summary is a choice from a fixed list, so the helpline's figures
add up; each choice is counted anonymously when the conversation closes. The summary
is free text about one texter: it is never counted, and retention deletes it with the
messages. Functions take a Session and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from responder.bot.content import Content
from responder.errors import InvalidFields
from responder.store import counts
from responder.store.casework import WrapUp
from responder.store.models import Conversation

# Contact types after Child Helpline International's data framework.
CONTACT_TYPES = {
    "about_self": "Counselling: about themselves",
    "about_other": "Counselling: about another child",
    "information": "Not counselling: wanted information",
    "silent": "Not counselling: silent",
    "prank_or_abusive": "Not counselling: prank or abusive",
    "thanks": "Not counselling: to say thanks",
}
COUNSELLING = frozenset({"about_self", "about_other"})


@dataclass(frozen=True)
class Category:
    """A category as counsellors choose it, and the contact category it is counted under."""

    id: str
    words: str
    code: str  # one of handoff.CATEGORIES, which the closed counts have always used
    tag: str | None = None  # a local tag kept beside it, as handoff.LOCAL_TAGS names them


# Grouped as the form shows them. Sextortion sits under online sexual exploitation and
# abuse, as CHI files it, and keeps its own tag so it can still be counted apart.
CATEGORY_GROUPS: tuple[tuple[str, tuple[Category, ...]], ...] = (
    (
        "Online sexual exploitation and abuse",
        (
            Category(
                "sextortion",
                "Sextortion: threatened with sharing sexual images",
                "violence/online_sexual_exploitation",
                "sextortion",
            ),
            Category(
                "online_sexual_exploitation",
                "Other online sexual exploitation",
                "violence/online_sexual_exploitation",
            ),
            Category("online_sexual_abuse", "Online sexual abuse", "violence/online_sexual_abuse"),
            Category(
                "information_seeking_ose",
                "Wanted to know about online sexual exploitation",
                "violence/information_seeking_ose",
            ),
        ),
    ),
    (
        "Mental health",
        (
            Category("suicidal_thoughts", "Thoughts of suicide", "mental_health/suicidal_thoughts"),
            Category("self_harm", "Self-harm", "mental_health/self_harm"),
            Category(
                "emotional_distress", "Emotional distress", "mental_health/emotional_distress"
            ),
        ),
    ),
    (
        "Not counselling",
        (
            Category("questions", "Questions or information", "non_counselling/questions"),
            Category(
                "thanks_or_complaint",
                "Thanks or a complaint",
                "non_counselling/thanks_or_complaint",
            ),
        ),
    ),
    (
        "Adults (18 or over)",
        (
            Category("adult_sextortion", "An adult's sextortion", "adult/sextortion", "sextortion"),
            Category("adult_info", "An adult wanting information", "adult/info"),
            Category("adult_crisis", "An adult in crisis", "adult/crisis"),
            Category("adult_non_counselling", "An adult, not counselling", "adult/non_counselling"),
        ),
    ),
    ("Age not known", (Category("age_unknown", "Age not known", "age_unknown"),)),
)
CATEGORIES = {c.id: c for _, group in CATEGORY_GROUPS for c in group}
SEXTORTION = frozenset({"sextortion", "adult_sextortion"})
MAX_CATEGORIES = 3
# A non-counselling contact may have no category; these are counted under its type.
TYPE_CODES = {
    "information": "non_counselling/questions",
    "thanks": "non_counselling/thanks_or_complaint",
}

MONEY = {
    "none": "None",
    "under_100": "Under 100 USD",
    "100_to_1000": "100 to 1,000 USD",
    "over_1000": "More than 1,000 USD",
    "unknown": "Not known",
}
YES_NO = {"yes": "Yes", "no": "No", "unknown": "Not known"}
REFERRALS = {
    "take_it_down": "Take It Down",
    "stopncii": "StopNCII",
    "report_remove": "Report Remove",
    "police": "The police",
    "platform_report": "The platform's own report",
    "local_service": "A local service",
}
AGE_BANDS = {
    "under_13": "Under 13",
    "13_to_15": "13 to 15",
    "16_to_17": "16 or 17",
    "18_to_24": "18 to 24",
    "25_or_over": "25 or over",
    "not_given": "Not given",
}
GENDERS = {
    "girl_or_woman": "Girl or woman",
    "boy_or_man": "Boy or man",
    "non_binary": "Non-binary",
    "another_way": "Described another way",
    "not_given": "Not given",
}
MAX_SUMMARY = 1000

# The questions, in the order the form asks them and errors are listed.
QUESTIONS = {
    "contact_type": "Type of contact",
    "categories": "Categories",
    "first_contact_platform": "Where the first contact happened",
    "threat_platform": "Where the threat came from",
    "money_demanded": "Money demanded",
    "money_paid": "Money paid",
    "images_shared": "Images already shared onward",
    "deadline_given": "A deadline given",
    "referrals": "Referrals offered",
    "age_band": "Age, as the texter gave it",
    "gender": "Gender, as the texter gave it",
    "summary": "Summary",
}
INCIDENT = (
    "first_contact_platform",
    "threat_platform",
    "money_demanded",
    "money_paid",
    "images_shared",
    "deadline_given",
)
# Each answer's count; the summary has none, being about one texter.
METRICS = {
    "contact_type": "wrapup_contact_type",
    "first_contact_platform": "wrapup_first_contact",
    "threat_platform": "wrapup_threat_from",
    "money_demanded": "wrapup_money_demanded",
    "money_paid": "wrapup_money_paid",
    "images_shared": "wrapup_images_shared",
    "deadline_given": "wrapup_deadline",
    "age_band": "wrapup_age_band",
    "gender": "wrapup_gender",
}


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
    category_groups: tuple[tuple[str, tuple[Category, ...]], ...]
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
    """Check a wrap-up; raise InvalidFields naming, in words, every field that is wrong."""
    answers = choices(content)
    problems: dict[str, str] = {}
    unknown = sorted(set(raw) - set(QUESTIONS))
    for name in unknown:
        problems[name] = "not a question the wrap-up asks."
    chosen: dict[str, str | None] = {}
    for name in ("contact_type", *INCIDENT, "age_band", "gender"):
        chosen[name] = _one(raw.get(name), answers[name], name, problems)
    categories = _several(raw.get("categories"), CATEGORIES, "categories", problems)
    if len(categories) > MAX_CATEGORIES:
        problems["categories"] = f"choose at most {MAX_CATEGORIES}."
    elif not categories and chosen["contact_type"] in COUNSELLING:
        problems["categories"] = "choose at least one for a counselling contact."
    sextortion = bool(SEXTORTION & set(categories))
    for name in INCIDENT:
        if sextortion and chosen[name] is None and name not in problems:
            problems[name] = "answer this for a sextortion contact (Not known is an answer)."
        elif not sextortion and chosen[name] is not None:
            problems[name] = "only asked when a sextortion category is chosen."
    for name in ("contact_type", "age_band", "gender"):
        if chosen[name] is None and name not in problems:
            problems[name] = "choose one."
    referrals = _several(raw.get("referrals"), REFERRALS, "referrals", problems)
    summary = _summary(raw.get("summary"), problems)
    if problems:
        raise InvalidFields(
            {name: f"{QUESTIONS.get(name, name)}: {message}" for name, message in problems.items()}
        )
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
    value: object, allowed: Mapping[str, str], name: str, problems: dict[str, str]
) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        problems[name] = "choose one of: " + ", ".join(allowed.values()) + "."
        return None
    return value


def _several(
    value: object, allowed: Mapping[str, Any], name: str, problems: dict[str, str]
) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems[name] = "send a list of choices."
        return ()
    unknown = [v for v in value if v not in allowed]
    if unknown:
        problems[name] = "not a choice here: " + ", ".join(unknown[:3]) + "."
        return ()
    return tuple(dict.fromkeys(value))


def _summary(value: object, problems: dict[str, str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems["summary"] = "write it as text."
        return None
    if len(value) > MAX_SUMMARY:
        problems["summary"] = f"it has {len(value)} characters; the most is {MAX_SUMMARY}."
        return None
    # PostgreSQL text cannot hold NUL and UTF-8 cannot encode a lone surrogate.
    try:
        value.encode()
    except UnicodeEncodeError:
        value = "\x00"
    if "\x00" in value:
        problems["summary"] = "it holds a character that cannot be kept."
        return None
    return value.strip() or None
