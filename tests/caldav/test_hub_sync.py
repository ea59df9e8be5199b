"""``hub sync`` end to end with a real CalDAV calendar beside the programme file and the exports.

The calendar and the programme stay in step both ways: the programme appears in the calendar,
a sync with nothing new sends one request to the calendar, an event moved in a calendar app
reaches the canonical programme and the other sinks (the exported ICS and frab JSON), and a
calendar emptied by hand stops that connector instead of deleting the programme everywhere.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.caldav.conftest import CalDAVServer
from tests.caldav.person import Person
from tests.helpers import edit_programme, hub_json, write_config


def calendar_config(folder: Path, server: CalDAVServer, url: str) -> Path:
    (folder / "secrets").mkdir(parents=True, exist_ok=True)
    (folder / "secrets" / "caldav").write_text(server.password + "\n")
    verify = "true" if server.verify is True else json.dumps(server.verify)
    return write_config(
        folder,
        f"""
[connectors.calendar]
type = "caldav"
url = "{url}"
username = "{server.username}"
password_file = "secrets/caldav"
verify = {verify}
owns = ["start", "end", "venue", "status"]

[connectors.exports]
type = "files"
path = "public"
""",
    )


def figures(report: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(report["connectors"][name])


def exported_start(folder: Path, session_id: str) -> str:
    document = json.loads((folder / "public" / "programme.json").read_text(encoding="utf-8"))
    for day in document["schedule"]["conference"]["days"]:
        for talks in day["rooms"].values():
            for talk in talks:
                if talk["slug"] == session_id:
                    return str(talk["date"])
    raise AssertionError(f"{session_id} not exported")


async def test_calendar_and_programme_stay_in_step_through_hub_sync(
    tmp_path: Path, caldav_server: CalDAVServer, calendar_url: str
) -> None:
    config = str(calendar_config(tmp_path, caldav_server, calendar_url))

    first = hub_json("sync", "--config", config)
    cal = figures(first, "calendar")
    assert cal["created"] == 22 and cal["failed"] == 0
    # One listing, 22 conditional PUTs, and the sync report that moves past the hub's writes.
    assert cal["requests"] == 24

    # So the sync after the one that wrote costs the calendar one request, as every sync with
    # nothing new does.
    confirm = hub_json("sync", "--config", config)
    assert figures(confirm, "calendar")["requests"] == 1
    quiet = hub_json("sync", "--config", config)
    assert figures(quiet, "calendar") == {
        "created": 0,
        "updated": 0,
        "deleted": 0,
        "unchanged": 22,
        "failed": 0,
        "requests": 1,
    }
    assert figures(quiet, "exports")["updated"] == 0

    person = Person(caldav_server, calendar_url)
    person.move("restitution", 1)
    moved = hub_json("sync", "--config", config)
    assert figures(moved, "calendar")["failed"] == 0
    assert figures(moved, "calendar")["requests"] == 2  # the sync report and one multiget
    assert figures(moved, "calendar")["updated"] == 0  # the edit is not written back over
    assert figures(moved, "exports")["updated"] == 1
    assert exported_start(tmp_path, "restitution").startswith("2021-11-12T16:30:00")
    assert "restitution" in json.dumps(moved.get("changes", []), ensure_ascii=False)

    settled = hub_json("sync", "--config", config)
    assert figures(settled, "calendar")["requests"] == 1
    assert figures(settled, "calendar")["updated"] == 0


async def test_calendar_emptied_by_hand_trips_the_mass_delete_guard(
    tmp_path: Path, caldav_server: CalDAVServer, calendar_url: str
) -> None:
    config = str(calendar_config(tmp_path, caldav_server, calendar_url))
    hub_json("sync", "--config", config)
    assert Person(caldav_server, calendar_url).delete_all() == 22

    guarded = hub_json("sync", "--config", config, expect=1)

    cal = figures(guarded, "calendar")
    assert "22" in cal.get("error", "") and cal["created"] == 0
    assert figures(guarded, "exports")["deleted"] == 0
    assert len(json.loads((tmp_path / "public" / "programme.json").read_text())["schedule"]["conference"]["days"]) == 3


async def test_event_deleted_by_hand_is_recreated(
    tmp_path: Path, caldav_server: CalDAVServer, calendar_url: str
) -> None:
    config = str(calendar_config(tmp_path, caldav_server, calendar_url))
    hub_json("sync", "--config", config)
    hub_json("sync", "--config", config)
    person = Person(caldav_server, calendar_url)
    person.delete("restitution")

    again = figures(hub_json("sync", "--config", config), "calendar")

    assert again["created"] == 1 and again["failed"] == 0
    assert str(person.event("restitution")["x-hub-id"]) == "restitution"


async def test_concurrent_calendar_edit_is_replanned_not_overwritten(
    tmp_path: Path, caldav_server: CalDAVServer, calendar_url: str
) -> None:
    """A person moves the event between the hub's pull and its write: the 412 makes the engine
    pull again and merge both changes (new title from the file, new time from the calendar)."""
    from hub.runtime import build_engine, load_settings
    from tests.helpers import edit_programme

    config = calendar_config(tmp_path, caldav_server, calendar_url)
    hub_json("sync", "--config", str(config))
    hub_json("sync", "--config", str(config))
    edit_programme(tmp_path, "restitution", title='"Restitution collective"')
    person = Person(caldav_server, calendar_url)
    moved_once: list[bool] = []

    def between_pull_and_write(phase: str, done: int, total: int) -> None:
        if phase == "pull" and done == total and not moved_once:
            person.move("restitution", 1)
            moved_once.append(True)

    engine = build_engine(load_settings(config), progress=between_pull_and_write)
    report = await engine.sync()

    assert moved_once
    assert engine.counter.detail[("calendar", "PUT", 412)] == 1  # refused, then re-planned
    assert report.connectors["calendar"].failed == 0
    event = person.event("restitution")
    assert str(event["summary"]) == "Restitution collective"
    assert event.decoded("dtstart").isoformat() == "2021-11-12T16:30:00+01:00"
    assert exported_start(tmp_path, "restitution").startswith("2021-11-12T16:30:00")


def event_venue(folder: Path, session_id: str) -> str:
    """The venue name the exported programme shows for a session (the canonical venue)."""
    document = json.loads((folder / "public" / "programme.json").read_text(encoding="utf-8"))
    for day in document["schedule"]["conference"]["days"]:
        for room, talks in day["rooms"].items():
            if any(talk["slug"] == session_id for talk in talks):
                return str(room)
    raise AssertionError(f"{session_id} not exported")


async def test_venue_whose_name_has_a_comma_is_recognised(
    tmp_path: Path, caldav_server: CalDAVServer, calendar_url: str
) -> None:
    """LOCATION is "name, address" and a name may hold commas: it is never split, and a venue
    whose name starts another's ("Le Talus") is not taken for it."""
    config = str(calendar_config(tmp_path, caldav_server, calendar_url))
    programme = tmp_path / "programme.yaml"
    text = programme.read_text(encoding="utf-8")
    text = text.replace("name: Massalia Vox", 'name: "Le Talus, grande halle"')
    text = text.replace("name: Ateliers Jeanne Barret", 'name: "Le Talus"')
    programme.write_text(text, encoding="utf-8")
    hub_json("sync", "--config", config)
    person = Person(caldav_server, calendar_url)
    assert str(person.event("accueil-meteo")["location"]).startswith("Le Talus, grande halle, 15 boulevard")

    again = hub_json("sync", "--config", config)
    assert again.get("problems", []) == []
    assert figures(again, "calendar")["updated"] == 0 and "merged" not in figures(again, "calendar")
    assert figures(again, "exports")["updated"] == 0

    # A person moves one event, and types the other venue's name alone (or as an app spells it).
    person.move("accueil-meteo", 1)
    person.edit("restitution", location="le talus,grande halle")
    moved = hub_json("sync", "--config", config)
    assert moved.get("problems", []) == []
    assert figures(moved, "calendar")["failed"] == 0
    assert exported_start(tmp_path, "accueil-meteo").startswith("2021-11-12T10:00:00")
    assert event_venue(tmp_path, "accueil-meteo") == "Le Talus, grande halle"  # kept
    assert event_venue(tmp_path, "restitution") == "Le Talus, grande halle"  # not "Le Talus"
    assert event_venue(tmp_path, "fishbowl-anthropocene") == "Le Talus"
    assert str(person.event("restitution")["x-hub-venue"]) == "massalia-vox"

    settled = hub_json("sync", "--config", config)
    assert settled.get("problems", []) == []
    assert figures(settled, "calendar")["requests"] == 1
    assert figures(settled, "calendar")["updated"] == 0


