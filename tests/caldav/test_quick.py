"""The quick no-op check with a CalDAV calendar (:mod:`connectors.caldav_probe`), on real servers.

A calendar where nothing changed costs the check the one sync-token REPORT the full sync would
send; an event a person moved, added or removed makes the check run the full sync, which merges
it. Whenever the check says "nothing to do", a full sync run right after must do nothing.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.caldav import CURSOR_VERSION, AfterWrites, CalendarConnector, Cursor, links_digest
from connectors.caldav_probe import AFTER_WRITES, start_token
from connectors.caldav_probe import CURSOR_VERSION as PROBE_VERSION
from connectors.caldav_probe import links_digest as probe_digest
from connectors.registry import quick_probe
from hub.quickstart import Verdict, kept_file, quick_sync
from hub.runtime import build_engine, load_settings
from sync.quick import NoOp, nothing_to_do
from sync.report import Report
from tests.caldav.conftest import CalDAVServer
from tests.caldav.person import Person
from tests.caldav.test_hub_sync import calendar_config, exported_start
from tests.helpers import edit_programme
from tests.unit.test_lean_start import HEAVY, loaded_after


def sync(config: Path) -> Report:
    settings = load_settings(config, environ={})
    engine = build_engine(settings)
    try:
        return asyncio.run(engine.sync())
    finally:
        engine.store.close()


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The methods of the requests the quick check sends (``connectors.caldav_probe`` sends them
    with ``http.client``; the full sync's go through ``connectors.davhttp`` and are not these)."""
    sent: list[str] = []
    original = http.client.HTTPConnection.request

    def counted(self: http.client.HTTPConnection, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        if sys._getframe(1).f_globals.get("__name__") == "connectors.caldav_probe":
            sent.append(method)
        original(self, method, url, *args, **kwargs)

    monkeypatch.setattr(http.client.HTTPConnection, "request", counted)
    yield sent


def check_then_sync(config: Path) -> tuple[NoOp | None, Report]:
    verdict = nothing_to_do(load_settings(config, environ={}), quick_probe)
    report = sync(config)
    if verdict is not None:
        written = sum(r.created + r.updated + r.deleted for r in report.connectors.values())
        assert not (written or report.changes or report.problems), report.to_json()
    return verdict, report


def test_an_unchanged_calendar_costs_one_report(
    tmp_path: Path, caldav_server: CalDAVServer, calendar_url: str, requests: list[str]
) -> None:
    config = calendar_config(tmp_path, caldav_server, calendar_url)
    assert sync(config).connectors["calendar"].created == 22
    requests.clear()
    # Right after the sync that wrote: the position after its writes is where the check starts.
    verdict, _ = check_then_sync(config)
    assert requests == ["REPORT"]
    assert verdict is not None
    assert verdict.to_json()["connectors"]["calendar"] == {
        "created": 0, "updated": 0, "deleted": 0, "unchanged": 22, "failed": 0, "requests": 1}
    requests.clear()
    verdict, _ = check_then_sync(config)
    assert (verdict is not None, requests) == (True, ["REPORT"])


def test_after_the_hub_updated_events_the_check_still_costs_one_report(
    tmp_path: Path, caldav_server: CalDAVServer, calendar_url: str, requests: list[str]
) -> None:
    """A sync that only updated events reads no report after its writes: the check finds them in
    its answer at the versions the links hold, the hub's own, and still says nothing to do."""
    config = calendar_config(tmp_path, caldav_server, calendar_url)
    sync(config)
    edit_programme(tmp_path, "restitution", title='"Restitution collective"')
    assert sync(config).connectors["calendar"].updated == 1
    requests.clear()
    verdict, _ = check_then_sync(config)
    assert (verdict is not None, requests) == (True, ["REPORT"])
    Person(caldav_server, calendar_url).move("restitution", 1)  # a person's edit still counts
    verdict, _ = check_then_sync(config)
    assert verdict is None


@pytest.mark.parametrize("change", ["move", "add", "delete"])
def test_a_change_in_the_calendar_runs_the_full_sync(
    tmp_path: Path, caldav_server: CalDAVServer, calendar_url: str, change: str
) -> None:
    config = calendar_config(tmp_path, caldav_server, calendar_url)
    sync(config)
    sync(config)
    person = Person(caldav_server, calendar_url)
    if change == "move":
        person.move("restitution", 1)
    elif change == "add":
        person.add_own_event("Un café", datetime(2021, 11, 13, 10, tzinfo=UTC))
    else:
        person.delete("restitution")
    verdict, report = check_then_sync(config)
    assert verdict is None
    if change == "move":
        assert exported_start(tmp_path, "restitution").startswith("2021-11-12T16:30:00")
    if change == "delete":
        assert report.connectors["calendar"].created == 1  # put back: the calendar does not own existence
    verdict, _ = check_then_sync(config)
    assert verdict is not None


def test_a_calendar_that_cannot_answer_runs_the_full_sync(
    tmp_path: Path, caldav_server: CalDAVServer, calendar_url: str
) -> None:
    config = calendar_config(tmp_path, caldav_server, calendar_url)
    sync(config)
    (tmp_path / "secrets" / "caldav").write_text("a-wrong-password-for-tests\n")
    verdict, report = check_then_sync(config)
    assert verdict is None
    assert report.connectors["calendar"].error  # the full sync says what went wrong
    (tmp_path / "secrets" / "caldav").write_text(caldav_server.password + "\n")
    verdict, _ = check_then_sync(config)
    assert verdict is None  # the failed sync left no record of a clean one
    assert nothing_to_do(load_settings(config, environ={}), quick_probe) is not None


def test_the_probe_reads_the_cursor_as_the_connector_writes_it() -> None:
    assert (PROBE_VERSION, AFTER_WRITES) == (CURSOR_VERSION, CalendarConnector.AFTER_WRITES)
    linked = {"/hub/cal/b.ics": '"2"', "/hub/cal/a.ics": '"1"'}
    assert probe_digest(linked) == links_digest(linked)
    cursor = Cursor(mode="sync", token="http://radicale.org/ns/sync/42", linked=links_digest(linked)).encode()
    assert start_token(cursor, None, linked) == "http://radicale.org/ns/sync/42"
    assert start_token(cursor, None, {**linked, "/hub/cal/c.ics": None}) is None  # the pull would list
    assert start_token(Cursor(mode="ctag", ctag="7", linked=links_digest(linked)).encode(), None, linked) is None
    assert start_token(None, None, linked) is None
    moved = Cursor(mode="sync", token="t2", linked=links_digest(linked), foreign={"/hub/cal/f.ics": '"9"'}).encode()
    # After the hub's writes: what the report showed beside them, at versions already known.
    known = AfterWrites(cursor, moved, changed={"/hub/cal/a.ics": '"1"', "/hub/cal/f.ics": '"9"'}).dump()
    assert start_token(cursor, json.loads(json.dumps(known)), linked) == "t2"
    assert start_token("another cursor", known, linked) is None
    for unknown in (AfterWrites(cursor, moved, changed={"/hub/cal/a.ics": '"3"'}),
                    AfterWrites(cursor, moved, changed={"/hub/cal/x.ics": '"1"'}),
                    AfterWrites(cursor, moved, changed={"/hub/cal/a.ics": None}),
                    AfterWrites(cursor, moved, deleted={"/hub/cal/b.ics"})):
        assert start_token(cursor, unknown.dump(), linked) is None


def test_hub_sync_asks_the_calendar_without_its_libraries(tmp_path: Path, radicale: CalDAVServer) -> None:
    config = calendar_config(tmp_path, radicale, radicale.new_calendar())
    sync(config)
    body = f"""
import contextlib, io, sys
from hub.cli import cli
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        cli.main(["sync", "--config", {str(config)!r}, "--json"], prog_name="hub", standalone_mode=False)
    except SystemExit as exc:
        assert exc.code == 0, exc.code
report = json.loads(out.getvalue())
assert report["connectors"]["calendar"]["requests"] == 1, report
assert "sync.engine" not in sys.modules
"""
    loaded = loaded_after(body, tmp_path)
    assert loaded & {*HEAVY, "niquests", "requests", "lxml"} == set()


def hub_sync(config: Path) -> int:
    """``hub sync`` as the command line runs it, in this process (its requests are counted)."""
    from hub.cli import main

    argv = sys.argv
    sys.argv = ["hub", "sync", "--config", str(config)]
    try:
        main()
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        sys.argv = argv
    return 0


def test_the_kept_settings_probe_once_and_a_change_is_not_asked_twice(
    tmp_path: Path, caldav_server: CalDAVServer, calendar_url: str, requests: list[str]
) -> None:
    """After one ``hub sync`` (which keeps what the check reads of its settings, the password's
    file by name only), the quick start asks the calendar with its one REPORT; when a person
    changed the calendar, the full sync runs without a second probe."""
    config = calendar_config(tmp_path, caldav_server, calendar_url)
    sync(config)
    assert hub_sync(config) == 0  # validates the settings, keeps them
    kept = kept_file(config.resolve(), os.environ)
    assert kept is not None
    assert caldav_server.password not in kept.read_text(encoding="utf-8")
    requests.clear()
    assert quick_sync(str(config), as_json=False) is Verdict.NOTHING
    assert requests == ["REPORT"]
    Person(caldav_server, calendar_url).move("restitution", 1)
    requests.clear()
    assert hub_sync(config) == 0
    assert requests == ["REPORT"]  # the quick start's: the full sync does not probe again
    assert exported_start(tmp_path, "restitution").startswith("2021-11-12T16:30:00")
    requests.clear()
    assert quick_sync(str(config), as_json=False) is Verdict.NOTHING
