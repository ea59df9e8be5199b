"""``hub check`` and ``hub sync`` end to end with a Nextcloud section (fake Nextcloud, real DAV).

An organiser drags a session in the Nextcloud calendar: the next ``hub sync`` takes the new time
into the programme, republishes the shared folder's exports (the same connector's own channel)
without rewriting the event, and the other sinks follow.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.caldav.person import Person
from tests.helpers import hub_json, run_hub, write_config
from tests.nextcloud.conftest import APP_PASSWORD, NextcloudSetup

FOLDER = "Assemblée/Programme"


def nextcloud_config(folder: Path, setup: NextcloudSetup) -> str:
    (folder / "secrets").mkdir(parents=True, exist_ok=True)
    (folder / "secrets" / "nextcloud").write_text(APP_PASSWORD + "\n")
    return str(
        write_config(
            folder,
            f"""
[connectors.nuage]
type = "nextcloud"
url = "{setup.url}"
username = "hub"
app_password_file = "secrets/nextcloud"
calendar = "{setup.calendar}"
folder = "{FOLDER}/{folder.name}"
owns = ["start", "end", "venue", "status"]

[connectors.exports]
type = "files"
path = "public"
""",
        )
    )


def frab_date(document: dict[str, Any], slug: str) -> str:
    for day in document["schedule"]["conference"]["days"]:
        for talks in day["rooms"].values():
            for talk in talks:
                if talk["slug"] == slug:
                    return str(talk["date"])
    raise AssertionError(f"{slug} not exported")


def test_hub_check_proves_account_calendar_and_folder(
    tmp_path: Path, nextcloud: NextcloudSetup
) -> None:
    config = nextcloud_config(tmp_path, nextcloud)
    result = run_hub("check", "--config", config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "connecté en tant que « hub »" in result.stdout
    assert APP_PASSWORD not in result.stdout + result.stderr


async def test_calendar_edit_in_nextcloud_reaches_programme_folder_and_other_sinks(
    tmp_path: Path, nextcloud: NextcloudSetup
) -> None:
    config = nextcloud_config(tmp_path, nextcloud)
    shared = nextcloud.webdav.root / FOLDER / tmp_path.name

    first = hub_json("sync", "--config", config)["connectors"]["nuage"]
    assert first["created"] == 22 and first["failed"] == 0
    # one listing; the folder: PROPFIND, a MKCOL per level (3), 3 PUTs; 22 conditional PUTs
    # and the sync report that moves past them
    assert first["requests"] == 1 + 1 + 3 + 3 + 22 + 1
    assert sorted(p.name for p in shared.iterdir()) == [
        "index.html",
        "programme.ics",
        "programme.json",
    ]

    assert hub_json("sync", "--config", config)["connectors"]["nuage"]["requests"] == 1
    quiet = hub_json("sync", "--config", config)["connectors"]["nuage"]
    assert quiet == {
        "created": 0,
        "updated": 0,
        "deleted": 0,
        "unchanged": 22,
        "failed": 0,
        "requests": 1,
    }

    Person(nextcloud.radicale, nextcloud.upstream_calendar_url()).move("restitution", 1)
    seen = len(nextcloud.fake.requests)
    edited = hub_json("sync", "--config", config)

    nuage = edited["connectors"]["nuage"]
    assert nuage["failed"] == 0 and nuage["updated"] == 1  # the folder, not the event
    assert [m for m, p in nextcloud.fake.requests[seen:] if "/calendars/" in p and m == "PUT"] == []
    moved_to = "2021-11-12T16:30:00+01:00"
    assert frab_date(json.loads((shared / "programme.json").read_text()), "restitution") == moved_to
    assert (
        frab_date(json.loads((tmp_path / "public" / "programme.json").read_text()), "restitution")
        == moved_to
    )
    assert edited["connectors"]["exports"]["updated"] == 1

    settled = hub_json("sync", "--config", config)["connectors"]["nuage"]
    assert settled["requests"] == 1 and settled["updated"] == 0
