"""A shared calendar that deletes sessions bit by bit is held; any sync can be undone.

Against the real CalDAV server of the test suite, with ``hub`` run as a child process.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.caldav.conftest import CalDAVServer
from tests.caldav.person import Person
from tests.caldav.test_hub_sync import calendar_config, exported_start
from tests.helpers import hub_json, run_hub


def owning_existence(config: Path) -> str:
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('owns = ["start", "end", "venue", "status"]',
                                   'owns = ["start", "end", "venue", "status", "existence"]'), encoding="utf-8")
    return str(config)


def exported_ids(folder: Path) -> set[str]:
    document = json.loads((folder / "public" / "programme.json").read_text(encoding="utf-8"))
    return {talk["slug"] for day in document["schedule"]["conference"]["days"]
            for talks in day["rooms"].values() for talk in talks}


async def test_deleting_three_events_per_sync_is_held_when_the_day_adds_up(
    tmp_path: Path, caldav_server: CalDAVServer, calendar_url: str
) -> None:
    config = owning_existence(calendar_config(tmp_path, caldav_server, calendar_url))
    hub_json("sync", "--config", config)
    hub_json("sync", "--config", config)
    person = Person(caldav_server, calendar_url)
    for key in ("restitution", "accueil-cafe", "fishbowl-anthropocene"):
        person.delete(key)
    first = hub_json("sync", "--config", config)
    assert first["held"] == [] and len(exported_ids(tmp_path)) == 19, "three of 22 may go"

    for key in ("sens-de-la-pente", "accueil-meteo", "atelier-municipalisme"):
        person.delete(key)
    second = hub_json("sync", "--config", config)
    assert [(h["connector"], h["reason"], len(h["removed"])) for h in second["held"]] == [("calendar", "mass", 3)]
    assert {"sens-de-la-pente", "accueil-meteo", "atelier-municipalisme"} <= exported_ids(tmp_path)
    assert second["connectors"]["exports"]["deleted"] == 0

    rejected = hub_json("review", "--config", config, "--reject", str(second["held"][0]["batch"]))
    assert rejected["connectors"]["calendar"]["created"] == 3, "the calendar gets them back"
    assert str(person.event("accueil-meteo")["x-hub-id"]) == "accueil-meteo"
    assert len(exported_ids(tmp_path)) == 19


async def test_hub_revert_undoes_a_calendar_edit_everywhere_with_one_correction(
    tmp_path: Path, caldav_server: CalDAVServer, calendar_url: str
) -> None:
    config = str(calendar_config(tmp_path, caldav_server, calendar_url))
    hub_json("sync", "--config", config)
    hub_json("sync", "--config", config)
    person = Person(caldav_server, calendar_url)
    person.move("restitution", 1)
    moved = hub_json("sync", "--config", config)
    assert [c["session"] for c in moved["changes"]] == ["restitution"]
    assert exported_start(tmp_path, "restitution").startswith("2021-11-12T16:30:00")

    history = hub_json("history", "--config", config, "--session", "restitution")["history"]
    assert (history[0]["origin"], history[0]["field"], history[0]["new"]) == ("programme", "existence", "added")
    assert {(h["origin"], h["field"]) for h in history[1:]} == {("calendar", "start"), ("calendar", "end")}
    run = history[-1]["sync"]
    shown = run_hub("history", "--config", config, "--session", "restitution")
    assert shown.returncode == 0 and f"n°{run}" in shown.stdout
    assert "vendredi 12 novembre" in shown.stdout, "times in the event's own words and zone"

    reverted = hub_json("revert", "--config", config, str(run))
    assert [c["session"] for c in reverted["changes"]] == ["restitution"]
    assert reverted["connectors"]["calendar"]["updated"] == 1
    assert exported_start(tmp_path, "restitution").startswith("2021-11-12T15:30:00")
    start = person.event("restitution").decoded("dtstart")
    assert (start.hour, start.minute) == (15, 30), "the calendar event is put back"

    settled = hub_json("sync", "--config", config)
    assert settled["changes"] == [] and settled["connectors"]["calendar"]["updated"] == 0

    unknown = run_hub("revert", "--config", config, "999")
    assert unknown.returncode == 2 and "aucun passage n°999" in unknown.stdout + unknown.stderr
