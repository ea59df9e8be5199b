"""``hub check`` and ``hub sync`` end to end: HumHub beside a real CalDAV calendar and the exports.

The programme reaches the space's calendar once; reruns write nothing and post nothing; a change
of the programme updates the entry in place and is posted once; an entry moved by a person in
HumHub reaches the CalDAV calendar and the exports; an entry deleted by hand comes back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.caldav.conftest import CalDAVServer
from tests.caldav.person import Person
from tests.helpers import edit_programme, hub_json, run_hub, write_config
from tests.humhub.conftest import SPACE, TOKEN, HumHubSite


def config(folder: Path, site: HumHubSite, caldav: CalDAVServer, calendar: str) -> str:
    (folder / "secrets").mkdir(parents=True, exist_ok=True)
    (folder / "secrets" / "humhub").write_text(TOKEN + "\n")
    (folder / "secrets" / "caldav").write_text(caldav.password + "\n")
    return str(write_config(folder, f"""
[connectors.reseau]
type = "humhub"
url = "{site.url}"
token_file = "secrets/humhub"
space = "{SPACE}"
server_timezone = "UTC"
owns = ["start", "end", "venue", "status"]

[connectors.calendar]
type = "caldav"
url = "{calendar}"
username = "{caldav.username}"
password_file = "secrets/caldav"

[connectors.exports]
type = "files"
path = "public"
"""))


def exported_start(folder: Path, slug: str) -> str:
    document = json.loads((folder / "public" / "programme.json").read_text(encoding="utf-8"))
    for day in document["schedule"]["conference"]["days"]:
        for talks in day["rooms"].values():
            for talk in talks:
                if talk["slug"] == slug:
                    return str(talk["date"])
    raise AssertionError(f"{slug} not exported")


def figures(report: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(report["connectors"][name])


def test_humhub_space_stays_in_step_with_the_programme_both_ways(
    tmp_path: Path, humhub: HumHubSite, radicale: CalDAVServer
) -> None:
    calendar = radicale.new_calendar()
    path = config(tmp_path, humhub, radicale, calendar)

    checked = run_hub("check", "--config", path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "lastUpdate" in checked.stdout and TOKEN not in checked.stdout + checked.stderr
    assert humhub.fake.entries == {} and humhub.fake.posts == {}

    first = hub_json("sync", "--config", path)
    reseau = figures(first, "reseau")
    assert (reseau["created"], reseau["failed"]) == (22, 0)
    # the space resolved, the probe, one page of the calendar; the listing before the first
    # create; 22 entries created
    assert reseau["requests"] == 1 + 1 + 1 + 1 + 22
    assert len(humhub.entries_by_key()) == 22

    # After writing, the next sync reads the calendar once more; then a quiet sync is one request.
    assert figures(hub_json("sync", "--config", path), "reseau")["requests"] == 2
    for _ in range(1):
        quiet = hub_json("sync", "--config", path)
        assert figures(quiet, "reseau") == {
            "created": 0, "updated": 0, "deleted": 0, "unchanged": 22, "failed": 0, "requests": 1
        }
        assert quiet["changes"] == []
    assert humhub.fake.space_posts(humhub.space) == []

    # The programme changes: the entry is updated in place and one post says it.
    ids = humhub.entries_by_key()
    edit_programme(tmp_path, "atelier-culture-juridique", start="2021-11-13T15:00", end="2021-11-13T17:30")
    changed = hub_json("sync", "--config", path)
    assert figures(changed, "reseau")["updated"] == 1 and figures(changed, "reseau")["failed"] == 0
    assert humhub.entries_by_key() == ids
    entry = humhub.fake.entries[ids["atelier-culture-juridique"]]
    assert (entry.start_datetime, entry.end_datetime) == ("2021-11-13 14:00:00", "2021-11-13 16:30:00")
    [post] = humhub.fake.space_posts(humhub.space)
    assert "déplacé de 14 h à 15 h" in post.message
    for _ in range(1):
        rerun = hub_json("sync", "--config", path)
        assert rerun["changes"] == [] and figures(rerun, "reseau")["updated"] == 0
    assert len(humhub.fake.space_posts(humhub.space)) == 1

    # A person moves a session in HumHub: the calendar and the exports follow, the entry stays.
    humhub.fake.later()
    restitution = humhub.fake.entries[ids["restitution"]]
    assert restitution.start_datetime == "2021-11-12 14:30:00"  # 15:30 in Paris, stored in UTC
    moved_start, moved_end = "2021-11-12 15:30:00", "2021-11-12 17:45:00"
    humhub.fake.person_edit_entry(restitution.id, humhub.person, start_datetime=moved_start,
                                  end_datetime=moved_end)
    edited = hub_json("sync", "--config", path)
    assert figures(edited, "reseau")["updated"] == 0 and figures(edited, "calendar")["updated"] == 1
    assert exported_start(tmp_path, "restitution") == "2021-11-12T16:30:00+01:00"
    event = Person(radicale, calendar).event("restitution")
    assert event.decoded("dtstart").isoformat() == "2021-11-12T16:30:00+01:00"
    assert len(humhub.fake.space_posts(humhub.space)) == 2  # the move is announced in the space too

    # An entry deleted by hand comes back: HumHub does not own the sessions' existence here.
    humhub.fake.later()
    humhub.fake.person_delete(humhub.fake.entries[ids["restitution"]].content, humhub.person)
    restored = hub_json("sync", "--config", path)
    assert figures(restored, "reseau")["created"] == 1
    assert len(humhub.entries_by_key()) == 22 and humhub.entries_by_key()["restitution"] != ids["restitution"]
    assert restored["changes"] == []
