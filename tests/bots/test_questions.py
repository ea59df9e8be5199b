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

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import pytest

from bots import answer
from bots.answer import Answer
from bots.answering import DAY_MAX, MAX_LINES, ChangeReader
from bots.memory import Context
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
FRIDAY = ("accueil-meteo", *CARE, "prendre-soin-musee", "restitution", "fishbowl-anthropocene")
SATURDAY = ("rencontre-14-accueil", "sens-de-la-pente", *MORNING_WORKSHOPS, *AFTERNOON_WORKSHOPS, "cloture-8-pillards")
PAD = "https://pad.example.org/p/culture-juridique"
VISIO = "https://meet.jit.si/culture-juridique"


@dataclass(frozen=True)
class Change:
    """One row of the change log, as the state store's history gives it."""

    at: datetime
    session: str
    field: str
    old: object
    new: object


#: What the organisers changed on the reference programme in the "changed" variant.
CHANGELOG: tuple[Change, ...] = (
    Change(paris("2021-11-11T10:00"), "accueil-cafe", "title", "Accueil", "Accueil café : les grandes tables"),
    Change(paris("2021-11-12T19:00"), "cloture-8-pillards", "start", "2021-11-13T17:00:00+01:00",
           "2021-11-13T17:30:00+01:00"),
    Change(paris("2021-11-13T08:30"), "atelier-municipalisme", "status", "scheduled", "cancelled"),
    Change(paris("2021-11-13T09:00"), "atelier-puissance-publique", "venue", "apres-m", "huit-pillards"),
    Change(paris("2021-11-13T09:00"), "dejeuner-grandes-tables", "status", "scheduled", "tentative"),
)


def changed_programme(programme: Programme) -> Programme:
    """The reference programme after the changes of :data:`CHANGELOG`, with a pad and a visio."""
    sessions = dict(programme.sessions)
    sessions["atelier-municipalisme"] = replace(sessions["atelier-municipalisme"], status="cancelled")
    sessions["dejeuner-grandes-tables"] = replace(sessions["dejeuner-grandes-tables"], status="tentative")
    sessions["atelier-culture-juridique"] = replace(sessions["atelier-culture-juridique"], links=(PAD, VISIO))
    return programme.with_sessions(sessions.values())


def read_changelog(since: datetime) -> Sequence[Change]:
    return [change for change in CHANGELOG if change.at >= since]


