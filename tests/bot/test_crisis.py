"""Crisis detection, measured on texts a teenager might send, in English, French and Spanish.

The figures, per language:
- T1 recall: the share of crisis texts flagged T1;
- T2 recall: the share of pressure texts flagged at all (T1 is more urgent, not a miss);
- false positives: the share of ordinary texts flagged at all, and the share of ordinary
  and pressure texts flagged T1 (a crisis reply sent where none was needed).
The test fails below 0.95 recall or above 0.10 false positives, and prints the figures.

Choices made in the sets:
- Negatives are texts that are clearly no crisis and no pressure. A few realistic ones
  that the list flags anyway stay in, marked, so the figure stays honest.
- Genuinely ambiguous texts ("i'm dying of embarrassment", "je meurs de honte", "i can't do
  this anymore") are in neither set: a counsellor reads them, the list makes no claim.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from responder.bot.crisis import detect
from responder.bot.crisis_entries import Tier
from responder.bot.crisis_lists import CrisisList, CrisisListError
from responder.bot.problems import Problem
from tests.checkout import ROOT

CONTENT = ROOT / "content"
LANGUAGES = ("en", "fr", "es")
# The lists alone, since these tests are about them: what the examples' model adds is
# scored in test_crisis_model.py and on the evaluation sets (test_crisis_eval.py).
LISTS = tuple(
    replace(CrisisList.load(CONTENT / code / "crisis.toml"), model=None) for code in LANGUAGES
)
MIN_RECALL = 0.95
MAX_FALSE_POSITIVES = 0.10
# The crisis lists name their [t1] lists after these, and only these.
CATEGORIES = frozenset(
    {"direct_intent", "passive_wish", "hopelessness", "plans_means", "self_harm", "goodbyes"}
)


@dataclass(frozen=True)
class Cases:
    crisis: tuple[str, ...]  # T1
    pressure: tuple[str, ...]  # T2
    ordinary: tuple[str, ...]  # neither


ENGLISH = Cases(
    crisis=(
        "i want to kill myself",
        "2 i want to die",
        "s u i c i d e",
        "kms lol",
        "i took 20 pills",
        "I just want to end it all",
        "im gonna kms",
        "KMS",
        "i wanna die",
        "i want to diiiie",
        "thinking about suicide",
        "im suicidal",
        "feeling suicidle rn",
        "goodbye forever",
        "this is goodbye everyone",
        "no reason to live anymore",
        "everyone would be better off without me",
        "id be better off dead",
        "i want to hurt myself",
        "i cut myself again",
        "been self harming since he sent that",
        "self-harm",
        "i took an overdose",
        "gonna OD",
        "i have a bottle of ibuprofen",
        "how much acetaminophen does it take",
        "took 800mg",
        "800 mg of tylenol",
        "paracetamol",
        "excedrin whole bottle",
        "there is antifreeze in the garage",
        "💊💊💊",
        "im done 💊",
        "k.m.s",
        "k1ll mys3lf",
        "i dont want to live anymore",
        "i don't wanna be alive",
        "going to hang myself",
        "i have a rope",
        "gonna jump off a bridge",
        "he told me to kys",
        "i want to unalive myself",
        "sewerslide",
        "i wish i was dead",
        "id rather die than my parents see them",
        "this is my last message",
        "tell my mom i love her",
        "took a bunch of pills",
        "i swallowed 30 tablets",
        "ODing rn",
        "i want to end my life",
        "theres nothing to live for",
        "ima take my own life",
        "killmyself",
        "SUICIDE!!!",
        "sucide",
        "my dads gun is in the closet",
        "i have razor blades",
        "3 kms",
        "i cant go on like this",
        "i cant take it anymore",
        "im sorry for everything mom",
        "I WANT TO DIE",
        "wanna die tbh",
        "Kill My Self",
    ),
    pressure=(
        "he said i have until tonight",
        "pay by tomorrow or he posts it",
        "he gave me 24 hours",
        "in 24 hours",
        "i already paid",
        "i paid him 200 and he wants more",
        "he sent it to my family",
        "they posted it",
        "he posted my pics on insta",
        "he sent them to my school",
        "im 14",
        "i'm 15 years old",
        "i am 13",
        "16yo",
        "14 y/o",
        "im in 9th grade",
        "im only 12",
        "he messaged my mom",
        "hes going to send it to my friends",
        "they said by midnight",
        "he said he will leak them",
        "i'm a minor",
        "everyone saw",
        "please help 😭😭",
        "he wants more money",
    ),
    ordinary=(
        "how do i report",
        "they want money",
        "killing it at school",
        "my phone died",
        "this homework is killing me",
        "hi",
        "help",
        "1",
        "someone is blackmailing me",
        "should i block him",
        "how do i save the evidence",
        "is this a scam",
        "what is sextortion",
        "can i talk to a person",
        "im scared",
        "i feel so stupid",
        "im so embarrassed",
        "what does the police do",
        "will i get in trouble",
        "can you delete my messages",
        "thanks that helped",
        "ok",
        "back",
        "MENU",
        "im dying to know if this works",
        "i could die laughing at this bot lol",
        "good morning",
        "im good thanks",
        "thats odd",
        "goodbye",
        "bye thanks",
        "my friend said to text here",
        "i met her on instagram",
        "he added me on snapchat",
        "its a fake account",
        "okkk sure",
        "dying to see how this ends",
        "what apps are safe",
        "my mom is gonna kill me if she finds out",
        "i got a good grade today",
        "how do i remove photos",
        "can you call me",
        "what time are you open",
        "i need advice",
        "he has my pictures",
        "should i tell my parents",
        "how to get my account back",
        "my account got hacked",
        "is it illegal",
        "thanks for listening",
        "im a boy is that ok",
        "what is take it down",
        "any podcast recommendations",
        "im dead 💀 this bot is funny",
        "my brother plays with nerf guns",
        "i walked 5 km today",
        "i sent pictures to someone online",
        # Known false alarm, kept on purpose: "tonight" is a deadline word (T2).
        "ill try again tonight",
    ),
)

FRENCH = Cases(
    crisis=(
        "je vais en finir ce soir",
        "j'ai pris des cachets",
        "je veux mourir",
        "j'ai envie de mourir",
        "je vais me suicider",
        "suicide",
        "S U I C I D E",
        "je pense au suicide",
        "jveux me tuer",
        "je vais me tuer",
        "jvais me foutre en l'air",
        "adieu",
        "adieu a tous",
        "je me scarifie encore",
        "je me fais du mal",
        "je veux me faire du mal",
        "j'ai pris 20 comprimés",
        "j'ai des médicaments",
        "MEDICAMENTS",
        "j'ai avalé toute la boite",
        "overdose",
        "j'ai fait une od",
        "paracetamol 💊",
        "💊",
        "doliprane 1000mg",
        "plus envie de vivre",
        "jai plus envie de vivre",
        "j'en ai marre de vivre",
        "je veux disparaitre",
        "je veux disparaître pour toujours",
        "tout le monde serait mieux sans moi",
        "c'est mon dernier message",
        "dites a ma mere que je l'aime",
        "pardon pour tout",
        "je me coupe",
        "je vais me pendre",
        "j'ai une corde",
        "je vais sauter du pont",
        "je vais sauter par la fenêtre",
        "je veux me jeter sous un train",
        "m'ouvrir les veines",
        "j'ai une lame de rasoir",
        "je prends des somnifères",
        "3 je veux mourir",
        "envi de mourir",
        "je suis suicidaire",
        "pensées suicidaires",
        "je vais mettre fin à mes jours",
        "je veux en finir",
        "ENFINIR",
        "en fiiinir",
        "me suiciderrr",
        "jvais prendre tous mes medocs",
        "j'ai bu de la javel",
        "je vais prendre 30 cachets",
        "je me mutile",
        "automutilation",
        "je préfère mourir que mes parents voient ça",
        "j'ai un couteau",
        "je serai plus là demain",
        "j e  v e u x  m o u r i r",
        "jveux mourir",
        "ma mere va me tuer et je vais me tuer avant",
    ),
    pressure=(
        "il veut l'argent avant ce soir",
        "j'ai jusqu'à demain",
        "dans 24h",
        "dans 2 heures",
        "j'ai déjà payé",
        "jai deja payer",
        "il a envoyé à ma famille",
        "il a publié les photos",
        "il a posté sur insta",
        "j'ai 14 ans",
        "jai 15ans",
        "je suis mineure",
        "il en veut encore",
        "il demande encore de l'argent",
        "il a tout envoyé à mes amis",
        "il menace d'envoyer à mes parents",
        "tout le monde a vu",
        "ma mère a vu les photos",
        "il a partagé la vidéo",
        "ils ont publié",
        "je suis en 4e",
        "ultimatum",
        "😭😭",
        "je suis au collège",
    ),
    ordinary=(
        "comment signaler",
        "il veut de l'argent",
        "je ne sais pas quoi faire",
        "mort de rire",
        "mdr",
        "tu me tues mdr",
        "ma mère va me tuer si elle voit ça",
        "mes parents vont me tuer",
        "ce prof me tue",
        "je suis mort de honte",
        "bonjour",
        "aide",
        "menu",
        "retour",
        "1",
        "merci",
        "d'accord",
        "comment bloquer",
        "je dois payer ?",
        "est-ce une arnaque",
        "c'est quoi la sextorsion",
        "je veux parler à quelqu'un",
        "j'ai peur",
        "j'ai honte",
        "je me sens bête",
        "la police peut faire quoi",
        "est-ce que je vais avoir des ennuis",
        "supprimez mes messages",
        "merci ça m'aide",
        "bonne journée",
        "au revoir",
        "au revoir merci",
        "j'ai rencontré une fille sur insta",
        "il m'a ajouté sur snap",
        "c'est un faux compte",
        "je me suis coupé les cheveux",
        "je vais me couper les cheveux",
        "c'est rasoir ce truc",
        "ma batterie est morte",
        "mon téléphone est mort",
        "je suis crevé",
        "comment sauvegarder les preuves",
        "il a mes photos",
        "je dois le dire à mes parents ?",
        "comment récupérer mon compte",
        "mon compte a été piraté",
        "c'est illégal ?",
        "merci de m'écouter",
        "je suis un garçon c'est grave ?",
        "c'est quoi take it down",
        "il fait beau",
        "je joue à la corde à sauter",
        "je prends la pilule",
        "le code ne marche pas",
        "bonne nuit",
        "j'ai mal à la tête",
        # Known false alarms, kept on purpose: "en finir" is T1, "ce soir" is T2.
        "comment en finir avec ce chantage",
        "je rappellerai ce soir",
    ),
)

SPANISH = Cases(
    crisis=(
        "me quiero matar",
        "me kiero matar",
        "2 me quiero morir",
        "ya no quiero vivir",
        "yano quiero vivir",
        "s u i c i d i o",
        "me voy a suicidar",
        "pienso en suicidarme",
        "quiero suisidarme",
        "si sube las fotos me mato",
        "neta me voy a matar",
        "me boy a matar",
        "quiero desaparecer para siempre",
        "kiero desaparecer",
        "todos estarian mejor sin mi",
        "ojala nunca hubiera nacido",
        "ojalá no despertar mañana",
        "estoy harta de vivir",
        "para q vivir asi",
        "xq sigo vivo",
        "mi vida se acabó",
        "mi vida ya esta arruinada",
        "no puedo vivir con esta verguenza",
        "ya no puedo más",
        "no aguanto mas",
        "no hay salida",
        "no voy a poder ver a nadie a la cara",
        "soy una carga para mi familia",
        "tengo un plan",
        "cuantas pastillas de paracetamol necesito",
        "me tome 20 pastillas",
        "tengo las pastillas de mi mama",
        "1000mg de ibuprofeno",
        "me voy a tirar del puente",
        "me voy a aventar del edificio",
        "el arma de mi papa esta en el closet",
        "tengo una navaja",
        "quiero ahorcarme",
        "compre una soga",
        "me estoy cortando otra vez",
        "me volvi a cortar los brazos",
        "quiero cortarme",
        "me hago daño cuando estoy mal",
        "me autolesiono",
        "hago cutting desde que paso esto",
        "recaí",
        "adios para siempre",
        "perdon por todo",
        "diganle a mi mama que la quiero",
        "este es mi ultimo mensaje",
        "cuiden a mi perro",
        "cuando leas esto ya no voy a estar",
        "💊💊",
        "ME QUIERO MORIR",
        "me quierooo moriiir",
        "me re quiero matar boludo",
        "quiero morir jajaja no es chiste",
        "me mato de risa jaja no mentira me quiero matar",
        "me quiero matar, no aguanto q mis papas sepan",
        "m voy a ahorcar",
        "me kiero kitar la vida",
        "xq no me muero de una vez",
        "ya me harte de vivir",
        "no le veo sentido a seguir",
        "mi vida ya valio madres",
        "hoy se acaba todo",
        "me voy a dar cuello",
        "voy a brincar del puente",
        "me voy a cortar las muñecas",
        "tengo los brazos llenos de cortes",
        "me rajé los brazos",
        "tengo ganas de hacerme algo",
        "los amo, perdon",
        "si ven esto es q ya me fui",
        "mi vida literal se acabo wey",
    ),
    pressure=(
        "me dio 24 horas para pagar",
        "en 2 horas las sube",
        "quiere que pague esta noche",
        "ya le pagué",
        "le mande dinero y quiere mas",
        "las subio a instagram",
        "se lo va a mandar a mis papas",
        "se las mando a mis amigos",
        "me quiere exhibir",
        "me van a quemar en todo el colegio",
        "tengo 14",
        "tengo 15 años",
        "soy menor de edad",
        "estoy en secundaria",
        "todos van a ver mis fotos",
        "me pidio una tarjeta de regalo",
        "ayuda 😭😭",
        "estoy desesperada",
        "odio mi vida",
        "no doy mas",
        "tengo hasta mañana",
        "me funaron",
        "me va a arruinar la vida si no le pago",
        "me quiere destruir la vida",
        "gracias por todo, adios",
        "neta me voy a aventar",
    ),
    ordinary=(
        "como denuncio",
        "me pide dinero",
        "hola",
        "ayuda",
        "1",
        "alguien me esta chantajeando",
        "lo bloqueo?",
        "como guardo las pruebas",
        "es una estafa?",
        "que es la sextorsion",
        "quiero hablar con una persona",
        "tengo miedo",
        "me siento muy tonta",
        "me da mucha verguenza",
        "me voy a meter en problemas?",
        "pueden borrar mis mensajes",
        "gracias me ayudo mucho",
        "ok",
        "menu",
        "atras",
        "mi mama me va a matar si se entera",
        "mis papas me van a matar",
        "me muero de risa con este bot",
        "se murio mi cel",
        "se me murio el celular",
        "me mato de risa jajaja",
        "me mato estudiando para el examen",
        "me voy a cortar el pelo",
        "quiero cortarme el fleco",
        "me corte el pelo ayer",
        "esta tarea me esta matando",
        "el calor me mata",
        "buenas noches",
        "adios gracias",
        "hasta luego",
        "la conoci en instagram",
        "me agrego en snap",
        "era una cuenta falsa",
        "que apps son seguras",
        "mi hermano juega con pistolas de agua",
        "me gusta saltar la soga",
        "tomo pastillas para la garganta",
        "voy a tomar capturas de pantalla",
        "me voy a matar estudiando para el examen",
        "me quiero morir de sueño en clase",
        "ya no aguanto a este wey que me escribe",
        "el me amenazo con matarme",
        "quiero desaparecer de redes sociales",
        "quiero desaparecer esas fotos de internet",
        "me cuelgo del wifi del vecino",
        "me tome un ibuprofeno para la cabeza",
        "es mi ultimo dia de clases",
        "le deje una carta a mi novia",
        "no quiero que esto arruine mi vida",
        "fue linda conocerla",
        "ya tome todas las capturas",
        "me tome muchas fotos ese dia",
        "me voy a aventar a hablarle a la policia",
        "nos vamos el fin de semana del puente",
        "mis papas van a castigarme",
        "quiero apuntarme al curso",
        "puedes recordarme los pasos",
        "perdon por todo el texto jaja",
        "no quiero seguir hablando con el",
        "ya no puedo seguir pagando",
        "mi novio me corto ayer",
        "ese meme me mato",
        "me voy a morir de verguenza",
        # Known false alarms, kept on purpose: "no puedo mas" is T1, "esta noche" T2.
        "no puedo mas con esta tarea",
        "te escribo esta noche",
    ),
)

CASES = {"en": ENGLISH, "fr": FRENCH, "es": SPANISH}


def share(hits: int, total: int) -> float:
    """A share of a set, 0 for an empty set."""
    return hits / total if total else 0.0


@pytest.mark.parametrize("language", LANGUAGES)
def test_sets_are_big_enough(language: str) -> None:
    """Each language keeps at least 50 crisis, 50 ordinary and 20 pressure texts."""
    cases = CASES[language]
    assert len(cases.crisis) >= 50
    assert len(cases.ordinary) >= 50
    assert len(cases.pressure) >= 20
    every = [*cases.crisis, *cases.pressure, *cases.ordinary]
    assert len(every) == len(set(every)), "a text is listed twice"


@pytest.mark.parametrize("language", LANGUAGES)
def test_recall_and_false_positives(
    language: str, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    """Recall stays at 0.95 or more and false positives at 0.10 or less, per tier."""
    cases = CASES[language]
    crisis = {text: detect(text, LISTS) for text in cases.crisis}
    pressure = {text: detect(text, LISTS) for text in cases.pressure}
    ordinary = {text: detect(text, LISTS) for text in cases.ordinary}
    missed_t1 = [t for t, tier in crisis.items() if tier is not Tier.T1]
    missed_t2 = [t for t, tier in pressure.items() if tier is None]
    flagged = [t for t, tier in ordinary.items() if tier is not None]
    flagged_t1 = [t for t, tier in {**ordinary, **pressure}.items() if tier is Tier.T1]
    flagged_t2 = [t for t, tier in ordinary.items() if tier is Tier.T2]
    figures = {
        "t1_recall": 1 - share(len(missed_t1), len(crisis)),
        "t2_recall": 1 - share(len(missed_t2), len(pressure)),
        "false_positives": share(len(flagged), len(ordinary)),
        "t1_false_positives": share(len(flagged_t1), len(ordinary) + len(pressure)),
        "t2_false_positives": share(len(flagged_t2), len(ordinary)),
    }
    report = f"crisis detection [{language}] " + ", ".join(
        f"{name} {value:.2f}" for name, value in figures.items()
    )
    for name, value in figures.items():
        request.node.user_properties.append((f"{language}_{name}", round(value, 3)))
    with capsys.disabled():
        print(f"\n{report}")
    details = f"{report}\nmissed T1: {missed_t1}\nmissed T2: {missed_t2}\nflagged: {flagged}"
    assert figures["t1_recall"] >= MIN_RECALL, details
    assert figures["t2_recall"] >= MIN_RECALL, details
    assert figures["false_positives"] <= MAX_FALSE_POSITIVES, details
    assert figures["t1_false_positives"] <= MAX_FALSE_POSITIVES, details


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("od", Tier.T1, id="od-alone"),
        pytest.param("OD", Tier.T1, id="od-upper"),
        pytest.param("o.d.", Tier.T1, id="od-dotted"),
        pytest.param("good", None, id="od-inside-good"),
        pytest.param("the code", None, id="od-inside-code"),
        pytest.param("kms", Tier.T1, id="kms-alone"),
        pytest.param("okms", None, id="kms-inside-okms"),
        pytest.param("bookmarks", None, id="kms-inside-bookmarks"),
        pytest.param("pills", Tier.T1, id="pills"),
        pytest.param("spills", None, id="pills-inside-spills"),
        pytest.param("that's so lame", None, id="french-lame-not-english-lame"),
    ],
)
def test_terms_match_whole_words(text: str, expected: Tier | None) -> None:
    """A term fires as a word, never inside a longer word."""
    assert detect(text, LISTS) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Médicaments", Tier.T1, id="accents-and-case"),
        pytest.param("medicaments", Tier.T1, id="no-accents"),
        pytest.param("diiiiie i want to diiiie", Tier.T1, id="long-letter-runs"),
        pytest.param("killll myselfff", Tier.T1, id="runs-kept-double"),
        pytest.param("s u i c i d e", Tier.T1, id="spaced-letters"),
        pytest.param("S-U-I-C-I-D-E", Tier.T1, id="hyphenated-letters"),
        pytest.param("k.m.s", Tier.T1, id="dotted-letters"),
        pytest.param("i w a n t t o d i e", Tier.T1, id="phrase-inside-spelled-run"),
        pytest.param("su!c!de", Tier.T1, id="lookalike-symbols"),
        pytest.param("$uicide", Tier.T1, id="leading-dollar"),
        pytest.param("sui\u200bcide", Tier.T1, id="zero-width-space-inside"),
        pytest.param("\u202ekms\u202c", Tier.T1, id="direction-marks"),
        pytest.param("\uff4b\uff4d\uff53", Tier.T1, id="fullwidth"),
        pytest.param("\U0001d424\U0001d426\U0001d42c", Tier.T1, id="math-bold"),
        pytest.param("took 800mg", Tier.T1, id="number-glued-to-unit"),
        pytest.param("took 800 mg", Tier.T1, id="number-apart-from-unit"),
        pytest.param("20 cachets", Tier.T1, id="dose-french"),
        pytest.param("pills💊", Tier.T1, id="emoji-glued"),
        pytest.param("ok" + "💊" + "ok", Tier.T1, id="emoji-inside-word"),
        pytest.param("killmyself", Tier.T1, id="words-run-together"),
        pytest.param("l'overdose", Tier.T1, id="french-elision"),
        pytest.param("j'ai 14 ans", Tier.T2, id="age-french"),
        pytest.param("im 15 years old", Tier.T2, id="age-english"),
        pytest.param("i'm 15 minutes away", None, id="minutes-are-no-age"),
        pytest.param("i'm 25", None, id="adult-age"),
        pytest.param("im 14 and i want to die", Tier.T1, id="t1-wins-over-t2"),
        pytest.param("help me please, je veux mourir", Tier.T1, id="mixed-languages"),
        pytest.param("bonjour i want to die", Tier.T1, id="english-in-french-texts"),
        pytest.param("", None, id="empty"),
    ],
)
def test_normalisation(text: str, expected: Tier | None) -> None:
    """Messages are folded, rejoined and read in every way the module docstring lists."""
    assert detect(text, LISTS) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("killing myself laughing", None, id="idiom-alone"),
        pytest.param(
            "killing myself laughing lol. no really i want to kill myself",
            Tier.T1,
            id="idiom-and-real-term",
        ),
        pytest.param("ma mere va me tuer", None, id="french-idiom-alone"),
        pytest.param("ma mere va me tuer, je vais me tuer", Tier.T1, id="french-idiom-and-term"),
        pytest.param("chill pill", None, id="chill-pill"),
        pytest.param("chill pill. i took 20 pills", Tier.T1, id="chill-pill-and-dose"),
        pytest.param("suicide squad was good", None, id="film"),
        pytest.param("suicide squad makes me think of suicide", Tier.T1, id="film-and-term"),
        pytest.param("2 kms", Tier.T1, id="menu-number-before-kms"),
    ],
)
def test_exclusions_cover_only_their_span(text: str, expected: Tier | None) -> None:
    """An exclusion silences the words it covers, never a term elsewhere in the message."""
    assert detect(text, LISTS) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("kill myslef", Tier.T1, id="swap"),
        pytest.param("i want to kill mysef", Tier.T1, id="letter-dropped"),
        pytest.param("kill myselfe", Tier.T1, id="letter-added"),
        pytest.param("im so sucidial", Tier.T1, id="letter-added-to-a-misspelling"),
        pytest.param("suicde", Tier.T1, id="letter-dropped-single-word"),
        pytest.param("suixide", Tier.T1, id="letter-changed"),
        pytest.param("i want to dissapear forever", Tier.T1, id="double-letter-moved"),
        pytest.param("je veux mourrir", Tier.T1, id="double-letter-french"),
        pytest.param("je vais me tué", Tier.T1, id="french-participle-for-infinitive"),
        pytest.param("paracetmol", Tier.T1, id="long-word-one-edit"),
        pytest.param("paracetmlo", Tier.T1, id="long-word-two-edits"),
        pytest.param("j'ai des medicamment", Tier.T1, id="long-word-french"),
        pytest.param("i cant be here anymroe", Tier.T1, id="words-run-together-with-a-typo"),
        pytest.param("goodbey forever", Tier.T1, id="glued-entry-words-with-a-swap"),
        pytest.param("jvais mtuer", Tier.T1, id="french-clitic-run-on"),
        pytest.param("KILL MYSLEF!!!", Tier.T1, id="typo-upper-case"),
        pytest.param("k1ll mysleff", Tier.T1, id="typo-with-lookalikes"),
        pytest.param("killllll myslef", Tier.T1, id="typo-with-a-long-run"),
        pytest.param("jveux mourir", Tier.T1, id="j-before-a-consonant-is-je"),
        pytest.param("jpourrai jamais vivre avec ça", Tier.T1, id="j-run-on-verb"),
        pytest.param("suicidaire", Tier.T1, id="exact-still-matches"),
        # Short list words are matched exactly: one letter makes them another word.
        pytest.param("i have hope", None, id="hope-is-not-rope"),
        pytest.param("dead", None, id="dead-alone"),
        # A typo never fires inside a longer word, nor from two words apart.
        pytest.param("myselfish", None, id="no-typo-inside-a-word"),
    ],
)
def test_typos_are_forgiven(text: str, expected: Tier | None) -> None:
    """One typo in a list word of 5 letters or more, two in a long single word, still match."""
    assert detect(text, LISTS) is expected


ORDINARY_NEAR_TERMS = [
    # English words one typo from a list word, alone and in everyday sentences.
    "short",
    "polls",
    "hills",
    "pulls",
    "piles",
    "rose",
    "deal",
    "moose",
    "loose",
    "nose",
    "noise",
    "beach",
    "breach",
    "prison",
    "blame",
    "blaze",
    "bladder",
    "ballet",
    "billet",
    "butter",
    "cuter",
    "clutter",
    "code",
    "core",
    "aspiring",
    "anvil",
    "melanin",
    "overdone",
    "overdoing",
    "subside",
    "scarf",
    "razer",
    "blake",
    "i'm too short for this ride",
    "the polls close at 8",
    "we went to the beach",
    "my nose is bleeding from the cold",
    "noone cares about my grades",
    "i got a razer headset",
    "what's the wifi code",
    "i'm aspiring to be a nurse",
    "a moose crossed the road",
    "that's a great deal",
    "i bought roses for my mom",
    # French words one typo from a list word.
    "nourrir",
    "courir",
    "tuyer",
    "poisson",
    "compris",
    "pilule",
    "coude",
    "corse",
    "corne",
    "cache",
    "cacher",
    "metier",
    "perdue",
    "sacrifice",
    "couleur",
    "courant",
    "je vais me prendre un goûter",
    "je vais me perdre en ville",
    "je mange du poisson ce midi",
    "j'ai pas compris le menu",
    "merci de m'écouter",
    "je prends la pilule",
    "j'ai mal au coude",
    "on part en Corse cet été",
    "j'aime mon métier",
    "il faut nourrir le chat",
    "je vais courir",
    "le code ne marche pas",
    "je me suis perdue",
]


@pytest.mark.parametrize("text", ORDINARY_NEAR_TERMS)
def test_ordinary_words_near_list_words_never_fire(text: str) -> None:
    """A typed word that is a word in its own right is never read as a typo of a list word."""
    assert detect(text, LISTS) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("killing myslef laughing", None, id="idiom-with-a-typo"),
        pytest.param(
            "killing myslef laughing. no really i want to kill myslef",
            Tier.T1,
            id="idiom-and-term-with-typos",
        ),
        pytest.param("chill pill", None, id="idiom-word-near-a-term"),
        pytest.param("ma mere va me tuer", None, id="french-idiom"),
        pytest.param("ma mere va me tuer, je vais me tué", Tier.T1, id="french-idiom-and-typo"),
        pytest.param("je vais me couper les cheveux", None, id="french-idiom-long"),
    ],
)
def test_exclusions_cover_typos_too(text: str, expected: Tier | None) -> None:
    """Exclusions read typos as matching does, and still silence only their own words."""
    assert detect(text, LISTS) is expected


@pytest.mark.parametrize("code", LANGUAGES)
def test_t1_lists_are_the_categories(code: str) -> None:
    """Every [t1] list is one of the six categories, or emoji, in both languages."""
    names = set(shipped(code)["t1"])
    assert names <= CATEGORIES | {"emoji"}
    assert names >= CATEGORIES


def test_detect_returns_only_a_tier() -> None:
    """Callers get a Tier or None, nothing they could echo back."""
    for cases in CASES.values():
        for text in (*cases.crisis, *cases.pressure, *cases.ordinary):
            result = detect(text, LISTS)
            assert result is None or type(result) is Tier


def test_detect_takes_any_iterable_of_lists() -> None:
    """A generator of lists works as well as a tuple; no list finds nothing."""
    assert detect("je veux mourir", (crisis_list for crisis_list in LISTS)) is Tier.T1
    assert detect("i want to die", []) is None


HOSTILE = [
    pytest.param("a" * 1600, id="one-letter-run"),
    pytest.param("ab" * 800, id="one-long-word"),
    pytest.param("a " * 800, id="spelled-letters-flood"),
    pytest.param("k.m." * 400, id="dotted-letters-flood"),
    pytest.param("\x00" * 1600, id="nul"),
    pytest.param("kms\x00" * 400, id="nul-between-terms"),
    pytest.param("\u200f\u202e\u2066" * 533, id="direction-marks"),
    pytest.param("💊" * 1600, id="pill-emoji-flood"),
    pytest.param("😭🏽\u200d♀️" * 320, id="emoji-modifiers-flood"),
    pytest.param("a\u0301" * 800, id="combining-marks"),
    pytest.param("\ufdfa" * 1600, id="longest-decomposition"),
    pytest.param("\ud800" * 1600, id="lone-surrogates"),
    pytest.param("9" * 1600, id="huge-number"),
    pytest.param("1 " * 800, id="number-flood"),
    pytest.param("va me tuer " * 145, id="exclusion-flood"),
    pytest.param("i'm 14 " * 228, id="t2-flood"),
    pytest.param("<n> <10-17> " * 133, id="pattern-syntax"),
    pytest.param("".join(chr(c) for c in range(32, 1632)), id="every-character"),
    pytest.param("自殺" * 800, id="ideographs"),
    pytest.param("myslef " * 228, id="typo-flood"),
    pytest.param("abcdefghijklmnopqrst " * 76, id="long-words-flood"),
    pytest.param("jvais " * 266, id="run-on-french-flood"),
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_never_raises(text: str) -> None:
    """Any message gets an answer; the walk is linear, so 1600 characters are cheap."""
    assert detect(text, LISTS) in (None, Tier.T1, Tier.T2)


def test_a_term_at_the_end_of_a_long_message_is_found() -> None:
    """Nothing is cut off: a crisis word after 1,590 characters still fires."""
    assert detect("blah " * 318 + "kms", LISTS) is Tier.T1


def sample(entry: str) -> str:
    """Write a list entry as a texter would, with a number in each number pattern."""
    words = []
    for word in entry.split():
        if word == "<n>":
            words.append("20")
        elif word.startswith("<"):
            words.append(word.strip("<>").partition("-")[0])
        else:
            words.append(word)
    return " ".join(words)


def shipped(code: str) -> dict[str, dict[str, list[str]]]:
    """The raw tables of a shipped crisis list."""
    with (CONTENT / code / "crisis.toml").open("rb") as handle:
        return tomllib.load(handle)


@pytest.mark.parametrize("code", LANGUAGES)
def test_shipped_lists_load_without_problems(code: str) -> None:
    """The shipped lists have no errors and no warnings."""
    problems: list[Problem] = []
    assert CrisisList.read(CONTENT / code / "crisis.toml", problems) is not None
    assert problems == []


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_entry_fires_on_its_own_words(code: str) -> None:
    """No exclusion, in any language, silences a shipped term; every exclusion is silent."""
    data = shipped(code)
    for name, tier in (("t1", Tier.T1), ("t2", Tier.T2)):
        for category, entries in data[name].items():
            for entry in entries:
                found = detect(sample(entry), LISTS)
                assert found is not None and found <= tier, f"{name}.{category}: {entry}"
    for category, entries in data["exclusions"].items():
        for entry in entries:
            assert detect(sample(entry), LISTS) is None, f"exclusions.{category}: {entry}"


GOOD = '[t1]\nintent = ["want to die"]\n[t2]\ndeadline = ["tonight"]\n'


@pytest.mark.parametrize(
    ("text", "entry", "message"),
    [
        pytest.param(None, "-", "file is missing", id="missing"),
        pytest.param("[t1\n", "-", "not valid TOML", id="bad-toml"),
        pytest.param(GOOD + "[t3]\nx = ['a']\n", "t3", "use [t1], [t2]", id="unknown-table"),
        pytest.param('[t2]\nx = ["tonight"]\n', "t1", "needs lists", id="no-t1"),
        pytest.param('t1 = ["kms"]\n[t2]\nx = ["a"]\n', "t1", "needs lists", id="t1-not-table"),
        pytest.param(GOOD + "[exclusions]\nx = 'a'\n", "exclusions.x", "list of", id="not-list"),
        pytest.param(GOOD.replace("intent", "Intent"), "t1.Intent", "a-z", id="list-name"),
        pytest.param(GOOD.replace("want", "Want"), "t1.intent", '"want to die"', id="upper"),
        pytest.param(GOOD.replace("want to die", "médicaments"), "t1.intent", "accents", id="acc"),
        pytest.param(GOOD.replace("want to die", "<n>mg"), "t1.intent", "<n>", id="glued-n"),
        pytest.param(GOOD.replace("want to die", "<17-10> ans"), "t1.intent", "smaller", id="rng"),
        pytest.param(GOOD.replace("want to die", "<n>"), "t1.intent", "every number", id="num"),
        pytest.param(GOOD.replace("want to die", "?!"), "t1.intent", "no letters", id="empty"),
        pytest.param(GOOD.replace("want to die", " "), "t1.intent", "empty entry", id="blank"),
        pytest.param(GOOD.replace("die", "diiie"), "t1.intent", "3 times", id="letter-run"),
        pytest.param(
            GOOD + '[exclusions]\nidioms = ["want to die"]\n',
            "exclusions.idioms",
            "remove the term",
            id="exclusion-is-a-term",
        ),
        pytest.param(GOOD + "[ordinary]\nwords = 'a'\n", "ordinary.words", "list of", id="ord"),
        pytest.param('ordinary = ["beach"]\n' + GOOD, "ordinary", "needs lists", id="ord-flat"),
        pytest.param(
            GOOD + '[ordinary]\nwords = ["the beach"]\n', "ordinary.words", "one word", id="ord-two"
        ),
        pytest.param(
            GOOD + '[ordinary]\nwords = ["Beach"]\n', "ordinary.words", "lower case", id="ord-case"
        ),
        pytest.param(
            GOOD + '[fillers]\nwords = ["pretty much"]\n', "fillers.words", "one word", id="fill"
        ),
        pytest.param(GOOD.replace("want to die", "... die"), "t1.intent", "between", id="skip-1st"),
        pytest.param(GOOD.replace("want to die", "want to ..."), "t1.intent", "end", id="skip-end"),
        pytest.param(GOOD.replace("want to die", "a ... ... b"), "t1.intent", "once", id="skip-2"),
    ],
)
def test_load_names_the_file_and_entry(
    tmp_path: Path, text: str | None, entry: str, message: str
) -> None:
    """A broken list is refused with the file, the entry and what to change."""
    path = tmp_path / "crisis.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(CrisisListError) as caught:
        CrisisList.load(path)
    problems = [p for p in caught.value.problems if not p.warning]
    found = [p for p in problems if p.file == str(path) and p.entry == entry]
    assert any(message in p.message for p in found), problems
    assert str(path) in str(caught.value)


def test_a_duplicate_is_a_warning_only(tmp_path: Path) -> None:
    """An entry listed twice loads, with a warning naming it."""
    path = tmp_path / "crisis.toml"
    path.write_text(GOOD.replace('"want to die"', '"want to die", "want to die"'), "utf-8")
    problems: list[Problem] = []
    assert CrisisList.read(path, problems) is not None
    assert [(p.entry, p.warning) for p in problems] == [("t1.intent", True)]
    assert detect("i want to die", [CrisisList.load(path)]) is Tier.T1
