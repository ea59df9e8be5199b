"""Calendar events are held to the programme file's rules, through ``hub sync`` on real Radicale.

A calendar that may create sessions is a door into the programme: an event whose ``X-HUB-ID``
is no session id, or that ends before it starts, is reported (the connector and the event
named) and left out, so nothing of it reaches the programme or the exports; a valid event still
becomes a session. An existing session whose event is broken that way keeps its times (it is
neither changed nor deleted) until the event is put right.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import icalendar

from tests.caldav.conftest import CalDAVServer
from tests.caldav.person import Person
from tests.helpers import hub_json, write_config


def config_for(folder: Path, server: CalDAVServer, url: str) -> str:
    (folder / "secrets").mkdir(parents=True, exist_ok=True)
    (folder / "secrets" / "caldav").write_text(server.password + "\n")
    return str(write_config(
        folder,
        f"""
[connectors.calendar]
type = "caldav"
url = "{url}"
username = "{server.username}"
password_file = "secrets/caldav"
owns = ["title", "start", "end", "venue", "status", "existence"]

[connectors.exports]
type = "files"
path = "public"
""",
    ))


def raw_event(uid: str, hub_id: str, summary: str, start: str, end: str) -> str:
    """An event as some app or script writes it: UTC times, the hub's id property set by hand."""
    return "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Someone//A script//EN",
        "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20211101T100000Z",
        f"DTSTART:{start}", f"DTEND:{end}", f"SUMMARY:{summary}", f"X-HUB-ID:{hub_id}",
        "END:VEVENT", "END:VCALENDAR", "",
    ])


def exported_talks(folder: Path) -> dict[str, dict[str, Any]]:
    document = json.loads((folder / "public" / "programme.json").read_text(encoding="utf-8"))
    return {
        str(talk["slug"]): talk
        for day in document["schedule"]["conference"]["days"]
        for talks in day["rooms"].values()
        for talk in talks
    }


def exported_events(folder: Path) -> dict[str, tuple[Any, Any]]:
    calendar = icalendar.Calendar.from_ical((folder / "public" / "programme.ics").read_bytes())
    return {str(ev["summary"]): (ev.decoded("dtstart"), ev.decoded("dtend")) for ev in calendar.walk("VEVENT")}


async def test_events_breaking_the_rules_are_reported_and_ignored_valid_ones_merged(
    tmp_path: Path, radicale: CalDAVServer
) -> None:
    url = radicale.new_calendar()
    config = config_for(tmp_path, radicale, url)
    hub_json("sync", "--config", config)
    hub_json("sync", "--config", config)
    restitution = exported_talks(tmp_path)["restitution"]

    person = Person(radicale, url)
    evil = person.add_raw(raw_event("evil@example.org", "Evil/../Id", "Evil", "20211113T090000Z", "20211113T100000Z"))
    backwards = person.add_raw(raw_event(
        "backwards@example.org", "atelier-a-rebours", "À rebours", "20211113T150000Z", "20211113T130000Z"
    ))
    person.add_raw(raw_event(
        "nouveau@example.org", "atelier-nouveau", "Atelier nouveau", "20211113T080000Z", "20211113T090000Z"
    ))
    start = person.event("restitution").decoded("dtstart")
    person.edit("restitution", dtend=start - timedelta(hours=1))  # an existing session, broken

    report = hub_json("sync", "--config", config)

    problems = report["problems"]
    assert len(problems) == 3, problems
    by_event = {href: [p for p in problems if p.startswith(f"calendar: {href} : ")]
                for href in (evil, backwards, urlparse(url).path + "restitution.ics")}
    assert all(len(found) == 1 and found[0].endswith("; ignoré") for found in by_event.values()), problems
    assert "« Evil/../Id »" in by_event[evil][0]
    assert "finit (2021-11-13 14:00) avant de commencer (2021-11-13 16:00)" in by_event[backwards][0]
    assert [(c["session"], c["kind"]) for c in report["changes"]] == [("atelier-nouveau", "added")]
    assert report["connectors"]["calendar"]["failed"] == 0 and report["connectors"]["calendar"]["deleted"] == 0

    talks = exported_talks(tmp_path)
    assert "atelier-nouveau" in talks and talks["atelier-nouveau"]["duration"] == "01:00"
    assert not any("evil" in slug or "rebours" in slug for slug in talks)
    assert talks["restitution"] == restitution, "the broken edit changed nothing, and deleted nothing"
    assert len(talks) == 23
    assert all(not talk["duration"].startswith("-") for talk in talks.values())
    events = exported_events(tmp_path)
    assert "Evil" not in events and "À rebours" not in events and "Atelier nouveau" in events
    assert all(end > start for start, end in events.values()), "no session ends before it starts"

    # Once the event is put right, its change is merged like any other.
    person.edit("restitution", dtend=start + timedelta(hours=2))
    fixed = hub_json("sync", "--config", config)
    assert fixed["problems"] == []
    assert [(c["session"], c["kind"]) for c in fixed["changes"]] == [("restitution", "retimed")]
    assert exported_talks(tmp_path)["restitution"]["duration"] == "02:00"
