"""The wrap-up in the counsellor's language: its answers and problems, by code, from the catalogue.

The wrap-up's own module keeps codes (and the English the API speaks); the console says
each code through its catalogue phrase, `wrapup.category.sextortion`. Platform names are
the helpline's own, from its content, and are shown as they are written there.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from responder import services
from responder.bot.content import Content
from responder.counselling import handoff, wrapup
from responder.store.casework import WrapUp
from responder.store.db import get_session
from responder.store.models import Conversation
from responder.web.console import bp
from responder.web.console.words import catalogues, language, say

# The catalogue table each question's answers are in.
TABLES = {
    "contact_type": "contact_type",
    "categories": "category",
    "money_demanded": "money",
    "money_paid": "money",
    "images_shared": "yes_no",
    "deadline_given": "yes_no",
    "referrals": "referral",
    "age_band": "age_band",
    "gender": "gender",
}
PLATFORMS = frozenset({"first_contact_platform", "threat_platform"})


@bp.app_template_filter("console_wrapup_answer")
def answer(code: str, question: str) -> str:
    """One answer in words; a code no longer offered is shown as it is, as the API does."""
    if question in PLATFORMS:
        names = {platform.id: platform.name for platform in services.of().content.platforms}
        return names.get(code, code)
    key = f"wrapup.{TABLES.get(question, question)}.{code}"
    return say(key) if key in catalogues()[language()] else code


@bp.app_template_filter("console_category")
def category_words(category: str) -> str:
    """A category in words, in the page's language: a wrap-up's, or an older one's.

    Conversations closed before the wrap-up carry the API's codes such as
    "violence/online_sexual_abuse" (phrase `legacy_category.violence.online_sexual_abuse`);
    a code no catalogue has reads from its own words ("Violence: online sexual abuse").
    """
    words = catalogues()[language()]
    for key in (f"wrapup.category.{category}", f"legacy_category.{category.replace('/', '.')}"):
        if key in words:
            return say(key)
    group, _, kind = category.partition("/")
    label = group.replace("_", " ").capitalize()
    return f"{label}: {kind.replace('_', ' ')}" if kind else label


@bp.app_template_global("console_wrapup")
def stored(conversation_id: int) -> WrapUp | None:
    """The closed conversation's wrap-up as codes, for closed.html to say in words."""
    # The conversation's view has just read it, so the session already holds it.
    return get_session().get(WrapUp, conversation_id)


@bp.app_template_global("console_survey_withheld")
def survey_withheld(conversation_id: int) -> str | None:
    """Why closing would send the texter nothing, not even the survey: the confirm step says so."""
    conversation = get_session().get(Conversation, conversation_id)
    if conversation is None or conversation.contact is None:
        return None
    return handoff.survey_withheld(conversation.contact, datetime.now(UTC))


def problems(unaccepted: wrapup.Unaccepted, content: Content) -> dict[str, str]:
    """Each wrong answer's problem in words, after its question, as the form shows it."""
    answers = wrapup.choices(content)
    return {
        name: say(
            "script.wrapup.problem.at",
            question=_question(name),
            problem=_problem(name, problem, answers.get(name, {})),
        )
        for name, problem in unaccepted.problems.items()
    }


def _question(name: str) -> str:
    key = f"wrapup.question.{name}"
    return say(key) if key in catalogues()[language()] else name


def _problem(name: str, problem: wrapup.Problem, offered: Mapping[str, str]) -> str:
    values = dict(problem.values)
    if problem.reason == "choose_one_of":
        values["choices"] = ", ".join(answer(code, name) for code in offered)
    return say(f"script.wrapup.problem.{problem.reason}", **values)