@dataclass(frozen=True)
class Row:
    question: str
    at: str
    lang: str
    must: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    says: tuple[str, ...] = ()
    nothing: bool = False  # no session at all in the answer
    after: tuple[str, ...] = ()  # asked before, in the same conversation
    changed: bool = False  # on the changed programme, with its change log
    says_not: tuple[str, ...] = ()


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
    Row("/demain", f"{FRI}T20:30", "fr", SATURDAY, ("accueil-cafe", "fishbowl-anthropocene"), ("Matin", "Après-midi"),
        says_not=("de plus",)),
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
    # relations to a named session (issue 18)
    Row("Qu'est-ce qu'il y a après la restitution ?", f"{FRI}T12:00", "fr", ("fishbowl-anthropocene",), ("restitution", "accueil-meteo"), ("18 h",)),
    Row("Et juste avant la clôture ?", f"{SAT}T12:00", "fr", AFTERNOON_WORKSHOPS, ("cloture-8-pillards", *MORNING_WORKSHOPS)),
    Row("Qu'est-ce qui a lieu en même temps que Culture juridique ?", f"{SAT}T09:00", "fr",
        ("atelier-puissance-publique", "atelier-municipalisme", "sens-de-la-pente"), ("atelier-culture-juridique", "cloture-8-pillards", *MORNING_WORKSHOPS)),
    Row("what's on after the restitution?", f"{FRI}T12:00", "en", ("fishbowl-anthropocene",), ("restitution",), ("18:00",)),
    Row("what comes after the fishbowl?", f"{FRI}T12:00", "en", (), (), ("Nothing more",), nothing=True),
    Row("just before the closing", f"{SAT}T10:00", "en", AFTERNOON_WORKSHOPS, ("cloture-8-pillards",)),
    Row("en même temps que le fishbowl ?", f"{FRI}T08:00", "fr", (), (), ("Rien d'autre",), nothing=True),
    Row("après le sens de la pente ?", f"{SAT}T08:00", "fr", ("cloture-8-pillards",), ("sens-de-la-pente", *AFTERNOON_WORKSHOPS)),
    Row("avant la plénière", f"{SAT}T20:00", "fr", ("accueil-cafe",), ("assemblee-instituante", "dejeuner-grandes-tables")),
    Row("what's on before lunch on sunday?", f"{SAT}T20:00", "en", ("assemblee-instituante",), ("dejeuner-grandes-tables",)),
    Row("qu'est-ce qu'il y a après l'accueil café ?", f"{SAT}T20:00", "fr", ("assemblee-instituante",), ("accueil-cafe", "dejeuner-grandes-tables")),
    Row("after the plenary", f"{SAT}T20:00", "en", ("dejeuner-grandes-tables",), ("assemblee-instituante",)),
    Row("pendant le déjeuner ?", f"{SUN}T09:00", "fr", (), (), ("Rien d'autre",), nothing=True),
    Row("what's on after lunch tomorrow?", f"{SAT}T10:00", "en", (), (), ("Nothing more",), nothing=True),
    Row("what's on after lunch tomorrow?", f"{FRI}T10:00", "en", (*AFTERNOON_WORKSHOPS, "cloture-8-pillards"),
        (*MORNING_WORKSHOPS, "sens-de-la-pente", "dejeuner-grandes-tables")),
    Row("et après le déjeuner ?", f"{FRI}T08:00", "fr", ("restitution", "fishbowl-anthropocene"), ("dejeuner-grandes-tables", *CARE)),
    Row("après l'accueil", f"{FRI}T09:00", "fr", CARE, ("prendre-soin-musee", "accueil-meteo")),
    Row("après l'accueil", f"{SAT}T08:00", "fr", MORNING_WORKSHOPS, ("rencontre-14-accueil", *AFTERNOON_WORKSHOPS)),
    Row("what's after the welcome on saturday?", f"{FRI}T10:00", "en", MORNING_WORKSHOPS, ("prendre-soin-musee", *CARE)),
    Row("ateliers à l'après m", f"{FRI}T12:00", "fr", MORNING_WORKSHOPS, AFTERNOON_WORKSHOPS),
    Row("qu'est-ce qu'il y a à l'Après M ?", f"{SAT}T08:00", "fr", MORNING_WORKSHOPS, AFTERNOON_WORKSHOPS),
    Row("le reste de la journée", f"{FRI}T13:00", "fr", ("restitution", "fishbowl-anthropocene"), ("accueil-meteo",)),
    Row("rest of the day", f"{SAT}T15:00", "en", ("cloture-8-pillards",), MORNING_WORKSHOPS),
    Row("what's on later today?", f"{FRI}T16:00", "en", ("fishbowl-anthropocene", "restitution"), CARE),
    Row("en parallèle de la balade", f"{SAT}T08:00", "fr", (*MORNING_WORKSHOPS, *AFTERNOON_WORKSHOPS), ("cloture-8-pillards", "sens-de-la-pente")),
    Row("what runs alongside the plenary?", f"{SAT}T20:00", "en", (), (), ("Nothing else",), nothing=True),
    Row("juste après la balade ?", f"{SAT}T08:00", "fr", ("cloture-8-pillards",), AFTERNOON_WORKSHOPS),
    Row("avant le fishbowl", f"{FRI}T08:00", "fr", ("restitution",), ("fishbowl-anthropocene",)),
    Row("before the restitution", f"{FRI}T08:00", "en", CARE, ("prendre-soin-musee", "restitution")),
    Row("what's at the same time as the municipalism workshop?", f"{FRI}T08:00", "en",
        ("atelier-culture-juridique", "atelier-puissance-publique"), ("atelier-municipalisme", *MORNING_WORKSHOPS)),
    Row("qu'est-ce qu'il y a aprés la restitusion ?", f"{FRI}T12:00", "fr", ("fishbowl-anthropocene",), ("restitution",)),
    Row("en même temps que culture juridik", f"{SAT}T09:00", "fr", ("atelier-municipalisme",), ("atelier-culture-juridique",)),
    # whole days, grouped by part of the day (issue 18)
    Row("aujourd'hui", f"{FRI}T08:00", "fr", FRIDAY, SATURDAY, ("Matin", "Après-midi", "Soir"), says_not=("de plus",)),
    Row("Quel est le programme du 13 novembre ?", f"{FRI}T08:00", "fr", SATURDAY, FRIDAY, ("Matin", "Après-midi"), says_not=("de plus",)),
    Row("today", f"{FRI}T08:00", "en", FRIDAY, SATURDAY, ("Morning", "Evening"), says_not=("more",)),
    Row("programme de samedi", f"{FRI}T08:00", "fr", SATURDAY, SUNDAY),
    Row("what's on saturday?", f"{FRI}T08:00", "en", SATURDAY, FRIDAY, ("Afternoon",)),
    Row("le programme du 12", f"{SAT}T10:00", "fr", FRIDAY, SATURDAY),
    Row("friday", f"{SAT}T10:00", "en", FRIDAY, SATURDAY),
    Row("/aujourdhui", f"{FRI}T08:00", "fr", FRIDAY, SATURDAY, ("Soir",)),
    Row("/today", f"{SAT}T08:00", "en", SATURDAY, FRIDAY),
    Row("what's on November 13?", f"{FRI}T08:00", "en", SATURDAY, SUNDAY),
    Row("samedi", f"{FRI}T08:00", "fr", SATURDAY, FRIDAY),
    Row("/programme samedi soir", f"{FRI}T08:00", "fr", ("cloture-8-pillards",), AFTERNOON_WORKSHOPS),
    Row("/program saturday afternoon", f"{FRI}T08:00", "en", (*AFTERNOON_WORKSHOPS, "cloture-8-pillards"), MORNING_WORKSHOPS),
    Row("/programme dimanche matin", f"{FRI}T08:00", "fr", ("accueil-cafe", "assemblee-instituante"), ("dejeuner-grandes-tables",)),
    # temporal expressions
    Row("ce soir", f"{SAT}T08:00", "fr", ("cloture-8-pillards",), AFTERNOON_WORKSHOPS),
    Row("cet après-midi", f"{SAT}T08:00", "fr", (*AFTERNOON_WORKSHOPS, "cloture-8-pillards"), MORNING_WORKSHOPS),
    Row("cet aprem", f"{SAT}T08:00", "fr", AFTERNOON_WORKSHOPS, MORNING_WORKSHOPS),
    Row("ce matin", f"{SAT}T08:00", "fr", ("rencontre-14-accueil", *MORNING_WORKSHOPS), AFTERNOON_WORKSHOPS),
    Row("samedi matin", f"{FRI}T08:00", "fr", ("rencontre-14-accueil", *MORNING_WORKSHOPS), AFTERNOON_WORKSHOPS),
    Row("le 13", f"{FRI}T08:00", "fr", SATURDAY, FRIDAY),
    Row("le 14 à midi", f"{FRI}T08:00", "fr", ("assemblee-instituante",), ("dejeuner-grandes-tables", "accueil-cafe")),
    Row("à 18 h", f"{FRI}T08:00", "fr", ("fishbowl-anthropocene",), ("restitution",)),
    Row("à 18h samedi", f"{FRI}T08:00", "fr", ("cloture-8-pillards",), ("fishbowl-anthropocene",)),
    Row("on Sunday morning", f"{FRI}T08:00", "en", ("accueil-cafe", "assemblee-instituante"), ("dejeuner-grandes-tables",)),
    Row("at 6pm on Friday", f"{SAT}T08:00", "en", ("fishbowl-anthropocene",), ("restitution", "cloture-8-pillards")),
    Row("at 10am tomorrow", f"{FRI}T20:00", "en", ("sens-de-la-pente", *MORNING_WORKSHOPS), ("rencontre-14-accueil",)),
    Row("this evening", f"{FRI}T10:00", "en", ("fishbowl-anthropocene",), ("restitution",)),
    Row("this afternoon", f"{FRI}T10:00", "en", ("restitution",), ("accueil-meteo", "fishbowl-anthropocene")),
    Row("tomorrow evening", f"{FRI}T10:00", "en", ("cloture-8-pillards",), AFTERNOON_WORKSHOPS),
    Row("demain soir", f"{FRI}T10:00", "fr", ("cloture-8-pillards",), AFTERNOON_WORKSHOPS),
    Row("dimanche midi", f"{FRI}T10:00", "fr", ("assemblee-instituante",), ("dejeuner-grandes-tables",)),
    Row("samedi à 9 h 15", f"{FRI}T10:00", "fr", ("rencontre-14-accueil", "sens-de-la-pente"), MORNING_WORKSHOPS),
    Row("friday at noon", f"{SAT}T10:00", "en", ("prendre-soin-musee", *CARE), ("accueil-meteo", "restitution")),
    Row("what's on at 2:30 pm on saturday", f"{FRI}T10:00", "en", (*AFTERNOON_WORKSHOPS, "sens-de-la-pente"), MORNING_WORKSHOPS),
    Row("sunday 1pm", f"{FRI}T10:00", "en", ("dejeuner-grandes-tables",), ("assemblee-instituante",)),
    Row("samdi matin", f"{FRI}T08:00", "fr", MORNING_WORKSHOPS, AFTERNOON_WORKSHOPS),
    Row("tomorow morning", f"{FRI}T20:00", "en", MORNING_WORKSHOPS, AFTERNOON_WORKSHOPS),
    # follow-ups in one conversation
    Row("et après ?", f"{FRI}T12:00", "fr", (), (), ("Plus rien",), nothing=True, after=("Qu'est-ce qu'il y a après la restitution ?",)),
    Row("et après ?", f"{FRI}T12:00", "fr", ("fishbowl-anthropocene",), ("restitution",), after=("où est la restitution ?",)),
    Row("et après ?", f"{FRI}T12:00", "fr", (), (), ("Plus rien",), nothing=True, after=("quand est la clôture ?",)),
    Row("where is it?", f"{FRI}T12:00", "en", ("fishbowl-anthropocene",), ("restitution",), ("5 boulevard de Sévigné",),
        after=("what's after the restitution?",)),
    Row("c'est où ?", f"{FRI}T12:00", "fr", ("fishbowl-anthropocene",), (), ("5 boulevard de Sévigné",), after=("quand est le fishbowl ?",)),
    Row("c'est qui ?", f"{FRI}T12:00", "fr", ("sens-de-la-pente",), (), ("Hôtel du Nord",), after=("quand est la balade ?",)),
    Row("who is it?", f"{FRI}T08:00", "en", ("prendre-soin-musee",), CARE, ("Noailles Debout",), after=("where is the museum",)),
    Row("and then?", f"{SAT}T20:00", "en", ("dejeuner-grandes-tables",), ("assemblee-instituante",), after=("when is the plenary",)),
    Row("et ensuite ?", f"{SAT}T11:00", "fr", AFTERNOON_WORKSHOPS, MORNING_WORKSHOPS, after=("/maintenant",)),
    Row("c'est quand ?", f"{FRI}T12:00", "fr", ("atelier-municipalisme",), ("atelier-culture-juridique",), ("14 h",),
        after=("où est l'atelier municipalisme ?",)),
    Row("and before?", f"{FRI}T12:00", "en", AFTERNOON_WORKSHOPS, ("cloture-8-pillards",), after=("when is the closing?",)),
    Row("et en même temps ?", f"{FRI}T12:00", "fr", ("atelier-municipalisme", "sens-de-la-pente"), ("atelier-culture-juridique",),
        after=("quand est l'atelier culture juridique ?",)),
    Row("what's next at the same place?", f"{SAT}T11:00", "en", ("cloture-8-pillards",), ("rencontre-14-accueil",),
        after=("where is culture juridique?",)),
    Row("et ensuite au même endroit ?", f"{SAT}T20:00", "fr", ("assemblee-instituante",), ("dejeuner-grandes-tables",),
        after=("où est l'accueil café ?",)),
    Row("c'est où ?", f"{SAT}T11:00", "fr", (), (), ("13014 Marseille",), after=("adresse des 8 pillards",)),
    Row("where is it?", f"{FRI}T08:00", "en", (), (), ("Which session or venue",), nothing=True),
    Row("c'est où ?", f"{FRI}T12:00", "fr", ("restitution",), ("fishbowl-anthropocene",), ("5 boulevard de Sévigné",),
        after=("/ensuite",)),
    # status questions
    Row("is anything cancelled?", f"{SAT}T10:00", "en", (), (), ("Nothing is cancelled",), nothing=True),
    Row("y a-t-il des annulations ?", f"{SAT}T10:00", "fr", (), (), ("Aucun rendez-vous annulé",), nothing=True),
    Row("is the fishbowl cancelled?", f"{FRI}T08:00", "en", ("fishbowl-anthropocene",), (), ("On and confirmed",)),
    Row("what changed since yesterday?", f"{SAT}T10:00", "en", (), (), ("do not have the change history",), nothing=True),
    Row("is anything cancelled?", f"{SAT}T10:00", "en", ("atelier-municipalisme",), AFTERNOON_WORKSHOPS[:1], ("(cancelled)",), changed=True),
    Row("y a-t-il des annulations ?", f"{SAT}T10:00", "fr", ("atelier-municipalisme",), ("atelier-culture-juridique",), ("(annulé)",), changed=True),
    Row("qu'est-ce qui est annulé ?", f"{FRI}T10:00", "fr", ("atelier-municipalisme",), ("fishbowl-anthropocene",), changed=True),
    Row("is the municipalism workshop cancelled?", f"{SAT}T10:00", "en", ("atelier-municipalisme",), (), ("Yes, it is cancelled",), changed=True),
    Row("l'atelier culture juridique est-il maintenu ?", f"{SAT}T10:00", "fr", ("atelier-culture-juridique",), ("atelier-municipalisme",),
        ("Maintenu et confirmé",), changed=True),
    Row("qu'est-ce qui est à confirmer ?", f"{SAT}T10:00", "fr", ("dejeuner-grandes-tables",), ("atelier-municipalisme",), ("à confirmer",), changed=True),
    Row("anything not confirmed yet?", f"{SAT}T10:00", "en", ("dejeuner-grandes-tables",), (), ("to be confirmed",), changed=True),
    Row("what changed since yesterday?", f"{SAT}T10:00", "en",
        ("cloture-8-pillards", "atelier-municipalisme", "atelier-puissance-publique", "dejeuner-grandes-tables"), ("accueil-cafe",),
        ("was: Saturday 13 November, 17:00", "was: L'Après M"), changed=True),
    Row("qu'est-ce qui a changé depuis hier ?", f"{SAT}T10:00", "fr",
        ("cloture-8-pillards", "atelier-municipalisme", "dejeuner-grandes-tables"), ("accueil-cafe",), ("avant : samedi 13 novembre, 17 h",),
        changed=True),
    Row("qu'est-ce qui a été déplacé ?", f"{SAT}T10:00", "fr", ("cloture-8-pillards", "atelier-puissance-publique"),
        ("atelier-municipalisme", "dejeuner-grandes-tables"), ("avant : L'Après M",), changed=True),
    Row("anything moved?", f"{SAT}T10:00", "en", ("atelier-puissance-publique",), ("atelier-municipalisme",), changed=True),
    Row("what changed today?", f"{SAT}T10:00", "en", ("atelier-municipalisme", "atelier-puissance-publique"), ("cloture-8-pillards",), changed=True),
    Row("/ensuite", f"{SAT}T11:00", "fr", ("atelier-culture-juridique", "atelier-puissance-publique"), ("atelier-municipalisme",), changed=True),
    Row("est-ce annulé ?", f"{SAT}T10:00", "fr", ("atelier-municipalisme",), (), ("Oui, c'est annulé",), changed=True,
        after=("où est l'atelier municipalisme ?",)),
    # answers to act on: map, pad and visio links
    Row("où est le fishbowl ?", f"{FRI}T08:00", "fr", ("fishbowl-anthropocene",), (), ("openstreetmap.org/search?query=5%20boulevard",)),
    Row("where is Massalia Vox?", f"{FRI}T08:00", "en", (), (), ("Map: https://www.openstreetmap.org/search?query=15%20boulevard",)),
    Row("où est l'atelier culture juridique ?", f"{SAT}T10:00", "fr", ("atelier-culture-juridique",), (), (f"Pad : {PAD}", f"Visio : {VISIO}"),
        changed=True),
    Row("when is the legal culture workshop?", f"{SAT}T10:00", "en", ("atelier-culture-juridique",), (), (f"Video call: {VISIO}",), changed=True),
    # English and French variants, typos
    Row("where's the closing?", f"{FRI}T08:00", "en", ("cloture-8-pillards",), AFTERNOON_WORKSHOPS, ("13014 Marseille",)),
    Row("when does the plenary start?", f"{SAT}T08:00", "en", ("assemblee-instituante",), ("accueil-cafe",), ("10:00",)),
    Row("who runs the walk?", f"{FRI}T08:00", "en", ("sens-de-la-pente",), (), ("Hôtel du Nord",)),
    Row("address of L'Après M", f"{FRI}T08:00", "en", (), (), ("214 chemin de Sainte-Marthe",)),
    Row("where is lunch on sunday", f"{FRI}T08:00", "en", ("dejeuner-grandes-tables",), ("assemblee-instituante",), ("41 rue Jobin",)),
    Row("where is the restitusion", f"{FRI}T08:00", "en", ("restitution",), ("fishbowl-anthropocene",)),
    Row("fishbowl anthropocène", f"{FRI}T08:00", "fr", ("fishbowl-anthropocene",), ("restitution",)),
    Row("pleniere dimanche", f"{FRI}T08:00", "fr", ("assemblee-instituante",), ("accueil-cafe",)),
    Row("quand est le déjeuner ?", f"{FRI}T08:00", "fr", ("dejeuner-grandes-tables",), (), ("13 h",)),
    Row("où a lieu la plénière ?", f"{FRI}T08:00", "fr", ("assemblee-instituante",), (), ("41 rue Jobin",)),
    # not understood: say what was understood, never invent
    Row("qu'est-ce qu'il y a après la sieste ?", f"{FRI}T08:00", "fr", (), (), ("J'ai compris « après »",), nothing=True),
    Row("what's after the karaoke?", f"{FRI}T08:00", "en", (), (), ("I understood “after”",), nothing=True),
    Row("samedi karaoké", f"{FRI}T08:00", "fr", SATURDAY, (), ("Je n'ai pas reconnu « karaoke »",)),
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
    assert len(TABLE) >= 200
    assert sum(row.lang == "fr" for row in TABLE) >= 90
    assert sum(row.lang == "en" for row in TABLE) >= 80


