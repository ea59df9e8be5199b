"""The files sink renders only the sessions that changed and takes the others' pieces from the
files it wrote: after any series of changes, its three files are byte for byte what rendering
everything (from the same fragment cache) writes."""

from __future__ import annotations

import copy
import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.files import FilesConnector
from sync.model import Programme, Session
from tests.helpers import reference_programme
from tests.unit.test_exports import WRITTEN, MemoryState, export, published

REFERENCE = reference_programme()
KEYS = sorted(REFERENCE.sessions)


def changed(programme: Programme, kind: str, key: str, step: int) -> tuple[Programme, list[str]]:
    """``programme`` with one change of ``kind`` to session ``key``; the keys to push."""
    sessions: dict[str, Session] = dict(programme.sessions)
    if key not in sessions and kind != "add":
        kind = "add"
    session = sessions.get(key) or REFERENCE.sessions[KEYS[0]]
    if kind == "move":
        sessions[key] = session.with_fields({"start": (session.start + timedelta(hours=step % 5 - 2)).isoformat(),
                                             "end": (session.end + timedelta(hours=step % 5 - 2)).isoformat()})
    elif kind == "title":
        sessions[key] = session.with_fields({"title": f"{session.title} ({step}) <b>&</b>"})
    elif kind == "cancel":
        sessions[key] = session.with_fields({"status": "cancelled"})
    elif kind == "venue":
        venue = sorted(programme.venues)[step % len(programme.venues)]
        sessions[key] = session.with_fields({"venue": venue})
    elif kind == "next-day":
        sessions[key] = session.with_fields({"start": (session.start + timedelta(days=1)).isoformat(),
                                             "end": (session.end + timedelta(days=1)).isoformat()})
    elif kind == "none":  # pushed again unchanged: only the page's "updated" line would differ
        pass
    elif kind == "delete":
        del sessions[key]
        key = sorted(sessions)[0]  # (the engine's delete op reaches the sink; here an update of another)
    else:
        new = f"nouvelle-{step}"
        sessions[new] = session.with_fields({"id": new, "title": f"Nouvelle {step}"})
        key = new
    return Programme(programme.event, programme.days, programme.venues, sessions), [key]


CHANGES = st.lists(st.tuples(st.sampled_from(["move", "title", "cancel", "venue", "next-day", "delete", "add", "none"]),
                             st.sampled_from(KEYS)), min_size=1, max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(changes=CHANGES, language=st.sampled_from(["fr", "en"]))
def test_files_after_changes_are_those_of_a_full_rendering(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, changes: list[tuple[str, str]],
    language: str,
) -> None:
    incremental, whole = tmp_path_factory.mktemp("incremental"), tmp_path_factory.mktemp("whole")
    state = MemoryState()
    renders: list[str] = []
    render = FilesConnector._render

    def counted(self: FilesConnector, *args: Any) -> Any:
        renders.append("all")
        return render(self, *args)

    monkeypatch.setattr(FilesConnector, "_render", counted)
    programme = REFERENCE
    links = export(incremental, programme, language, state=state, base_url="https://example.org/prog/")
    for step, (kind, key) in enumerate(changes, start=1):
        programme, keys = changed(programme, kind, key, step)
        at = WRITTEN + timedelta(minutes=23 * step)  # (the "updated" line's length changes at 10:00)
        # The same files and the same fragment cache, without the layout: the sink renders all.
        shutil.rmtree(whole / "public", ignore_errors=True)
        shutil.copytree(incremental / "public", whole / "public")
        alone = MemoryState()
        alone.data = {name: copy.deepcopy(value) for name, value in state.data.items() if name != "layout"}
        renders.clear()
        before = dict(links)
        links = export(incremental, programme, language, state=state, links=before, keys=keys, at=at,
                       base_url="https://example.org/prog/")
        assert renders == [], "only the changed sessions rendered"
        export(whole, programme, language, state=alone, links=before, keys=keys, at=at,
               base_url="https://example.org/prog/")
        assert renders == ["all"]
        assert published(incremental) == published(whole)
    document = json.loads((incremental / "public" / "programme.json").read_text(encoding="utf-8"))
    slugs = [e["slug"] for d in document["schedule"]["conference"]["days"] for r in d["rooms"].values() for e in r]
    assert sorted(slugs) == sorted(programme.sessions)


def test_a_file_changed_by_hand_is_rendered_whole_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = MemoryState()
    links = export(tmp_path, REFERENCE, state=state)
    ics = tmp_path / "public" / "programme.ics"
    ics.write_bytes(ics.read_bytes().replace(b"SUMMARY:", b"SUMMARY:x", 1))
    renders: list[str] = []
    render = FilesConnector._render
    monkeypatch.setattr(FilesConnector, "_render", lambda self, *a: renders.append("all") or render(self, *a))
    programme, keys = changed(REFERENCE, "title", KEYS[3], 1)
    export(tmp_path, programme, state=state, links=links, keys=keys)
    assert renders == ["all"]
    assert b"SUMMARY:x" not in ics.read_bytes()
