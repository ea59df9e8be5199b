"""Reading programme files: every bad input is refused with its file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync.errors import InputError
from sync.programme_reader import parse_frab_json, parse_programme_yaml
from tests.helpers import REFERENCE

TEXT = REFERENCE.read_text(encoding="utf-8")


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_programme_yaml(text, "programme.yaml")
    return [str(p) for p in caught.value.problems]


def line_of(fragment: str, occurrence: int = 1) -> int:
    index = -1
    for _ in range(occurrence):
        index = TEXT.index(fragment, index + 1)
    return TEXT.count("\n", 0, index) + 1


def test_reference_programme_reads() -> None:
    programme = parse_programme_yaml(TEXT, "programme.yaml")
    assert len(programme.sessions) == 22 and len(programme.venues) == 13 and len(programme.days) == 3
    session = programme.sessions["atelier-culture-juridique"]
    assert session.start.isoformat() == "2021-11-13T14:00:00+01:00"
    assert programme.venue_of(session).name == "Les 8 Pillards"  # type: ignore[union-attr]


def test_unknown_venue() -> None:
    text = TEXT.replace("    venue: friche-belle-de-mai\n    format: repas", "    venue: friche\n    format: repas")
    [problem] = problems(text)
    assert problem.startswith(f"programme.yaml:{line_of('venue: friche-belle-de-mai', 3)}, field 'sessions[21].venue'")
    assert "session 'dejeuner-grandes-tables': unknown venue 'friche'" in problem


def test_end_before_start() -> None:
    text = TEXT.replace("end: 2021-11-14T14:30", "end: 2021-11-14T12:30")
    [problem] = problems(text)
    assert f"programme.yaml:{line_of('end: 2021-11-14T14:30')}, field 'sessions[21].end'" in problem
    assert "before it starts" in problem


def test_bad_timezone() -> None:
    [problem] = problems(TEXT.replace("timezone: Europe/Paris", "timezone: Europe/Marseille"))
    assert problem.startswith("programme.yaml:9, field 'event.timezone': unknown timezone 'Europe/Marseille'")


def test_duplicate_id() -> None:
    [problem] = problems(TEXT.replace("- id: accueil-cafe", "- id: accueil-meteo"))
    assert f"programme.yaml:{line_of('- id: accueil-cafe') }, field 'sessions[19].id'" in problem
    assert "duplicate session id 'accueil-meteo'" in problem


def test_yaml_syntax_error_names_the_line() -> None:
    [problem] = problems(TEXT.replace("title: Culture juridique", "title: [Culture juridique"))
    assert problem.startswith("programme.yaml:")
    assert "YAML syntax error" in problem
    assert int(problem.split(":")[1]) >= line_of("title: Culture juridique")


def test_every_problem_is_listed_at_once() -> None:
    text = TEXT.replace("venue: malpasse", "venue: nowhere")
    text = text.replace("end: 2021-11-13T19:00", "end: 2021-11-13T17:00")
    assert len(problems(text)) == 2


def test_unknown_field_and_bad_status() -> None:
    text = TEXT.replace("    format: repas", "    format: repas\n    statut: annulé\n    status: maybe")
    found = problems(text)
    assert any("field 'sessions[21].statut'" in p and "unknown field" in p for p in found)
    assert any("field 'sessions[21].status'" in p and "'maybe' is not one of" in p for p in found)


def test_frab_export_imports_back(tmp_path: Path) -> None:
    """A frab schedule JSON (ours, pretalx's, frab's) can be the programme source."""
    import asyncio

    from connectors.files import FilesConfig, FilesConnector
    from tests.contract.suite import push
    from tests.helpers import reference_programme

    async def export() -> None:
        from connectors.http import build_client
        from sync.protocol import ConnectorContext, RequestCounter

        counter = RequestCounter()
        ctx = ConnectorContext("exports", build_client("exports", counter), counter, "fr", tmp_path)
        await push(FilesConnector("exports", FilesConfig(type="files", path="out"), ctx), reference_programme())
        await ctx.close_http()

    asyncio.run(export())
    imported = parse_frab_json((tmp_path / "out" / "programme.json").read_text(encoding="utf-8"), "programme.json")
    original = reference_programme()
    assert set(imported.sessions) == set(original.sessions)
    for key, session in original.sessions.items():
        other = imported.sessions[key]
        assert (other.title, other.start, other.end, other.hosts) == (session.title, session.start, session.end,
                                                                       session.hosts)
    assert {v.name for v in imported.venues.values()} == {v.name for v in original.venues.values()
                                                          if any(s.venue == v.id for s in original.sessions.values())}


def test_frab_json_that_is_not_a_schedule() -> None:
    with pytest.raises(InputError, match=r"schedule\.json: not a frab schedule JSON"):
        parse_frab_json(json.dumps({"hello": 1}), "schedule.json")


def test_yaml_anchors_and_merge_keys_work() -> None:
    text = """
x-defaults: &atelier {venue: v, track: Chantiers, format: atelier}
event: {id: e, title: Rencontre, timezone: Europe/Paris}
venues: [{id: v, name: Salle commune}]
sessions:
  - <<: *atelier
    id: s
    title: Un atelier
    start: 2021-11-12T09:00
    end: 2021-11-12T10:00
    hosts: [Collectif A, 42]
"""
    session = parse_programme_yaml(text, "p.yaml").sessions["s"]
    assert (session.venue, session.track, session.format, session.hosts) == ("v", "Chantiers", "atelier",
                                                                            ("Collectif A", "42"))
    [problem] = problems(text.replace("x-defaults:", "defaults:"))
    assert "field 'defaults'" in problem and "x-" in problem
