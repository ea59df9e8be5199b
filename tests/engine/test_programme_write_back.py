"""The programme file kept current (``write_back``): what another tool changed is written into the
organiser's YAML, with everything around it untouched, once; a person's edit is never overwritten."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from config.settings import ConnectorSettings, HubSection
from connectors.programme_file import ProgrammeFileConfig, ProgrammeFileConnector
from hub.runtime import PROGRAMME_SOURCE, build_connector, build_connectors, build_engine, load_settings, open_store
from sync.engine import Engine
from sync.model import Programme
from sync.protocol import Capability, Op, OpResult, RequestCounter
from sync.report import Report
from tests.doubles.memory import MemoryStore
from tests.helpers import edit_programme, write_config

CALENDAR = """
[connectors.calendar]
type = "memory"
store = "calendar"
owns = ["start", "end", "venue", "status", "existence"]
fields = ["title", "start", "end", "venue", "status"]
"""
FILES = '\n[connectors.exports]\ntype = "files"\npath = "public"\n'
#: Once ``[hub] programme_write_back`` is wired to the programme file, these tests go through it.
WIRED = "programme_write_back" in HubSection.model_fields


def setup(folder: Path, connectors: str = CALENDAR, *, write_back: bool = True) -> Path:
    extra = f"programme_write_back = {'true' if write_back else 'false'}" if WIRED else ""
    return write_config(folder, connectors, hub_extra=extra)


def engine(config: Path, *, write_back: bool = True) -> Engine:
    """The engine ``hub sync`` builds, the programme file writing back when asked."""
    settings = load_settings(config)
    if WIRED:
        return build_engine(settings)
    store = open_store(settings)
    counter = RequestCounter()
    source = ConnectorSettings(PROGRAMME_SOURCE, ProgrammeFileConfig(
        path=settings.hub.programme or "", review=settings.hub.programme_review, write_back=write_back))
    connectors = [build_connector(source, settings, counter, store=store),
                  *build_connectors(settings, counter, store=store, with_programme=False)]
    return Engine(settings, store, connectors, counter)


async def sync(config: Path, *, write_back: bool = True) -> Report:
    run = engine(config, write_back=write_back)
    try:
        return await run.sync()
    finally:
        run.store.close()


def changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def quiet(report: Report) -> bool:
    """Nothing merged, nothing planned, nothing written anywhere."""
    written = sum(r.created + r.updated + r.deleted for r in report.connectors.values())
    return report.changes == [] and report.operations() == [] and written == 0 and not report.failed


async def test_a_calendar_edit_is_written_into_the_file_and_nothing_else_changes(tmp_path: Path) -> None:
    config = setup(tmp_path, CALENDAR + FILES)
    await sync(config)
    programme = tmp_path / "programme.yaml"
    before = programme.read_text(encoding="utf-8")
    MemoryStore.named("calendar").edit("atelier-culture-juridique", start="2021-11-13T15:00:00+01:00")
    report = await sync(config)
    assert [(c.session, c.kind) for c in report.changes] == [("atelier-culture-juridique", "retimed")]
    assert report.connectors["programme"].updated == 1 and report.connectors["exports"].updated == 1
    after = programme.read_text(encoding="utf-8")
    assert changed_lines(before, after) == ["-    start: 2021-11-13T14:00      # assumed",
                                            "+    start: 2021-11-13T15:00      # assumed"]
    again = await sync(config)
    assert quiet(again), again.to_json()
    assert programme.read_text(encoding="utf-8") == after, "the next sync writes nothing"


async def test_without_write_back_the_file_is_left_alone(tmp_path: Path) -> None:
    config = setup(tmp_path, write_back=False)
    await sync(config, write_back=False)
    before = (tmp_path / "programme.yaml").read_bytes()
    MemoryStore.named("calendar").edit("atelier-culture-juridique", start="2021-11-13T15:00:00+01:00")
    report = await sync(config, write_back=False)
    assert [c.session for c in report.changes] == ["atelier-culture-juridique"]
    assert (tmp_path / "programme.yaml").read_bytes() == before
    assert "programme" not in report.planned


async def test_sessions_added_and_removed_elsewhere_are_added_and_removed_in_the_file(tmp_path: Path) -> None:
    config = setup(tmp_path)
    await sync(config)
    programme = tmp_path / "programme.yaml"
    before = programme.read_text(encoding="utf-8")
    calendar = MemoryStore.named("calendar")
    calendar.remove("cloture-8-pillards")
    calendar.add("apero", None, {"title": "Apéro de clôture", "start": "2021-11-14T18:00:00+01:00",
                        "end": "2021-11-14T19:30:00+01:00", "venue": "friche-belle-de-mai", "status": "scheduled"})
    report = await sync(config)
    assert {(c.session, c.kind) for c in report.changes} == {("cloture-8-pillards", "removed"),
                                                            ("apero-de-cloture", "added")}
    after = programme.read_text(encoding="utf-8")
    diff = changed_lines(before, after)
    added = ["  - id: apero-de-cloture", "    title: Apéro de clôture", "    start: 2021-11-14T18:00",
             "    end: 2021-11-14T19:30", "    venue: friche-belle-de-mai"]
    assert [line for line in diff if line.startswith("+")] == ["+" + line for line in added]
    assert after.endswith("    format: repas\n" + "\n".join(added) + "\n"), "appended to sessions:"
    removed = [line for line in diff if line.startswith("-")]
    assert removed[0] == "-  - id: cloture-8-pillards" and len(removed) == 7
    assert "    kind: workshop\n\n  # ---- Sunday 14 November" in after, "the heading after it stays"
    assert quiet(await sync(config))


async def test_an_edit_saved_between_the_pull_and_the_write_is_not_overwritten(tmp_path: Path) -> None:
    config = setup(tmp_path)
    await sync(config)
    MemoryStore.named("calendar").edit("atelier-culture-juridique", start="2021-11-13T15:00:00+01:00")
    run = engine(config)
    source = run.connectors[0]
    assert isinstance(source, ProgrammeFileConnector) and Capability.WRITE in source.capabilities
    original = source.apply
    calls: list[list[str]] = []

    async def person_saves_first(ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        if not calls:  # an organiser saves the file just before the hub writes to it
            edit_programme(tmp_path, "restitution", title="Restitution des rencontres")
        calls.append([op.key for op in ops])
        return await original(ops, programme)

    source.apply = person_saves_first  # type: ignore[method-assign]
    try:
        report = await run.sync()
    finally:
        run.store.close()
    assert calls == [["atelier-culture-juridique"], ["atelier-culture-juridique"]], "refused, then done"
    text = (tmp_path / "programme.yaml").read_text(encoding="utf-8")
    assert "    title: Restitution des rencontres\n" in text, "the person's edit is still there"
    assert "    start: 2021-11-13T15:00      # assumed\n" in text, "and the calendar's too"
    assert {c.session for c in report.changes} == {"atelier-culture-juridique", "restitution"}
    follow = await sync(config)  # the calendar sat the retry round out: it gets the title now
    assert MemoryStore.named("calendar").items["restitution"].fields["title"] == "Restitution des rencontres"
    assert follow.changes == [] and follow.connectors["programme"].updated == 0
    assert quiet(await sync(config))


async def test_the_same_field_saved_meanwhile_becomes_a_conflict_not_an_overwrite(tmp_path: Path) -> None:
    config = setup(tmp_path)
    await sync(config)
    MemoryStore.named("calendar").edit("atelier-culture-juridique", start="2021-11-13T15:00:00+01:00")
    run = engine(config)
    source = run.connectors[0]
    original = source.apply
    saved: list[bytes] = []

    async def person_saves_first(ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        if not saved:  # the organiser moves the same session, to 16:00, in their editor
            edit_programme(tmp_path, "atelier-culture-juridique", start="2021-11-13T16:00      # moved")
            saved.append((tmp_path / "programme.yaml").read_bytes())
        return await original(ops, programme)

    source.apply = person_saves_first  # type: ignore[method-assign]
    try:
        report = await run.sync()
    finally:
        run.store.close()
    assert (tmp_path / "programme.yaml").read_bytes() == saved[0], "their 16:00 stays"
    assert {(c.session, c.field) for c in report.conflicts} == {("atelier-culture-juridique", "start")}


async def test_a_conflict_leaves_the_organisers_value_in_the_file(tmp_path: Path) -> None:
    config = setup(tmp_path)
    await sync(config)
    edit_programme(tmp_path, "atelier-municipalisme", start="2021-11-13T14:30")
    MemoryStore.named("calendar").edit("atelier-municipalisme", start="2021-11-13T15:00:00+01:00")
    before = (tmp_path / "programme.yaml").read_bytes()
    report = await sync(config)
    assert {(c.session, c.field) for c in report.conflicts} == {("atelier-municipalisme", "start")}
    assert (tmp_path / "programme.yaml").read_bytes() == before
    assert report.connectors["programme"].updated == 0


async def test_plan_writes_nothing_into_the_file(tmp_path: Path) -> None:
    config = setup(tmp_path)
    await sync(config)
    before = (tmp_path / "programme.yaml").read_bytes()
    MemoryStore.named("calendar").edit("restitution", start="2021-11-12T16:00:00+01:00")
    run = engine(config)
    try:
        report = await run.plan()
    finally:
        run.store.close()
    assert [(op["connector"], op["action"], op["session"]) for op in report.operations()
            if op["connector"] == "programme"] == [("programme", "update", "restitution")]
    assert (tmp_path / "programme.yaml").read_bytes() == before


async def test_write_back_to_a_json_schedule_is_refused_with_a_reason(tmp_path: Path,
                                                                      make_context: Any) -> None:
    (tmp_path / "schedule.json").write_text('{"schedule": {"conference": {"title": "X", "days": []}}}',
                                            encoding="utf-8")
    connector = ProgrammeFileConnector("programme", ProgrammeFileConfig(path="schedule.json", write_back=True),
                                       make_context("programme", "en"))
    programme = (await connector.pull(None, {}, _empty())).meta
    assert programme is not None
    results = await connector.apply([Op("delete", "a", None)], _empty())
    assert "writes back to a YAML file only" in str(results[0])


def _empty() -> Programme:
    from sync.model import Event

    return Programme(Event(id="x", title="X", timezone="UTC"), (), {}, {})
