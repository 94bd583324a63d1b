"""Crisis frames: ideas put side by side in a sentence flag wording no list entry spells out.

The shipped lists are checked on messages their entries miss and their frames catch, per
language and category, and on the figures of speech, reported threats, denials and menu
replies that must not send a crisis reply. A small list written here pins down how a
frame matches (order, distance, sentences, guards, words between, exclusions), and broken
[frames] tables are refused with a problem an editor can act on.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from responder.bot.crisis import detect
from responder.bot.crisis_entries import Tier
from responder.bot.crisis_frames import NO_FRAMES
from responder.bot.crisis_lists import CrisisList, CrisisListError
from responder.bot.problems import Problem
from tests.checkout import ROOT

# The lists alone, since these tests are about them: what the examples' model adds is
# scored in test_crisis_model.py and on the evaluation sets (test_crisis_eval.py).
LISTS = tuple(
    replace(CrisisList.load(ROOT / "content" / code / "crisis.toml"), model=None)
    for code in ("en", "fr", "es")
)
# The same lists with their frames taken away: what the phrase entries alone find.
ENTRIES_ONLY = tuple(replace(crisis_list, frames=NO_FRAMES) for crisis_list in LISTS)
DEV = ROOT / "tests" / "bot" / "crisis_frames_dev"


@pytest.mark.parametrize(
    "text",
    [
        # direct_intent
        "i honestly dont see myself alive next year",
        "je me vois pas vivante la semaine prochaine",
        "quisiera desvanecerme y no volver",
        "je serai plus vivante la semaine prochaine",
        "no voy a estar viva la proxima semana",
        # passive_wish
        "better if i was never here at all",
        "i pray every night that i dont wake up",
        "mourir ca me parait doux",
        "je rendrais service a tout le monde en disparaissant",
        "morir suena tranquilo",
        "ya no tengo ganas de despertar",
        # hopelessness
        "i cant see myself growing up",
        "i dont see any way to fix this",
        "my future is completely destroyed",
        "ma vie entiere est gachee",
        # plans_means
        "i have a belt tied to my door",
        "j ai attache une ceinture a ma porte",
        "amarre un cinturon a mi puerta",
        "cuanto tarda uno en morir ahorcado",
        # self_harm
        "i keep hurting my arms on purpose",
        "me marque su nombre en el brazo",
        # goodbyes
        "this will be my final text",
        "donnez ma switch a mon cousin svp",
        "este va a ser mi ultimo texto",
    ],
)
def test_frames_catch_what_no_entry_spells_out(text: str) -> None:
    """Wording the entries miss, in every category and language, gets the crisis reply."""
    assert detect(text, ENTRIES_ONLY) is not Tier.T1
    assert detect(text, LISTS) is Tier.T1


@pytest.mark.parametrize(
    "text",
    [
        "i could die of embarrassment",
        "he's gonna kill my reputation",
        "im dead if my mum sees",
        "dying of laughter rn",
        "my phone died sorry",
        "how do i kill the app and delete the chat",
        "the deadline ends tonight",
        "i want him to disappear from my life",
        "i hope he dies honestly",
        "i just want the pics to disappear",
        "i hurt my wrist at volleyball",
        "were gonna die in this game lmao",
        "i gave away my old clothes to charity",
        "i cut my hair again",
        "il dit que ma vie sera ruinee",
        "mi amiga dijo que se queria morir",
        "me lastime la muneca en voley",
        "il a dit qu il allait faire de ma vie un enfer",
        "tengo las piernas llenas de piquetes de mosco",
        "im gonna disappear for a while, exams",
        "je vais disparaitre quelques jours",
        "je vais me jeter a l eau et lui parler",
        "ok bye take care",
        "thanks for everything, bye",
        "bye, last question: can he see my account",
        "merci pour tout, bye",
        "adios, cuidense",
        "i need this to disappear",
        "quiero que esto desaparezca",
        "1",
        "TALK",
        "STOP",
        "DELETE",
        "help",
        "report",
        "block",
        "should i pay",
        "he has my pics",
        "will it be posted",
        "how do i delete my account",
    ],
)
def test_figures_threats_and_menu_replies_get_no_crisis_reply(text: str) -> None:
    """A figure of speech, a threat reported or a menu word sends no crisis reply."""
    assert detect(text, LISTS) is not Tier.T1


@pytest.mark.parametrize("code", ["en", "fr", "es"])
def test_development_messages(code: str) -> None:
    """The messages written to build the frames: crisis ones flagged, ordinary ones no worse.

    The ordinary ones are hard on purpose, and the entries alone flag a few; the frames
    add no crisis reply to any of them.
    """
    data = tomllib.loads((DEV / f"{code}.toml").read_text(encoding="utf-8"))
    crisis = [text for texts in data["crisis"].values() for text in texts]
    caught = sum(detect(text, LISTS) is Tier.T1 for text in crisis)
    assert caught / len(crisis) >= 0.95, f"{code}: {caught}/{len(crisis)}"
    ordinary = [text for texts in data["ordinary"].values() for text in texts]
    added = [
        text
        for text in ordinary
        if detect(text, LISTS) is Tier.T1 and detect(text, ENTRIES_ONLY) is not Tier.T1
    ]
    assert added == []


FRAMED = """
[t1]
intent = ["kill my self"]

