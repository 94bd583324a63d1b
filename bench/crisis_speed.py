"""How long crisis detection takes per message, with the shipped English and French lists.

Every inbound message meets every list before anything else happens, so detection sits
on the path of each reply. Prints microseconds per message: the best of several rounds,
since the best is the figure least disturbed by whatever else the machine is doing.

    .venv/bin/python -m bench.crisis_speed
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from responder.bot.crisis import detect
from responder.bot.crisis_lists import CrisisList

CONTENT = Path(__file__).parent.parent / "content"
LANGUAGES = ("en", "fr")

# About 40 characters each: what texters send most, in both languages, ordinary and not.
TYPICAL = (
    "hi i need help someone has my pictures",
    "he says he'll send them to my friends",
    "can i talk to a person please, its urgent",
    "i paid him 50 and he wants more now help",
    "what do i do if they post it online???",
    "im 15 and i dont know what to do anymore",
    "my life is over if my parents see this",
    "i want to kill myslef i cant do this",
    "bonjour j'ai besoin d'aide svp c'est grave",
    "il dit qu'il va tout envoyer à mes potes",
    "j'ai 14 ans et j'ai peur de mes parents",
    "je veux mourrir tout le monde va voir",
    "comment je fais pour bloquer ce compte",
    "jsp quoi faire jpp de cette situation",
    "ok merci beaucoup pour votre aide !!",
    "3",
)
# Realistic long text with marks inside words, so each reading is walked to its end.
SENTENCE = (
    "I met someone on insta who said she was my age, we talked for weeks and I sent "
    "pictures. Now he's asking for money, says he'll share them with my school. "
)
LONG_ORDINARY = (SENTENCE * (1600 // len(SENTENCE) + 1))[:1600]
LONG_CRISIS_AT_END = LONG_ORDINARY[:1580] + " i want to die"


def per_message(texts: Sequence[str], lists: tuple[CrisisList, ...], rounds: int) -> float:
    """Return the best round's microseconds per message."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for text in texts:
            detect(text, lists)
        best = min(best, (time.perf_counter() - start) / len(texts))
    return best * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="rounds; the best one counts")
    options = parser.parse_args(argv)
    lists = tuple(CrisisList.load(CONTENT / code / "crisis.toml") for code in LANGUAGES)
    cases = {
        f"typical, {sum(map(len, TYPICAL)) // len(TYPICAL)} characters on average": TYPICAL * 50,
        f"long ordinary, {len(LONG_ORDINARY)} characters": (LONG_ORDINARY,) * 20,
        f"long, crisis words at the end, {len(LONG_CRISIS_AT_END)} characters": (
            LONG_CRISIS_AT_END,
        )
        * 20,
    }
    terms = sum(len(crisis_list.terms) for crisis_list in lists)
    print(f"crisis detection, {terms} entries in {len(lists)} lists")
    for name, texts in cases.items():
        print(f"  {name}: {per_message(texts, lists, options.rounds):,.0f} µs per message")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
