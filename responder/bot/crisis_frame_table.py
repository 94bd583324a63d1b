"""Read and check the [frames] table of a crisis list, which clinicians edit.

[frames.concepts] names ideas by their words ("die = ["die", "dying", "not exist"]"),
[frames.t1] and [frames.t2] hold rules joining two or three concepts ("want + die"), and
[frames.guards] phrases that keep a sentence's frames quiet, and [frames.between] words
that keep two concepts of a rule apart when they lie between them. How they match is in
responder.bot.crisis_frames. Every problem names where it sits and what to write instead,
since the people who edit the lists are not programmers.
"""

from __future__ import annotations

import re

from responder.bot.crisis_entries import Tier
from responder.bot.crisis_frames import BETWEEN, GUARD, NO_FRAMES, Frames, Phrase, Rule, index
from responder.bot.crisis_text import fold
from responder.bot.problems import Problem, named_lists

FRAMES = "frames"
CONCEPTS = "concepts"
GUARDS = "guards"
APART = "between"
RULE_TIERS = {"t1": Tier.T1, "t2": Tier.T2}
# A word of a concept or guard: letters or digits, or a stem of at least three letters
# and a "*" ("kill*"); fewer letters would stand for too many words ("di*": "dinner").
WORD = re.compile(r"^(?:[a-z0-9]+|[a-z]{3,}\*)$")
# A rule joins this many concepts at most: more would rarely all sit close together.
MOST_CONCEPTS = 3
JOINS = {"+": False, ">": True}  # "+": either order; ">": in the order written


def read(file: str, table: object, problems: list[Problem]) -> Frames:
    """Read a list's [frames] table, adding its problems; a list may have none."""
    if table is None:
        return NO_FRAMES
    if not isinstance(table, dict):
        problems.append(Problem(file, FRAMES, "needs tables: [frames.concepts], [frames.t1]"))
        return NO_FRAMES
    for name in sorted(set(table) - {CONCEPTS, GUARDS, APART, *RULE_TIERS}):
        problems.append(
            Problem(
                file,
                f"{FRAMES}.{name}",
                "is not a frames table; use [frames.concepts], [frames.t1], [frames.t2], "
                "[frames.guards] and [frames.between]",
            )
        )
    phrases = _phrases(file, CONCEPTS, table.get(CONCEPTS), problems, None)
    concepts = {phrase.concept for phrase in phrases}
    phrases += _phrases(file, GUARDS, table.get(GUARDS), problems, GUARD)
    phrases += _phrases(file, APART, table.get(APART), problems, BETWEEN)
    rules: list[Rule] = []
    for name, tier in RULE_TIERS.items():
        rules += _rules(file, name, table.get(name), tier, concepts, problems)
    if concepts and not rules:
        rule = '[frames.t1] name = ["a + b"]'
        problems.append(Problem(file, FRAMES, f"has concepts but no rule, like {rule}"))
    return index(phrases, tuple(rules))


def _lists(
    file: str, name: str, table: object, problems: list[Problem]
) -> list[tuple[str, str, list[str]]]:
    """Return a frames table's named lists of texts, with where each sits."""
    where = f"{FRAMES}.{name}"
    if table is None:
        return []
    if not isinstance(table, dict):
        problems.append(Problem(file, where, f'needs lists, like [{where}] name = ["..."]'))
        return []
    return list(named_lists(file, where, table, problems))


def _phrases(
    file: str, name: str, table: object, problems: list[Problem], concept: str | None
) -> list[Phrase]:
    """Read [frames.concepts] (each list a concept, concept None), [frames.guards] or
    [frames.between] (lists all indexed under the one concept given)."""
    phrases: list[Phrase] = []
    for key, at, values in _lists(file, name, table, problems):
        seen: set[tuple[str, ...]] = set()
        for text in values:
            parts = tuple(text.split())
            wrong = _wrong_phrase(text, parts)
            if wrong:
                problems.append(Problem(file, at, wrong))
            elif parts in seen:
                problems.append(Problem(file, at, f'"{text}" is listed twice', warning=True))
            else:
                seen.add(parts)
                phrases.append(Phrase(parts, key if concept is None else concept))
    return phrases


def _wrong_phrase(text: str, parts: tuple[str, ...]) -> str | None:
    """Say what is wrong with a word or phrase of a concept or guard, or return None."""
    if not parts:
        return "has an empty entry"
    if fold(text) != text:
        return f'"{text}": write words in lower case without accents: "{fold(text)}"'
    for part in parts:
        if not WORD.match(part):
            return (
                f'"{text}": "{part}" should be letters or digits only, without marks '
                '("dont", "im"); a "*" goes at the end of a word of 3 letters or more, '
                'for every word it starts ("kill*")'
            )
    return None


def _rules(
    file: str,
    name: str,
    table: object,
    tier: Tier,
    concepts: set[str],
    problems: list[Problem],
) -> list[Rule]:
    """Read [frames.t1] or [frames.t2]: lists of rules like "want + die" or "life > ruined"."""
    rules: list[Rule] = []
    for _, at, values in _lists(file, name, table, problems):
        for text in values:
            rule = _rule(text, at, tier, concepts)
            if isinstance(rule, str):
                problems.append(Problem(file, at, rule))
            else:
                rules.append(rule)
    return rules


def _rule(text: str, where: str, tier: Tier, concepts: set[str]) -> Rule | str:
    """Read one rule, or say what is wrong with it."""
    tokens = text.split()
    names, joins = tokens[::2], set(tokens[1::2])
    example = 'write concepts joined by " + " (either order) or " > " (in this order)'
    if len(tokens) % 2 == 0 or not joins or not joins <= set(JOINS) or len(joins) > 1:
        return f'"{text}": {example}, like "want + die"; one kind of join per rule'
    if len(names) > MOST_CONCEPTS:
        return f'"{text}": a rule joins {MOST_CONCEPTS} concepts at most'
    unknown = [n for n in names if n not in concepts]
    if unknown:
        return f'"{text}": {", ".join(unknown)} is not in [frames.concepts]'
    if len(set(names)) < len(names):
        return f'"{text}": names a concept twice'
    return Rule(text, where, tier, tuple(names), JOINS[joins.pop()])
