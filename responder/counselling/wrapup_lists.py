"""The wrap-up's questions and answers as codes, with the English words the API shows.

The codes are what is stored and counted, and what the console's catalogues are keyed by
(`wrapup.category.sextortion`): the console shows every answer in the counsellor's
language from there. The English words here are the API's, which always speaks English;
a test keeps them the same as the English catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class CategoryGroup:
    """A heading of the category list, as the form groups the categories under it."""

    id: str
    words: str
    categories: tuple[Category, ...]


# Grouped as the form shows them. Sextortion sits under online sexual exploitation and
# abuse, as CHI files it, and keeps its own tag so it can still be counted apart.
CATEGORY_GROUPS: tuple[CategoryGroup, ...] = (
    CategoryGroup(
        "online_sexual",
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
    CategoryGroup(
        "mental_health",
        "Mental health",
        (
            Category("suicidal_thoughts", "Thoughts of suicide", "mental_health/suicidal_thoughts"),
            Category("self_harm", "Self-harm", "mental_health/self_harm"),
            Category(
                "emotional_distress", "Emotional distress", "mental_health/emotional_distress"
            ),
        ),
    ),
    CategoryGroup(
        "not_counselling",
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
    CategoryGroup(
        "adults",
        "Adults (18 or over)",
        (
            Category("adult_sextortion", "An adult's sextortion", "adult/sextortion", "sextortion"),
            Category("adult_info", "An adult wanting information", "adult/info"),
            Category("adult_crisis", "An adult in crisis", "adult/crisis"),
            Category("adult_non_counselling", "An adult, not counselling", "adult/non_counselling"),
        ),
    ),
    CategoryGroup(
        "age_unknown", "Age not known", (Category("age_unknown", "Age not known", "age_unknown"),)
    ),
)
CATEGORIES = {c.id: c for group in CATEGORY_GROUPS for c in group.categories}
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


# Why an answer was not accepted, by code; {placeholders} are filled in where it is said.
PROBLEMS = {
    "not_asked": "not a question the wrap-up asks.",
    "too_many": "choose at most {most}.",
    "none_for_counselling": "choose at least one for a counselling contact.",
    "sextortion_unanswered": "answer this for a sextortion contact (Not known is an answer).",
    "only_for_sextortion": "only asked when a sextortion category is chosen.",
    "choose_one": "choose one.",
    "choose_one_of": "choose one of: {choices}.",
    "send_a_list": "send a list of choices.",
    "not_a_choice": "not a choice here: {choices}.",
    "not_text": "write it as text.",
    "too_long": "it has {length} characters; the most is {most}.",
    "bad_character": "it holds a character that cannot be kept.",
}