def ask(programme: Programme, row: Row) -> Answer:
    """The answer to ``row``, after its earlier questions in the same conversation."""
    changes: ChangeReader | None = read_changelog if row.changed else None
    at = datetime.fromisoformat(row.at).replace(tzinfo=programme.tz)  # as ``hub ask --at`` reads it
    context: Context | None = None
    for earlier in row.after:
        said = answer(programme, earlier, at=at, context=context, changes=changes)
        context = Context.of(said) or context
    return answer(programme, row.question, at=at, context=context, changes=changes)


def problems(programme: Programme, row: Row, reply: Answer) -> list[str]:
    """What is wrong with ``reply`` as an answer to ``row`` (empty when it is right)."""
    text = reply.render("text")
    found: list[str] = []
    if reply.lang != row.lang:
        found.append(f"language {reply.lang}")
    for session_id in row.must:
        if session_id not in reply.session_ids or programme.sessions[session_id].title not in text:
            found.append(f"missing {session_id}")
    found += [f"unwanted {i}" for i in row.must_not if i in reply.session_ids]
    found += [f"does not say {w!r}" for w in row.says if w not in text]
    found += [f"says {w!r}" for w in row.says_not if w in text]
    if row.nothing and reply.session_ids:
        found.append("lists sessions")
    limit = DAY_MAX if reply.kind == "day" else MAX_LINES
    if len(reply.session_ids) > limit:
        found.append(f"{len(reply.session_ids)} lines")
    return found


