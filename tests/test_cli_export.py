"""``hub export``: the programme the state store holds, as YAML that reads back the same, as the ICS
and frab JSON the files connector writes; a clear refusal before the first sync."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import click
import jsonschema
import pytest
from click.testing import CliRunner, Result
from icalendar import Calendar

from hub.export import export
from hub.runtime import build_engine, load_settings
from sync.programme_reader import parse_programme_text
from tests.doubles.memory import MemoryStore
from tests.helpers import REPO, reference_programme, write_config

FILES = '\n[connectors.exports]\ntype = "files"\npath = "public"\n'
CALENDAR = """
[connectors.calendar]
type = "memory"
store = "calendar"
owns = ["start", "end"]
fields = ["title", "start", "end", "venue", "status"]
"""
SCHEMA = json.loads((REPO / "tests" / "data" / "c3voc-schedule-schema.json").read_text(encoding="utf-8"))


def as_command() -> click.Command:
    return export


def in_a_group() -> click.Command:
    """The way ``hub`` registers it: ``cli.add_command(export)``."""
    group = click.Group("hub")
    group.add_command(export)
    return group


Invoke = Callable[..., Result]


@pytest.fixture(params=[as_command, in_a_group], ids=["command", "group"])
def invoke(request: pytest.FixtureRequest) -> Invoke:
    command = request.param()

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        argv = ["export", *args] if isinstance(command, click.Group) else list(args)
        return CliRunner().invoke(command, argv, env=env, catch_exceptions=False)

    return run


async def synced(folder: Path, connectors: str = FILES) -> Path:
    config = write_config(folder, connectors)
    engine = build_engine(load_settings(config))
    try:
        await engine.sync()
    finally:
        engine.store.close()
    return config


async def test_yaml_reads_back_as_the_reference_programme(tmp_path: Path, invoke: Invoke) -> None:
    config = await synced(tmp_path)
    result = invoke("--format", "yaml", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert parse_programme_text(result.stdout, "export.yaml") == reference_programme()


async def test_yaml_holds_what_another_tool_changed(tmp_path: Path, invoke: Invoke) -> None:
    config = await synced(tmp_path, FILES + CALENDAR)
    MemoryStore.named("calendar").edit("atelier-culture-juridique", start="2021-11-13T15:00:00+01:00")
    engine = build_engine(load_settings(config))
    try:
        await engine.sync()
    finally:
        engine.store.close()
    out = tmp_path / "out" / "programme.yaml"
    result = invoke("--config", str(config), "--output", str(out))
    assert result.exit_code == 0, result.output
    exported = parse_programme_text(out.read_text(encoding="utf-8"), str(out))
    assert exported.sessions["atelier-culture-juridique"].start.hour == 15
    assert "  - id: atelier-culture-juridique\n    title: Culture juridique\n    start: 2021-11-13T15:00\n" in \
        out.read_text(encoding="utf-8")
    ics = invoke("--config", str(config), "--format", "ics")
    event = next(e for e in Calendar.from_ical(ics.stdout).walk("VEVENT")
                 if str(e["X-HUB-ID"]) == "atelier-culture-juridique")
    assert int(event["SEQUENCE"]) == 1, "one change since it was added"
    written = Calendar.from_ical((tmp_path / "public" / "programme.ics").read_bytes())
    assert int(next(e for e in written.walk("VEVENT") if str(e["X-HUB-ID"]) == "atelier-culture-juridique")
               ["SEQUENCE"]) == 1, "as the files connector numbers it"


async def test_ics_is_the_calendar_the_files_connector_writes(tmp_path: Path, invoke: Invoke) -> None:
    config = await synced(tmp_path)
    result = invoke("--format", "ics", "--config", str(config))
    assert result.exit_code == 0, result.output
    calendar = Calendar.from_ical(result.stdout)
    events = {str(e["X-HUB-ID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == set(reference_programme().sessions)
    assert events["atelier-culture-juridique"].decoded("dtstart").hour == 14
    assert int(events["atelier-culture-juridique"]["SEQUENCE"]) == 0

    def without_stamps(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("DTSTAMP")]

    written = (tmp_path / "public" / "programme.ics").read_text(encoding="utf-8")
    assert without_stamps(result.stdout) == without_stamps(written)
    again = invoke("--format", "ics", "--config", str(config))
    assert again.stdout == result.stdout, "the same state exports the same calendar"


async def test_json_is_the_frab_schedule_the_files_connector_writes(tmp_path: Path, invoke: Invoke) -> None:
    config = await synced(tmp_path)
    out = tmp_path / "schedule.json"
    result = invoke("--config", str(config), "-o", str(out))
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(document, SCHEMA)
    conference = document["schedule"]["conference"]
    assert conference["title"] == "Assemblée des communs" and len(conference["days"]) == 3
    slugs = {event["slug"] for day in conference["days"] for room in day["rooms"].values() for event in room}
    assert slugs == set(reference_programme().sessions)
    assert out.read_bytes() == (tmp_path / "public" / "programme.json").read_bytes()


def test_before_the_first_sync_it_says_so_in_french_and_english(tmp_path: Path, invoke: Invoke) -> None:
    config = write_config(tmp_path, FILES)
    french = invoke("--config", str(config))
    assert french.exit_code == 2
    assert "Pas encore de programme : lancez d'abord `hub sync`" in french.stderr
    english = invoke("--config", str(config), env={"HUB_HUB__LANGUAGE": "en"})
    assert english.exit_code == 2
    assert "No programme yet: run `hub sync` first" in english.stderr
    assert not (tmp_path / "state" / "hub.db").exists(), "asking creates no state database"


def test_an_empty_state_database_is_no_programme_either(tmp_path: Path, invoke: Invoke) -> None:
    config = write_config(tmp_path, FILES)
    from hub.runtime import open_store

    open_store(load_settings(config)).close()
    result = invoke("--config", str(config), "--format", "json")
    assert result.exit_code == 2 and "Pas encore de programme" in result.stderr


def test_a_bad_configuration_is_exit_2(tmp_path: Path, invoke: Invoke) -> None:
    config = tmp_path / "hub.toml"
    config.write_text("[hub]\nlanguage = 12\n", encoding="utf-8")
    result = invoke("--config", str(config))
    assert result.exit_code == 2 and result.stdout == ""
