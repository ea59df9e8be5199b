"""A sync costs what changed: a round reads the stored sessions and links it looks at, not all
of them, and the programme file hands the merge only the sessions whose version changed.

The reads are counted at the state store (every session or every link of a connector read at
once), so these tests fail the day a stage starts walking the whole programme again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.programme_file import ProgrammeFileConfig, ProgrammeFileConnector
from hub.runtime import build_engine, load_settings
from sync.lazy import Lazy, LinkHead, Overlay, SessionView
from sync.merge import SourceOutcome, reconcile
from sync.model import content_hash
from sync.protocol import ConnectorContext, Link, RequestCounter
from sync.report import Report
from sync.state import StateStore
from tests.doubles.memory import MemoryStore
from tests.helpers import write_config

CALENDAR = """
[connectors.calendar]
type = "memory"
store = "calendar"
fields = ["title", "start", "end", "venue", "status"]
"""
FILES = '\n[connectors.exports]\ntype = "files"\npath = "public"\n'
KEY = "atelier-culture-juridique"


@pytest.fixture
def whole_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of what was read whole from the state store: ``sessions``, or a connector."""
    reads: list[str] = []
    load_sessions, links = StateStore.load_sessions, StateStore.links

    def every_session(self: StateStore) -> dict[str, dict[str, Any]]:
        reads.append("sessions")
        return load_sessions(self)

    def every_link(self: StateStore, connector: str, collection: str,
                   keys: Collection[str] | None = None) -> dict[str, Link]:
        if keys is None:
            reads.append(connector)
        return links(self, connector, collection, keys)

    monkeypatch.setattr(StateStore, "load_sessions", every_session)
    monkeypatch.setattr(StateStore, "links", every_link)
    yield reads


async def sync(config: Path) -> Report:
    engine = build_engine(load_settings(config))
    try:
        return await engine.sync()
    finally:
        engine.store.close()


def move(programme: Path, key: str) -> None:
    """The session one hour later, edited in the file's text as an organiser would."""
    text = programme.read_text(encoding="utf-8")
    at = text.index(f"id: {key}")
    for name in ("start", "end"):
        index = text.index(f"{name}: ", at)
        end = text.index("\n", index)
        value = text[index + len(name) + 2:end].strip().strip("'\"")
        hour = int(value[11:13]) + 1
        text = text[:index] + f"{name}: {value[:11]}{hour:02d}{value[13:]}" + text[end:]
    programme.write_text(text, encoding="utf-8")


async def test_a_sync_where_nothing_changed_reads_no_session_and_no_link(
    tmp_path: Path, whole_reads: list[str]
) -> None:
    config = write_config(tmp_path, CALENDAR + FILES)
    await sync(config)
    whole_reads.clear()
    report = await sync(config)
    assert not report.failed and report.changes == []
    assert whole_reads == []


async def test_one_edited_session_is_all_a_round_reads_without_a_document_sink(
    tmp_path: Path, whole_reads: list[str]
) -> None:
    config = write_config(tmp_path, CALENDAR)
    await sync(config)
    calendar = MemoryStore.named("calendar")
    move(tmp_path / "programme.yaml", KEY)
    whole_reads.clear()
    report = await sync(config)
    assert [c.session for c in report.changes] == [KEY]
    assert report.connectors["calendar"].updated == 1
    assert calendar.items[KEY].fields["start"] == "2021-11-13T15:00:00+01:00"
    assert whole_reads == []


async def test_the_files_sink_still_renders_the_whole_programme_after_one_edit(tmp_path: Path) -> None:
    config = write_config(tmp_path, FILES)
    await sync(config)
    page = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    move(tmp_path / "programme.yaml", KEY)
    report = await sync(config)
    assert report.connectors["exports"].updated == 1
    after = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    assert after.count('<li class="session"') == page.count('<li class="session"') > 20


async def test_the_programme_file_pulls_only_what_changed_since_its_links(tmp_path: Path) -> None:
    write_config(tmp_path)
    source = ProgrammeFileConnector("programme", ProgrammeFileConfig(path="programme.yaml"),
                                    ConnectorContext("programme", None, RequestCounter(), base_dir=tmp_path))  # type: ignore[arg-type]
    first = await source.pull(None, {}, None)  # type: ignore[arg-type]
    links = {item.key: Link("programme", "sessions", item.key, item.remote_id, item.version)
             for item in first.items if item.key is not None}
    assert len(links) > 20 and first.deleted == []
    move(tmp_path / "programme.yaml", KEY)
    stored = Lazy.of(links, lambda link: LinkHead(link.remote_id, link.remote_version))
    edited = await source.pull(first.cursor, stored, None)  # type: ignore[arg-type]
    assert [item.key for item in edited.items] == [KEY] and edited.deleted == []
    assert edited.meta == first.meta, "the event, days and venues always come along"
    links["gone-session"] = Link("programme", "sessions", "gone-session", "gone-session", "x")
    again = await source.pull(first.cursor, links, None)  # type: ignore[arg-type]
    assert [item.key for item in again.items] == [KEY] and again.deleted == ["gone-session"]