def programme_for(programme: Programme, row: Row) -> Programme:
    return changed_programme(programme) if row.changed else programme


_VERDICTS: dict[tuple[int, Row], tuple[list[str], str]] = {}


def verdict(programme: Programme, row: Row) -> tuple[list[str], str]:
    """The problems of ``row``'s answer and its text, asked once per programme and row (the
    share of the tables answered reuses what each row's test found)."""
    key = (id(programme), row)
    if key not in _VERDICTS:
        used = programme_for(programme, row)
        reply = ask(used, row)
        _VERDICTS[key] = (problems(used, row, reply), reply.render("text"))
    return _VERDICTS[key]


@pytest.mark.parametrize("row", TABLE, ids=[row.question for row in TABLE])
def test_question(programme: Programme, row: Row) -> None:
    wrong, text = verdict(programme, row)
    assert wrong == [], text


@pytest.mark.parametrize("row", TABLE[:20], ids=[row.question for row in TABLE[:20]])
def test_forced_language_answers_the_same_sessions(programme: Programme, row: Row) -> None:
    """``--lang`` changes the words, never what is found."""
    other = "en" if row.lang == "fr" else "fr"
    natural = answer(programme, row.question, at=paris(row.at))
    forced = answer(programme, row.question, at=paris(row.at), lang=other)
    assert forced.lang == other
    assert forced.session_ids == natural.session_ids
