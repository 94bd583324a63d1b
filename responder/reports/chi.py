"""A period's summary in the shape of Child Helpline International's annual data collection.

CHI asks member helplines for their contacts by type of contact, then for the counselling
contacts by category, age and gender. The wrap-up a counsellor writes on closing asks the
same questions with CHI's own lists, and each answer is counted anonymously, so the
summary is a sum of those counts and needs nothing else.

The counts keep each answer apart, not the wrap-ups they came from, so categories, ages
and genders cannot be narrowed to counselling contacts afterwards: they cover every
wrapped-up contact (the not-counselling ones mostly fall in their own category group).
A contact may have up to three categories, so that section adds up to categories chosen,
not contacts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from responder.counselling.wrapup_lists import (
    AGE_BANDS,
    CATEGORIES,
    CONTACT_TYPES,
    COUNSELLING,
    GENDERS,
)
from responder.reports.figures import Figure, Period, totals


@dataclass(frozen=True)
class Line:
    """One answer and how many times it was given; true counts, hidden only when written out."""

    code: str
    label: str
    count: int


@dataclass(frozen=True)
class Section:
    """One question of the summary, every answer listed (0 included) and their total."""

    name: str
    title: str
    lines: tuple[Line, ...]
    additive: bool = True

    @property
    def total(self) -> int | None:
        """The lines' sum, or None where lines overlap and a sum would mean nothing."""
        return sum(line.count for line in self.lines) if self.additive else None


@dataclass(frozen=True)
class Summary:
    period: Period
    sections: tuple[Section, ...]


# Each wrap-up question the summary reports: its count's metric, title and answers.
QUESTIONS: tuple[tuple[str, str, str, Mapping[str, str]], ...] = (
    ("contact_type", "wrapup_contact_type", "Contacts by type of contact", CONTACT_TYPES),
    (
        "category",
        "wrapup_category",
        "Categories chosen (a contact may have up to three)",
        {code: category.words for code, category in CATEGORIES.items()},
    ),
    ("age_band", "wrapup_age_band", "Wrapped-up contacts by age", AGE_BANDS),
    ("gender", "wrapup_gender", "Wrapped-up contacts by gender", GENDERS),
)


def summary(within: Period, figures: Sequence[Figure]) -> Summary:
    """Sum the period's figures into CHI's questions."""
    summed = totals(figures)
    sections = [_contacts(summed)]
    for name, metric, title, answers in QUESTIONS:
        sections.append(Section(name, title, _lines(summed, metric, answers)))
    return Summary(within, tuple(sections))


def _contacts(summed: Counter[tuple[str, str]]) -> Section:
    """Every contact the helpline had, those wrapped up, and the counselling ones among them."""
    types = {code: n for (metric, code), n in summed.items() if metric == "wrapup_contact_type"}
    lines = (
        Line("started", "Conversations started", summed["contacts", ""]),
        Line("wrapped_up", "Wrapped up by a counsellor", sum(types.values())),
        Line("counselling", "Counselling contacts", sum(types.get(c, 0) for c in COUNSELLING)),
    )
    # Counselling contacts are among those wrapped up, which are among those started:
    # adding the lines up would count contacts twice, so this section has no total.
    return Section("contacts", "Contacts", lines, additive=False)


def _lines(
    summed: Counter[tuple[str, str]], metric: str, answers: Mapping[str, str]
) -> tuple[Line, ...]:
    """Every answer offered, in the form's order, then any code no longer offered."""
    lines = [Line(code, label, summed[metric, code]) for code, label in answers.items()]
    retired = sorted(
        code for (counted, code), n in summed.items() if counted == metric and code not in answers
    )
    return tuple(lines + [Line(code, code, summed[metric, code]) for code in retired])