def test_reconcile_copies_only_the_sessions_it_touches() -> None:
    records = {f"s{n}": {"id": f"s{n}", "title": f"T{n}"} for n in range(50)}
    fetched: list[Collection[str] | None] = []

    def fetch(keys: Collection[str] | None) -> dict[str, dict[str, Any]]:
        fetched.append(keys)
        return {k: records[k] for k in (records if keys is None else keys)}

    canonical = Lazy(lambda: {k: content_hash(r) for k, r in records.items()}, fetch)
    outcome = SourceOutcome("file", proposals={("s3", "title"): "New"}, removals={"s4"},
                            additions={"s99": {"id": "s99", "title": "Added"}})
    merged = reconcile(canonical, [outcome])
    assert set(merged.changed) == {"s3", "s4", "s99"}
    assert None not in fetched, "no stage read every session"
    assert merged.sessions["s3"]["title"] == "New" and "s4" not in merged.sessions
    assert len(merged.sessions) == 50 and sorted(merged.sessions)[-1] == "s99"
    assert dict(merged.sessions.items()) == {**{k: r for k, r in records.items() if k != "s4"},
                                             "s3": {"id": "s3", "title": "New"},
                                             "s99": {"id": "s99", "title": "Added"}}


def test_the_lazy_mappings_answer_like_dicts() -> None:
    records = {"a": {"id": "a", "title": "A", "start": "2021-11-12T10:00:00+01:00",
                     "end": "2021-11-12T11:00:00+01:00"}}
    lazy = Lazy.of(records)
    assert "a" in lazy and "b" not in lazy and lazy.get("b") is None and len(lazy) == 1
    overlay = Overlay(lazy, {"a": None, "b": {**records["a"], "id": "b"}})
    assert list(overlay) == ["b"] and "a" not in overlay and len(overlay) == 1
    with pytest.raises(KeyError):
        overlay["a"]
    sessions = SessionView(overlay, None)
    assert [s.id for s in sessions.values()] == ["b"] and sessions["b"] is sessions["b"]


async def test_one_edited_session_is_the_only_item_of_the_programme_file_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sync.programme_chunks as chunks
    import sync.programme_reader as reader

    config = write_config(tmp_path, CALENDAR)
    move(tmp_path / "programme.yaml", KEY)
    await sync(config)  # the first reading parses every item and keeps what each gave
    move(tmp_path / "programme.yaml", "accueil-meteo")
    parsed: list[str] = []
    whole: list[str] = []
    compose = chunks.compose_yaml

    def counted(text: str, file: str) -> Any:
        parsed.append(text.split("\n", 1)[0])
        return compose(text, file)

    monkeypatch.setattr(chunks, "compose_yaml", counted)
    monkeypatch.setattr(reader, "parse_programme_yaml", lambda *a: whole.append("file") or pytest.fail("read whole"))
    report = await sync(config)
    assert [c.session for c in report.changes] == ["accueil-meteo"]
    assert whole == [] and len(parsed) == 2, "the head and the one edited item, nothing else"
    assert "accueil-meteo" in parsed[1]


async def test_one_edited_session_is_all_the_files_sink_reads_and_renders(
    tmp_path: Path, whole_reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectors.files import FilesConnector

    config = write_config(tmp_path, FILES)
    await sync(config)
    page = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    rendered: list[str] = []
    fragment = FilesConnector._fragment

    def counted(self: FilesConnector, session: Any, *args: Any) -> Any:
        rendered.append(session.id)
        return fragment(self, session, *args)

    monkeypatch.setattr(FilesConnector, "_fragment", counted)
    move(tmp_path / "programme.yaml", KEY)
    whole_reads.clear()
    report = await sync(config)
    assert report.connectors["exports"].updated == 1
    assert rendered == [KEY] and whole_reads == [], "one session rendered, no session or link read whole"
    after = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    assert after.count('<li class="session"') == page.count('<li class="session"') > 20
    assert "15:00" in after.split(f'id="{KEY}"')[1].split("</li>")[0] or "15 h" in after.split(f'id="{KEY}"')[1]