def count_events(server: CalDAVServer, url: str) -> dict[str, int]:
    """How many events on the calendar carry each session id (a duplicate shows as 2)."""
    counts: dict[str, int] = {}
    with Person(server, url).calendar() as cal:
        for event in cal.get_events():
            key = str(event.icalendar_component.get("x-hub-id", ""))
            counts[key] = counts.get(key, 0) + 1
    return counts


async def test_lost_state_store_adopts_the_calendar_it_finds(
    tmp_path: Path, caldav_server: CalDAVServer, calendar_url: str
) -> None:
    """A removed volume or a reinstall: the hub finds its events again instead of failing
    to create them over and over."""
    config = str(calendar_config(tmp_path, caldav_server, calendar_url))
    hub_json("sync", "--config", config)
    hub_json("sync", "--config", config)
    before = count_events(caldav_server, calendar_url)
    assert len(before) == 22 and set(before.values()) == {1}
    (tmp_path / "state" / "hub.db").unlink()

    recovery = hub_json("sync", "--config", config)
    cal = figures(recovery, "calendar")
    assert (cal["created"], cal["updated"], cal["failed"], cal["unchanged"]) == (0, 0, 0, 22)
    assert cal["requests"] == 2  # the full sync report and one multiget: every event adopted
    assert count_events(caldav_server, calendar_url) == before
    assert recovery.get("problems", []) == []

    after = figures(hub_json("sync", "--config", config), "calendar")
    assert (after["created"], after["updated"], after["failed"], after["requests"]) == (0, 0, 0, 1)

    # An event the programme changed while the store was lost is overwritten once, conditionally.
    (tmp_path / "state" / "hub.db").unlink()
    edit_programme(tmp_path, "restitution", title='"Restitution collective"')
    changed = figures(hub_json("sync", "--config", config), "calendar")
    assert (changed["created"], changed["updated"], changed["failed"]) == (0, 1, 0)
    assert changed["requests"] == 3  # report, multiget, one PUT (an update needs no report after it)
    assert str(Person(caldav_server, calendar_url).event("restitution")["summary"]) == "Restitution collective"
    assert figures(hub_json("sync", "--config", config), "calendar")["requests"] == 1
    assert count_events(caldav_server, calendar_url) == before


