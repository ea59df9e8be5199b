# ruff: noqa: E501  (a table of questions reads best one row per line)
"""The question table: what people ask during the assembly, and what the answer must say.

Each row is a question, the moment it is asked (Paris time, as ``hub ask --at``), the language
the answer must be in, the sessions it must mention (by id, and their titles must be in the
text a person reads), the sessions it must not mention, and words the text must contain.

Reference programme: Friday 12 (a welcome at Massalia Vox, six "Prendre soin" visits 10-15 h,
the museum 11:30-13 h, the restitution 15:30, the fishbowl 18 h), Saturday 13 (the walk 9-17 h,
three workshops at L'Après M in the morning, three at Les 8 Pillards 14-16:30, the closing
17:30), Sunday 14 (coffee 9:30, plenary 10-13 h, lunch 13 h).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bots import answer
from bots.answering import MAX_LINES
from sync.model import Programme
from tests.bots.conftest import paris

FRI, SAT, SUN = "2021-11-12", "2021-11-13", "2021-11-14"
CARE = (
    "prendre-soin-bonneveine",
    "prendre-soin-malpasse",
    "prendre-soin-air-bel",
    "prendre-soin-spinelly",
    "prendre-soin-cho3",
    "prendre-soin-font-vert",
)
# fmt: off
MORNING_WORKSHOPS = ("atelier-travail-contribution", "atelier-production-en-commun", "atelier-communs-recherche")
AFTERNOON_WORKSHOPS = ("atelier-puissance-publique", "atelier-municipalisme", "atelier-culture-juridique")
# fmt: on
SUNDAY = ("accueil-cafe", "assemblee-instituante", "dejeuner-grandes-tables")


@dataclass(frozen=True)
class Row:
    question: str
    at: str
    lang: str
    must: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    says: tuple[str, ...] = ()
    nothing: bool = False  # no session at all in the answer


# fmt: off
TABLE: list[Row] = [
    # where is a session
    Row("c'est où l'atelier culture juridique ?", f"{SAT}T11:00", "fr", ("atelier-culture-juridique",),
        ("atelier-municipalisme", "atelier-puissance-publique"), ("Les 8 Pillards", "13014 Marseille")),
    Row("Où est l'atelier « Culture juridique » ?", f"{FRI}T09:00", "fr", ("atelier-culture-juridique",),
        AFTERNOON_WORKSHOPS[:2], ("samedi 13 novembre, 14 h – 16 h 30",)),
    Row("Where is the legal culture workshop?", f"{SAT}T11:00", "en", ("atelier-culture-juridique",),
        MORNING_WORKSHOPS, ("Saturday 13 November, 14:00 – 16:30",)),
    Row("/ou culture juridique", f"{SAT}T11:00", "fr", ("atelier-culture-juridique",), (), ("13014 Marseille",)),
    Row("/where fishbowl", f"{FRI}T10:00", "en", ("fishbowl-anthropocene",), ("restitution",), ("Ateliers Jeanne Barret",)),
    Row("c'est où la balade ?", f"{SAT}T08:00", "fr", ("sens-de-la-pente",), (), ("Place de la Joliette",)),
    Row("where is the walk?", f"{SAT}T08:00", "en", ("sens-de-la-pente",), (), ("Place de la Joliette",)),
    Row("où se passe le fishbowl ce soir ?", f"{FRI}T17:00", "fr", ("fishbowl-anthropocene",), ("restitution",)),
    # where is a venue, its address
    Row("où est Massalia Vox ?", f"{FRI}T08:00", "fr", (), ("restitution",), ("15 boulevard de la Liberté", "gare Saint-Charles")),
    Row("address of the Friche", f"{SAT}T20:00", "en", (), (), ("41 rue Jobin, 13003 Marseille",)),
    Row("adresse des 8 pillards", f"{SAT}T11:00", "fr", (), (), ("Adresse : 13014 Marseille",)),
    Row("c'est ou l'apres m", f"{SAT}T08:00", "fr", (), (), ("214 chemin de Sainte-Marthe",)),
    Row("where is the museum", f"{FRI}T08:00", "en", ("prendre-soin-musee",), (), ("2 rue Henri-Barbusse",)),
    # what happens at a venue
    Row("qu'est-ce qui se passe aux 8 Pillards ?", f"{FRI}T12:00", "fr", (*AFTERNOON_WORKSHOPS, "cloture-8-pillards"),
        MORNING_WORKSHOPS),
    Row("what's happening at L'Après M", f"{FRI}T12:00", "en", ("rencontre-14-accueil", *MORNING_WORKSHOPS),
        AFTERNOON_WORKSHOPS),
    Row("ateliers aux 8 pillards", f"{FRI}T12:00", "fr", AFTERNOON_WORKSHOPS, ("cloture-8-pillards", *MORNING_WORKSHOPS)),
    Row("mUsÉe", f"{FRI}T08:00", "fr", ("prendre-soin-musee",), CARE),
    Row("Jardin Spinelly", f"{FRI}T08:00", "fr", ("prendre-soin-spinelly",), ("prendre-soin-cho3",)),
    # when is a session
    Row("quand est la clôture ?", f"{FRI}T12:00", "fr", ("cloture-8-pillards",), AFTERNOON_WORKSHOPS,
        ("samedi 13 novembre, 17 h 30 – 19 h",)),
    Row("when is the fishbowl", f"{FRI}T12:00", "en", ("fishbowl-anthropocene",), (), ("Friday 12 November, 18:00 – 20:00",)),
    Row("quand commence la plénière ?", f"{SAT}T20:00", "fr", ("assemblee-instituante",), ("accueil-cafe",), ("10 h",)),
    Row("when is lunch on sunday", f"{SAT}T20:00", "en", ("dejeuner-grandes-tables",), ("assemblee-instituante",), ("13:00",)),
    Row("/quand fishbowl", f"{FRI}T12:00", "fr", ("fishbowl-anthropocene",), ("restitution",), ("18 h",)),
    Row("/when municipalisme", f"{FRI}T12:00", "en", ("atelier-municipalisme",), ("atelier-culture-juridique",)),
    Row("à quelle heure est la restitution ?", f"{FRI}T12:00", "fr", ("restitution",), CARE, ("15 h 30",)),
    # now, next
    Row("/maintenant", f"{SAT}T11:00", "fr", ("sens-de-la-pente", *MORNING_WORKSHOPS),
        ("rencontre-14-accueil", *AFTERNOON_WORKSHOPS)),
    Row("/now", f"{FRI}T11:45", "en", ("prendre-soin-musee", *CARE), ("accueil-meteo", "restitution")),
    Row("qu'est-ce qui se passe en ce moment ?", f"{SAT}T13:00", "fr", ("sens-de-la-pente",),
        (*MORNING_WORKSHOPS, *AFTERNOON_WORKSHOPS)),
    Row("what's on right now?", f"{SAT}T20:00", "en", ("accueil-cafe",), ("cloture-8-pillards", "assemblee-instituante"),
        ("Nothing is on right now",)),
    Row("what's next?", f"{SAT}T11:00", "en", AFTERNOON_WORKSHOPS, ("cloture-8-pillards", *MORNING_WORKSHOPS)),
    Row("/ensuite", f"{FRI}T12:00", "fr", ("restitution",), ("fishbowl-anthropocene", *CARE)),
    Row("/next", f"{FRI}T16:00", "en", ("fishbowl-anthropocene",), ("restitution",)),
    Row("et après ?", f"{SUN}T09:45", "fr", ("assemblee-instituante",), ("accueil-cafe", "dejeuner-grandes-tables")),
    Row("prochain atelier", f"{SAT}T11:00", "fr", AFTERNOON_WORKSHOPS, MORNING_WORKSHOPS),
    Row("what's next", f"{SUN}T15:00", "en", (), (), ("Nothing more",), nothing=True),
    # today, tomorrow, a day
    Row("/aujourdhui", f"{SUN}T08:00", "fr", SUNDAY, ("cloture-8-pillards",), ("dimanche 14 novembre",)),
    Row("/today", f"{FRI}T17:00", "en", ("restitution", "fishbowl-anthropocene"), ("accueil-meteo", *CARE)),
    Row("/demain", f"{FRI}T20:30", "fr", ("rencontre-14-accueil", "sens-de-la-pente", "atelier-culture-juridique"),
        ("accueil-cafe", "fishbowl-anthropocene"), ("1 de plus",)),
    Row("/tomorrow", f"{SAT}T22:00", "en", SUNDAY, ("cloture-8-pillards",), ("Sunday 14 November",)),
    Row("aujourd'hui", f"{SAT}T16:45", "fr", ("sens-de-la-pente", "cloture-8-pillards"), MORNING_WORKSHOPS),
    Row("dimanche", f"{FRI}T10:00", "fr", SUNDAY, ("sens-de-la-pente",)),
    Row("le 14", f"{FRI}T10:00", "fr", SUNDAY, ("fishbowl-anthropocene",)),
    Row("13 novembre", f"{FRI}T10:00", "fr", ("sens-de-la-pente", "atelier-municipalisme"), SUNDAY),
    Row("hier", f"{SAT}T10:00", "fr", ("accueil-meteo",), ("sens-de-la-pente",), ("vendredi 12 novembre",)),
    # parts of the day
    Row("qu'est-ce qui se passe demain matin ?", f"{SAT}T11:00", "fr", ("accueil-cafe", "assemblee-instituante"),
        ("dejeuner-grandes-tables", "sens-de-la-pente")),
    Row("samedi après-midi", f"{FRI}T10:00", "fr", ("sens-de-la-pente", *AFTERNOON_WORKSHOPS, "cloture-8-pillards"),
        ("rencontre-14-accueil", *MORNING_WORKSHOPS)),
    Row("saturday morning", f"{FRI}T10:00", "en", ("rencontre-14-accueil", "sens-de-la-pente", *MORNING_WORKSHOPS),
        (*AFTERNOON_WORKSHOPS, "cloture-8-pillards")),
    Row("what's on sunday afternoon?", f"{FRI}T10:00", "en", ("dejeuner-grandes-tables",), ("accueil-cafe", "assemblee-instituante")),
    Row("ce soir", f"{FRI}T14:00", "fr", ("fishbowl-anthropocene",), ("restitution", *CARE)),
    Row("tonight", f"{SAT}T12:00", "en", ("cloture-8-pillards",), AFTERNOON_WORKSHOPS),
    Row("atelier demain après-midi", f"{FRI}T10:00", "fr", AFTERNOON_WORKSHOPS, (*MORNING_WORKSHOPS, "cloture-8-pillards")),
    Row("welcome coffee sunday", f"{FRI}T10:00", "en", ("accueil-cafe",), ("accueil-meteo", "rencontre-14-accueil")),
    # a clock time
    Row("à 11h30 vendredi", f"{SAT}T10:00", "fr", ("prendre-soin-musee", *CARE), ("accueil-meteo", "restitution")),
    Row("what's on at 3pm on friday", f"{SAT}T10:00", "en", ("restitution",), CARE, ("15:00",)),
    Row("quoi de prévu à midi dimanche ?", f"{FRI}T10:00", "fr", ("assemblee-instituante",), ("dejeuner-grandes-tables",)),
    Row("et à 13h ?", f"{SUN}T11:00", "fr", ("dejeuner-grandes-tables",), ("assemblee-instituante",)),
    Row("what's on November 12 at 6pm", f"{SAT}T10:00", "en", ("fishbowl-anthropocene",), ("restitution",)),
    Row("après 17h samedi", f"{FRI}T10:00", "fr", ("cloture-8-pillards",), ("sens-de-la-pente", *AFTERNOON_WORKSHOPS)),
    Row("13/11 à 10 h 15", f"{FRI}T10:00", "fr", ("sens-de-la-pente", *MORNING_WORKSHOPS), ("rencontre-14-accueil",)),
    # hosts and tracks
    Row("sessions by Hôtel du Nord", f"{FRI}T08:00", "en", ("prendre-soin-musee", "sens-de-la-pente"), CARE),
    Row("animé par le CHO3", f"{FRI}T08:00", "fr", ("prendre-soin-cho3",), ("prendre-soin-malpasse",)),
    Row("qui anime le sens de la pente ?", f"{FRI}T08:00", "fr", ("sens-de-la-pente",), (), ("Hôtel du Nord",)),
    Row("parcours Rencontre 14", f"{FRI}T08:00", "fr", ("rencontre-14-accueil", *MORNING_WORKSHOPS, *AFTERNOON_WORKSHOPS),
        ("cloture-8-pillards",)),
    Row("track prendre soin des communs", f"{FRI}T08:00", "en", ("prendre-soin-musee", *CARE), ("fishbowl-anthropocene",)),
    # keyword search
    Row("/cherche repas", f"{FRI}T08:00", "fr", ("prendre-soin-air-bel", "dejeuner-grandes-tables"), ("accueil-cafe",)),
    Row("/search workshop", f"{FRI}T08:00", "en", (*MORNING_WORKSHOPS, *AFTERNOON_WORKSHOPS), SUNDAY),
    Row("anthropocene", f"{FRI}T08:00", "fr", ("fishbowl-anthropocene",), ("restitution",)),
    Row("municipalisme", f"{FRI}T08:00", "fr", ("atelier-municipalisme",), ("atelier-culture-juridique",)),
    # typos, accents, case
    Row("juridik", f"{SAT}T11:00", "fr", ("atelier-culture-juridique",), ("atelier-municipalisme",)),
    Row("CULTURE JURIDIQUE", f"{SAT}T11:00", "fr", ("atelier-culture-juridique",), ("prendre-soin-bonneveine",)),
    Row("cloture", f"{FRI}T08:00", "fr", ("cloture-8-pillards",), AFTERNOON_WORKSHOPS),
    Row("vendredy soir", f"{SAT}T10:00", "fr", ("fishbowl-anthropocene",), ("restitution",)),
    Row("c ou le municipalism", f"{FRI}T08:00", "fr", ("atelier-municipalisme",), ("atelier-culture-juridique",),
        ("Les 8 Pillards",)),
    Row("wher is the anthropocen fishbowl", f"{FRI}T08:00", "en", ("fishbowl-anthropocene",), ("restitution",)),
    Row("aujourdui", f"{SUN}T08:00", "fr", SUNDAY, ("sens-de-la-pente",)),
    Row("tommorow", f"{FRI}T21:00", "en", ("sens-de-la-pente",), SUNDAY),
    # outside the event
    Row("aujourd'hui", "2021-11-01T10:00", "fr", (), (), ("Le programme commence vendredi 12 novembre",), nothing=True),
    Row("today", "2021-11-20T10:00", "en", (), (), ("The programme ended on Sunday 14 November",), nothing=True),
    Row("mercredi", f"{FRI}T10:00", "fr", (), (), ("mercredi 17 novembre",), nothing=True),
    # help, the programme, unknown questions
    Row("/aide", f"{FRI}T08:00", "fr", (), (), ("/maintenant", "/suivre"), nothing=True),
    Row("/help", f"{FRI}T08:00", "en", (), (), ("/now", "/follow"), nothing=True),
    Row("bonjour", f"{FRI}T08:00", "fr", (), (), ("/maintenant",), nothing=True),
    Row("hello", f"{FRI}T08:00", "en", (), (), ("/now",), nothing=True),
    Row("/programme", f"{FRI}T08:00", "fr", (), (), ("vendredi 12 novembre (Un vocabulaire commun)", "dimanche 14 novembre"),
        nothing=True),
    Row("/program", f"{SAT}T08:00", "en", (), (), ("Saturday 13 November",), nothing=True),
    Row("quelle est la recette de la ratatouille ?", f"{FRI}T08:00", "fr", (), (), ("rien trouvé",), nothing=True),
    Row("what is the meaning of life?", f"{FRI}T08:00", "en", (), (), ("found nothing",), nothing=True),
    Row("where", f"{FRI}T08:00", "en", (), (), ("Which session or venue",), nothing=True),
    Row("/ou", f"{FRI}T08:00", "fr", (), (), ("De quel rendez-vous",), nothing=True),
    Row("/cherche", f"{FRI}T08:00", "fr", (), (), ("Que cherchez-vous",), nothing=True),
    Row("???", f"{FRI}T08:00", "fr", (), (), ("pas compris",), nothing=True),
]
# fmt: on


def test_the_table_is_large_and_bilingual() -> None:
    assert len(TABLE) >= 60
    assert sum(row.lang == "fr" for row in TABLE) >= 30
    assert sum(row.lang == "en" for row in TABLE) >= 25


@pytest.mark.parametrize("row", TABLE, ids=[row.question for row in TABLE])
def test_question(programme: Programme, row: Row) -> None:
    reply = answer(programme, row.question, at=paris(row.at))
    text = reply.render("text")
    assert reply.lang == row.lang, text
    for session_id in row.must:
        assert session_id in reply.session_ids, text
        assert programme.sessions[session_id].title in text
    for session_id in row.must_not:
        assert session_id not in reply.session_ids, text
    for words in row.says:
        assert words in text
    if row.nothing:
        assert reply.session_ids == (), text
    assert len(reply.session_ids) <= MAX_LINES


@pytest.mark.parametrize("row", TABLE[:20], ids=[row.question for row in TABLE[:20]])
def test_forced_language_answers_the_same_sessions(programme: Programme, row: Row) -> None:
    """``--lang`` changes the words, never what is found."""
    other = "en" if row.lang == "fr" else "fr"
    natural = answer(programme, row.question, at=paris(row.at))
    forced = answer(programme, row.question, at=paris(row.at), lang=other)
    assert forced.lang == other
    assert forced.session_ids == natural.session_ids
