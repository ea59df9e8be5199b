"""The pad text format on its own: what people may write, and reading back what was written."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.etherpad.padedit import edit_pad
from connectors.etherpad.padtext import PadReader, render_block, render_document, session_projection
from sync.model import Programme, Session, Venue
from tests.helpers import reference_programme

TZ = ZoneInfo("Europe/Paris")
PROGRAMME = reference_programme()


def reader(programme: Programme = PROGRAMME, lang: str = "fr") -> PadReader:
    return PadReader(tz=programme.tz, venues=programme.venues, lang=lang, default_year=2021)


def project(session: Session, programme: Programme = PROGRAMME, lang: str = "fr") -> dict[str, Any]:
    return session_projection(session, programme, lang)


def document(programme: Programme, lang: str = "fr") -> str:
    return render_document(
        title=programme.event.title,
        subtitle=programme.event.subtitle,
        venues=programme.venues.values(),
        themes={d.date: d.theme for d in programme.days},
        sessions={s.id: project(s, programme, lang) for s in programme.sorted_sessions()},
        lang=lang,
        tz=programme.tz,
        create_sessions=False,
    )


def read(text: str, programme: Programme = PROGRAMME) -> tuple[dict[str, dict[str, Any]], list[str]]:
    parsed = reader(programme).parse(text)
    return {b.key: b.fields for b in parsed.blocks if b.key}, [m for _n, m in parsed.problems]


SAT = "== samedi 13 novembre 2021 ==\n\n"


def test_people_write_times_and_labels_their_own_way() -> None:
    blocks, problems = read(
        SAT + "14h30 – 16h Culture juridique [#a]\n"
        "Venue: les 8 pillards\nHosts: Ana ; Bo, et Cie\nÀ apporter : un stylo\n\n"
        "à confirmer 9h-10h: Café [#b]\n\n"
        "cancelled 22:00 - 01:30 (+1) Bal [#c]\n    Salle : à préciser\n"
    )
    assert problems == []
    assert blocks["a"]["start"] == "2021-11-13T14:30:00+01:00"
    assert blocks["a"]["end"] == "2021-11-13T16:00:00+01:00"
    assert blocks["a"]["venue"] == "huit-pillards"
    assert blocks["a"]["hosts"] == ["Ana", "Bo, et Cie"]
    assert blocks["a"]["description"] == "À apporter : un stylo"
    assert blocks["b"]["status"] == "tentative" and blocks["b"]["title"] == "Café"
    assert blocks["c"]["status"] == "cancelled"
    assert blocks["c"]["end"] == "2021-11-14T01:30:00+01:00"
    assert blocks["c"]["venue"] is None


def test_what_cannot_be_read_is_named_with_its_line() -> None:
    parsed = reader().parse(
        "Préambule libre : 12:00 ici ne compte pas\n\n"
        "== samedi 13 novembr 2021 ==\n\n"
        "09:00-10:00 Sous un jour illisible [#z]\n\n" + SAT + "16:00-15:00 À rebours [#a]\n\n"
        "10:00-11:00 [#b]\n\n"
        "10:00-11:00 Copie [#a]\n\n"
        "une phrase égarée\n"
    )
    problems = dict(parsed.problems)
    assert "date illisible dans « == samedi 13 novembr 2021 == »" in problems[3]
    assert "hors de tout jour" in problems[5]
    assert "finit (15:00) avant de commencer (16:00)" in problems[9]
    assert "titre manquant" in problems[11]
    assert "[#a] apparaît déjà ligne 9" in problems[13]
    assert "« une phrase égarée »" in problems[15]
    assert len(parsed.problems) == 6
    assert {b.key for b in parsed.blocks if not b.ignored} == {"z", "a", "b"}


def test_free_sections_and_the_preamble_are_not_read() -> None:
    parsed = reader().parse(
        "Notes libres, 10:00 rendez-vous\n\n" + SAT + "10:00-11:00 A [#a]\n\n"
        "== Infos pratiques ==\n\nCovoiturage : voir l'accueil.\n14h : réunion des bénévoles\n"
    )
    assert parsed.problems == []
    assert [b.key for b in parsed.blocks] == ["a"]


def test_english_problems_for_an_english_pad() -> None:
    parsed = PadReader(tz=TZ, venues=PROGRAMME.venues, lang="en", default_year=2021).parse(
        "== Saturday 13 November ==\n\n10:00-11:00 Talk [#a]\n    Venue: Moon\n"
    )
    assert parsed.problems == [
        (
            4,
            "unknown venue “Moon” (known venues: " + ", ".join(v.name for v in PROGRAMME.venues.values()) + ")",
        )
    ]
    assert parsed.blocks[0].fields["start"] == "2021-11-13T10:00:00+01:00"


def test_the_reference_programme_reads_back_exactly_in_both_languages() -> None:
    for lang in ("fr", "en"):
        parsed = PadReader(tz=TZ, venues=PROGRAMME.venues, lang=lang, default_year=2021).parse(
            document(PROGRAMME, lang)
        )
        assert parsed.problems == []
        assert {b.key: b.fields for b in parsed.blocks} == {
            s.id: project(s, PROGRAMME, lang) for s in PROGRAMME.sessions.values()
        }


def big_programme(count: int) -> Programme:
    venues = {f"v{i}": Venue(f"v{i}", f"Salle {i} (bâtiment {i % 7})") for i in range(40)}
    first = datetime(2022, 3, 20, 8, 0, tzinfo=TZ)  # crosses the change to summer time
    sessions = []
    for n in range(count):
        start = first + timedelta(days=n % 30, minutes=15 * (n % 60))
        sessions.append(
            Session(
                id=f"s-{n}",
                title=f"Atelier n°{n} : {'communs' if n % 2 else 'biens, liens'}",
                start=start,
                end=start + timedelta(minutes=30 + 45 * (n % 5)),
                venue=f"v{n % 41}" if n % 41 < 40 else None,
                hosts=tuple(f"Collectif {k}" for k in range(n % 3)),
                description="Première ligne.\n\n  Deuxième   ligne." if n % 4 == 0 else "",
                status=("scheduled", "tentative", "cancelled")[n % 3],
            )
        )
    return Programme(PROGRAMME.event, (), venues, {s.id: s for s in sessions})


def test_ten_thousand_sessions_read_back_exactly() -> None:
    programme = big_programme(10_000)
    text = document(programme)
    parsed = reader(programme).parse(text)
    assert parsed.problems == []
    assert len(parsed.blocks) == 10_000
    for block in parsed.blocks:
        assert block.key is not None
        assert block.fields == project(programme.sessions[block.key], programme), block.key


def test_editing_a_large_pad_rewrites_only_the_changed_blocks() -> None:
    programme = big_programme(10_000)
    text = document(programme)
    parsed = reader(programme).parse(text)
    moved = programme.sessions["s-5000"].with_fields({"title": "Déplacé"})
    moved = moved.with_fields({"start": "2022-04-01T10:00:00+02:00", "end": "2022-04-01T11:00:00+02:00"})
    changes = {"s-5000": project(moved, programme), "s-7": None}
    edited = edit_pad(parsed, changes, adopted={}, themes={}, lang="fr", tz=TZ)
    before, after = text.split("\n"), edited.split("\n")
    assert len(set(before) - set(after)) <= 8
    assert "ANNULÉ 10:00-11:00 Déplacé [#s-5000]" in after
    assert not any(line.endswith("[#s-7]") for line in after)
    blocks, problems = read(edited, programme)
    assert problems == []
    assert blocks["s-5000"]["start"] == "2022-04-01T10:00:00+02:00"
    assert len(blocks) == 9_999


pieces = [
    "a",
    "é",
    " ",
    "[#",
    "x]",
    "#",
    ":",
    ";",
    ",",
    "-",
    "(",
    ")",
    "10:00",
    "à",
    "\t",
    "ANNULÉ ",
    "Lieu : ",
    "Animation : ",
    "== ",
    "14h",
    "+1",
    "«",
    "?",
]
words = st.lists(st.sampled_from(pieces), max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    title=words,
    hosts=st.lists(words, max_size=4),
    description=st.lists(words, max_size=4).map("\n".join),
    minutes=st.integers(0, 24 * 60 * 3),
    length=st.integers(0, 24 * 60 * 2),
    venue=st.sampled_from([None, "huit-pillards", "apres-m", "nowhere"]),
    status=st.sampled_from(["scheduled", "tentative", "cancelled"]),
    lang=st.sampled_from(["fr", "en"]),
)
def test_any_session_reads_back_as_projected(
    title: str,
    hosts: list[str],
    description: str,
    minutes: int,
    length: int,
    venue: str | None,
    status: str,
    lang: str,
) -> None:
    start = datetime(2021, 11, 12, tzinfo=TZ) + timedelta(minutes=minutes)
    session = Session(
        id="x-1",
        title=title,
        start=start,
        end=start + timedelta(minutes=length),
        venue=venue,
        hosts=tuple(hosts),
        description=description,
        status=status,
    )  # type: ignore[arg-type]
    proj = project(session, PROGRAMME, lang)
    day = datetime.fromisoformat(proj["start"]).date()
    heading = f"== {day.isoformat()} =="
    text = "\n".join([heading, "", *render_block("x-1", proj, lang, TZ)]) + "\n"
    parsed = PadReader(tz=TZ, venues=PROGRAMME.venues, lang=lang, default_year=2021).parse(text)
    assert parsed.problems == []
    assert parsed.blocks[0].fields == proj


def test_day_headings_in_every_spelling() -> None:
    for heading in (
        "== samedi 13 novembre 2021 ==",
        "## Saturday 13 November",
        "== 2021-11-13 ==",
        "=== 13 NOVEMBRE : chantiers ===",
    ):
        parsed = reader().parse(f"{heading}\n\n10:00-11:00 A [#a]\n")
        assert parsed.problems == [] and parsed.sections[0].day == date(2021, 11, 13), heading


KEYS = sorted(PROGRAMME.sessions)


@settings(max_examples=150, deadline=None)
@given(
    updated=st.dictionaries(
        st.sampled_from(KEYS), st.tuples(st.integers(-2, 3), st.integers(0, 47), words), max_size=6
    ),
    deleted=st.sets(st.sampled_from(KEYS), max_size=4),
    added=st.lists(st.tuples(st.integers(-2, 3), st.integers(0, 47), words), max_size=4),
)
def test_any_batch_of_edits_reads_back_and_keeps_peoples_lines(
    updated: dict[str, tuple[int, int, str]],
    deleted: set[str],
    added: list[tuple[int, int, str]],
) -> None:
    base = document(PROGRAMME)
    notes = ["Note d'une personne en haut.", "== Infos pratiques ==", "", "Vélos : au fond."]
    text = base.replace("Lieux : ", notes[0] + "\nLieux : ") + "\n" + "\n".join(notes[1:]) + "\n"
    parsed = reader().parse(text)
    assert parsed.problems == []

    def at(day_offset: int, slot: int) -> datetime:
        return datetime(2021, 11, 12, 8, tzinfo=TZ) + timedelta(days=day_offset, minutes=15 * slot)

    sessions = dict(PROGRAMME.sessions)
    changes: dict[str, dict[str, Any] | None] = {}
    for key, (day, slot, title) in updated.items():
        if key in deleted:
            continue
        start = at(day, slot)
        sessions[key] = sessions[key].with_fields(
            {"title": title, "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}
        )
        changes[key] = project(sessions[key])
    for key in deleted:
        del sessions[key]
        changes[key] = None
    for n, (day, slot, title) in enumerate(added):
        start = at(day, slot)
        new = Session(id=f"new-{n}", title=title, start=start, end=start + timedelta(minutes=30))
        sessions[new.id] = new
        changes[new.id] = project(new)

    edited = edit_pad(parsed, changes, adopted={}, themes={}, lang="fr", tz=TZ)
    again = reader().parse(edited)
    assert again.problems == []
    assert {b.key: b.fields for b in again.blocks} == {k: project(s) for k, s in sessions.items()}
    lines = edited.split("\n")
    assert all(note in lines for note in notes)
    untouched = [line for line in text.split("\n") if not any(f"[#{k}]" in line for k in changes) and line.strip()]
    assert all(line in lines for line in untouched if not line.startswith("    "))
