"""Filler words inside an entry, and "..." for the words that change from texter to texter.

A texter rarely types a list phrase word for word: "i want to just die", "my life is
literally so over", "tell my little sister i love her". Fillers ([fillers] in a list) may
sit between two words of any entry; "..." in an entry stands for up to three words of any
kind. Neither may start or end a match, and exclusions read them the same way.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from responder.bot.crisis import detect
from responder.bot.crisis_entries import Tier
from responder.bot.crisis_lists import CrisisList
from tests.checkout import ROOT

CONTENT = ROOT / "content"
# Every language's list, as the helpline reads every message.
# The lists alone, since these tests are about them: what the examples' model adds is
# scored in test_crisis_model.py and on the evaluation sets (test_crisis_eval.py).
SHIPPED = tuple(
    replace(CrisisList.load(path), model=None) for path in sorted(CONTENT.glob("*/crisis.toml"))
)
SMALL = """
[t1]
intent = ["want to die", "tell my ... i love her", "hope i ... die"]
[t2]
deadline = ["tonight"]
[exclusions]
idioms = ["going to kill me", "hope i ... die laughing"]
[fillers]
words = ["just", "really", "literally"]
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[CrisisList, ...]:
    path = tmp_path_factory.mktemp("lists") / "crisis.toml"
    path.write_text(SMALL, encoding="utf-8")
    # A second list with no fillers of its own: the first list's fillers hold in it too.
    other = path.with_name("other.toml")
    other.write_text('[t1]\nintent = ["kill me now"]\n[t2]\nx = ["tonight"]\n', "utf-8")
    return CrisisList.load(path), CrisisList.load(other)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("i want to die", Tier.T1, id="as-listed"),
        pytest.param("i want to just die", Tier.T1, id="one-filler"),
        pytest.param("i want to really just die", Tier.T1, id="two-fillers"),
        pytest.param("i want to really just literally die", None, id="three-fillers"),
        pytest.param("i want to eat then die", None, id="a-word-that-is-no-filler"),
        pytest.param("just want to die", Tier.T1, id="filler-before-is-outside"),
        pytest.param("kill me just now", Tier.T1, id="fillers-hold-in-every-list"),
        pytest.param("tell my mom i love her", Tier.T1, id="skip-one-word"),
        pytest.param("tell my little sister i love her", Tier.T1, id="skip-two-words"),
        pytest.param("tell my i love her", Tier.T1, id="skip-no-word"),
        pytest.param("tell my mom and dad and sis i love her", None, id="skip-too-many"),
        pytest.param("i hope i get sick and die", Tier.T1, id="skip-three-words"),
        pytest.param("hope die", None, id="skip-never-covers-a-word-of-the-entry"),
        pytest.param("i hope i die laughing", None, id="exclusion-with-a-skip"),
        pytest.param("my mum is going to literally kill me", None, id="exclusion-with-a-filler"),
    ],
)
def test_fillers_and_skips(small: tuple[CrisisList, ...], text: str, expected: Tier | None) -> None:
    assert detect(text, small) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("my life is literally just over", Tier.T1, id="en-fillers"),
        pytest.param("nobody would even miss me", Tier.T1, id="en-filler-even"),
        pytest.param("ma vie est vraiment carrement finie", Tier.T1, id="fr-fillers"),
        pytest.param("please tell my little sister i'm sorry", Tier.T1, id="en-skip"),
        pytest.param("dites a ma petite soeur que je l'aime", Tier.T1, id="fr-skip"),
        pytest.param("ma mere va vraiment me tuer", None, id="fr-idiom-with-filler"),
        pytest.param("my mum will literally kill me", None, id="en-idiom-with-filler"),
        pytest.param("i'm literally killing myself laughing", None, id="en-idiom-after-im"),
        pytest.param("j'vais mourir de rire", None, id="fr-idiom-after-jvais"),
        pytest.param("je me coupe les cheveux", None, id="fr-haircut-after-je"),
        pytest.param("jpp de rire", Tier.T2, id="fr-jpp-stays-t2"),
        pytest.param("me quiero re morir wey", Tier.T1, id="es-fillers"),
        pytest.param("mi vida literal se acabo", Tier.T1, id="es-filler-literal"),
        pytest.param("mi mama me va a re matar", None, id="es-idiom-with-filler"),
        pytest.param("me muero wey de risa", None, id="es-laughing-with-filler"),
        pytest.param("me va a arruinar la vida si no le pago", Tier.T2, id="es-reported-threat"),
    ],
)
def test_shipped_lists(text: str, expected: Tier | None) -> None:
    assert detect(text, SHIPPED) is expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("just " * 320, id="filler-flood"),
        pytest.param("tell my " * 200, id="skip-entry-flood"),
        pytest.param("hope i " * 228, id="skip-entry-flood-2"),
        pytest.param("want to just " * 123, id="filler-inside-entries-flood"),
    ],
)
def test_floods_of_fillers_and_half_entries_match_nothing(text: str) -> None:
    """Thousands of gaps to pass over, and no entry ever completed: silent, and quickly
    (bench/crisis_speed.py measures how quickly)."""
    assert detect(text, SHIPPED) is None