[t2]
pressure = ["posted"]

[exclusions]
idioms = ["want to die laughing"]

[fillers]
words = ["just", "really"]

[frames.concepts]
want = ["want", "wanna"]
die = ["die", "disappear*", "not exist"]
life = ["my life"]
ruined = ["ruined"]
done = ["decided"]
when = ["tonight"]

[frames.t1]
wish = ["want + die", "life > ruined"]

[frames.t2]
plan = ["done + when"]

[frames.guards]
figures = ["of shame"]

[frames.between]
others = ["him"]
"""


@pytest.fixture
def framed(tmp_path: Path) -> tuple[CrisisList, ...]:
    path = tmp_path / "crisis.toml"
    path.write_text(FRAMED, encoding="utf-8")
    return (CrisisList.load(path),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("i want to die", Tier.T1, id="together"),
        pytest.param("to disappear is all i want", Tier.T1, id="either-order"),
        pytest.param("i wanna disappearrr", Tier.T1, id="stem"),
        pytest.param("i wanna notexist", Tier.T1, id="typed-together"),
        pytest.param("i want to really just die", Tier.T1, id="fillers-not-counted"),
        pytest.param("i want to go to the shop and then die", None, id="too-far-apart"),
        pytest.param("my life is ruined", Tier.T1, id="in-order"),
        pytest.param("ruined my life", None, id="out-of-order"),
        pytest.param("i want pizza. die hard is on", None, id="two-sentences"),
        pytest.param("i want to... disappear", Tier.T1, id="a-pause-is-no-sentence-end"),
        pytest.param("i want to die of shame", None, id="guard"),
        pytest.param("i want to die of shame. no i want to die", Tier.T1, id="guard-sentence"),
        pytest.param("i want him to die", None, id="word-between"),
        pytest.param("i want to die laughing", None, id="exclusion"),
        pytest.param("i decided, tonight", Tier.T2, id="t2-rule"),
        pytest.param("i kill myself of shame", Tier.T1, id="a-guard-never-silences-entries"),
    ],
)
def test_how_a_frame_matches(
    framed: tuple[CrisisList, ...], text: str, expected: Tier | None
) -> None:
    assert detect(text, framed) is expected


def test_a_guard_of_one_language_holds_in_every_list(
    framed: tuple[CrisisList, ...], tmp_path: Path
) -> None:
    other = tmp_path / "other.toml"
    other.write_text(
        '[t1]\nx = ["kms"]\n[t2]\ny = ["posted"]\n[frames.concepts]\na = ["zzz"]\nb = ["yyy"]\n'
        '[frames.t1]\nx = ["a + b"]\n[frames.guards]\ng = ["of embarrassment"]\n',
        encoding="utf-8",
    )
    both = (*framed, CrisisList.load(other))
    assert detect("i want to die", both) is Tier.T1
    assert detect("i want to die of embarrassment", both) is None


GOOD = '[t1]\nintent = ["want to die"]\n[t2]\npressure = ["posted"]\n'
CONCEPTS = '[frames.concepts]\na = ["one"]\nb = ["two"]\n'


@pytest.mark.parametrize(
    ("text", "entry", "message"),
    [
        pytest.param("frames = 1\n", "frames", "needs tables", id="not-a-table"),
        pytest.param(
            CONCEPTS + '[frames.t1]\nx = ["a + b"]\n[frames.rules]\nx = ["a + b"]\n',
            "frames.rules",
            "[frames.concepts]",
            id="unknown-table",
        ),
        pytest.param(CONCEPTS, "frames", "no rule", id="no-rule"),
        pytest.param(
            CONCEPTS + '[frames.t1]\nx = ["a + c"]\n', "frames.t1.x", "c is not in", id="unknown"
        ),
        pytest.param(CONCEPTS + '[frames.t1]\nx = ["a b"]\n', "frames.t1.x", " + ", id="no-join"),
        pytest.param(
            CONCEPTS + '[frames.t1]\nx = ["a + b > a"]\n', "frames.t1.x", "one kind", id="mixed"
        ),
        pytest.param(
            CONCEPTS + '[frames.t1]\nx = ["a + a"]\n', "frames.t1.x", "twice", id="same-concept"
        ),
        pytest.param(
            CONCEPTS.replace("one", "Un") + '[frames.t1]\nx = ["a + b"]\n',
            "frames.concepts.a",
            "lower case",
            id="case",
        ),
        pytest.param(
            CONCEPTS.replace("one", "d*") + '[frames.t1]\nx = ["a + b"]\n',
            "frames.concepts.a",
            "3 letters",
            id="short-stem",
        ),
        pytest.param(
            CONCEPTS.replace("one", "don't") + '[frames.t1]\nx = ["a + b"]\n',
            "frames.concepts.a",
            "without marks",
            id="apostrophe",
        ),
        pytest.param(
            CONCEPTS + '[frames.t1]\nx = "a + b"\n', "frames.t1.x", "list of texts", id="flat"
        ),
        pytest.param(
            CONCEPTS + '[frames.t1]\nx = ["a + b"]\n[frames.guards]\nBad = ["x"]\n',
            "frames.guards.Bad",
            "a-z",
            id="list-name",
        ),
    ],
)
def test_a_broken_frames_table_is_refused_with_what_to_change(
    tmp_path: Path, text: str, entry: str, message: str
) -> None:
    path = tmp_path / "crisis.toml"
    # A key before the first table sits at the top of the file; anything else after GOOD.
    path.write_text(text + GOOD if text.startswith("frames =") else GOOD + text, "utf-8")
    with pytest.raises(CrisisListError) as caught:
        CrisisList.load(path)
    found = [p for p in caught.value.problems if p.entry == entry and not p.warning]
    assert any(message in p.message for p in found), caught.value.problems


def test_a_word_listed_twice_in_a_concept_is_a_warning_only(tmp_path: Path) -> None:
    path = tmp_path / "crisis.toml"
    path.write_text(
        GOOD + '[frames.concepts]\na = ["one", "one"]\nb = ["two"]\n[frames.t1]\nx = ["a + b"]\n',
        encoding="utf-8",
    )
    problems: list[Problem] = []
    assert CrisisList.read(path, problems) is not None
    assert [(p.entry, p.warning) for p in problems] == [("frames.concepts.a", True)]
    assert detect("one then two", [CrisisList.load(path)]) is Tier.T1