async def test_writes_refused_in_every_round_are_reported_failed(
    tmp_path: Path, caldav_server: CalDAVServer, calendar_url: str
) -> None:
    """A person who keeps moving the event while the hub writes it: after the last round the
    write that never happened is a failure in the report, never a success, and nothing of the
    person's is overwritten."""
    from hub.runtime import build_engine, load_settings

    config = calendar_config(tmp_path, caldav_server, calendar_url)
    hub_json("sync", "--config", str(config))
    edit_programme(tmp_path, "restitution", title='"Restitution collective"')
    person = Person(caldav_server, calendar_url)
    moves: list[int] = []

    def after_every_pull(phase: str, done: int, total: int) -> None:
        if phase == "pull" and done == total:
            person.move("restitution", 1)
            moves.append(1)

    engine = build_engine(load_settings(config), progress=after_every_pull)
    report = await engine.sync()

    assert len(moves) == 3 and engine.counter.detail[("calendar", "PUT", 412)] == 3
    figures = report.connectors["calendar"]
    assert figures.failed >= 1 and figures.updated == 0 and report.failed
    assert "412" in (figures.error or "")
    assert str(person.event("restitution")["summary"]) == "Prendre soin des communs : la restitution"
    assert person.event("restitution").decoded("dtstart").isoformat() == "2021-11-12T18:30:00+01:00"
