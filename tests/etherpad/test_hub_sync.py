"""``hub sync`` end to end with the real pad beside the programme file and the exports.

The programme appears in the pad; a sync with nothing new asks the pad one question; a time a
person changes in the pad reaches the canonical programme and the exports (ICS, frab JSON) and
is not written back over; the sync after that does nothing.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.etherpad.conftest import EtherpadServer, Person
from tests.helpers import edit_programme, hub_json, run_hub, write_config

pytestmark = pytest.mark.peer("etherpad")


def pad_config(folder: Path, server: EtherpadServer, pad: str, extra: str = "") -> Path:
    (folder / "secrets").mkdir(parents=True, exist_ok=True)
    (folder / "secrets" / "etherpad").write_text(server.api_key + "\n", encoding="utf-8")
    return write_config(
        folder,
        f"""
[connectors.pad]
type = "etherpad"
url = "{server.url}"
api_key_file = "secrets/etherpad"
pad = "{pad}"
owns = ["title", "description", "start", "end", "venue", "hosts", "status"{extra}]
create_sessions = {"true" if extra else "false"}

[connectors.exports]
type = "files"
path = "public"
""",
    )


def figures(report: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(report["connectors"][name])


def exported(folder: Path, session_id: str) -> dict[str, Any]:
    document = json.loads((folder / "public" / "programme.json").read_text(encoding="utf-8"))
    for day in document["schedule"]["conference"]["days"]:
        for talks in day["rooms"].values():
            for talk in talks:
                if talk.get("slug", "").endswith(session_id) or talk.get("id") == session_id:
                    return dict(talk)
    raise AssertionError(f"{session_id} not exported")


def test_a_time_edited_in_the_pad_reaches_every_sink_once(
    tmp_path: Path, etherpad_server: EtherpadServer, person: Person
) -> None:
    pad = f"programme-{secrets.token_hex(4)}"
    config = str(pad_config(tmp_path, etherpad_server, pad))

    first = hub_json("sync", "--config", config)
    assert figures(first, "pad")["created"] == 22 and figures(first, "pad")["failed"] == 0
    assert "14:00-16:30 Culture juridique [#atelier-culture-juridique]" in person.text(pad)

    quiet = hub_json("sync", "--config", config)
    assert figures(quiet, "pad") == {
        "created": 0,
        "updated": 0,
        "deleted": 0,
        "unchanged": 22,
        "failed": 0,
        "requests": 1,
    }

    person.replace(pad, "14:00-16:30 Culture juridique", "15:00-17:30 Culture juridique")
    moved = hub_json("sync", "--config", config)
    assert figures(moved, "pad")["requests"] == 2  # the revision, then the text
    assert figures(moved, "pad")["updated"] == 0  # the person's edit is not written back over
    assert figures(moved, "exports")["updated"] == 1
    assert exported(tmp_path, "atelier-culture-juridique")["date"].startswith("2021-11-13T15:00:00")
    ics = (tmp_path / "public" / "programme.ics").read_text(encoding="utf-8")
    event = next(e for e in ics.split("BEGIN:VEVENT")[1:] if "X-HUB-ID:atelier-culture-juridique" in e)
    assert ":20211113T150000" in next(line for line in event.splitlines() if line.startswith("DTSTART"))
    assert "atelier-culture-juridique" in json.dumps(moved.get("changes", []), ensure_ascii=False)

    settled = hub_json("sync", "--config", config)
    assert figures(settled, "pad")["requests"] == 1
    assert all(
        figures(settled, name)[what] == 0
        for name in ("pad", "exports")
        for what in ("created", "updated", "deleted", "failed")
    )
    assert "15:00-17:30 Culture juridique [#atelier-culture-juridique]" in person.text(pad)


def test_a_programme_change_rewrites_only_its_block_in_the_pad(
    tmp_path: Path, etherpad_server: EtherpadServer, person: Person
) -> None:
    pad = f"programme-{secrets.token_hex(4)}"
    config = str(pad_config(tmp_path, etherpad_server, pad))
    hub_json("sync", "--config", config)
    person.replace(pad, "[#restitution]\n", "[#restitution]\n    Apporter des chaises.\n")
    noted = hub_json("sync", "--config", config)  # the person's note becomes the description
    assert figures(noted, "exports")["updated"] == 1

    edit_programme(tmp_path, "accueil-cafe", start="2021-11-14T09:00", end="2021-11-14T09:45")
    moved = hub_json("sync", "--config", config)
    assert figures(moved, "pad")["updated"] == 1
    # pull: the revision; write: the revision again, the text, setText, the revision after
    assert figures(moved, "pad")["requests"] == 5
    text = person.text(pad)
    assert "09:00-09:45 Accueil café : les grandes tables [#accueil-cafe]" in text
    assert "    Apporter des chaises.\n" in text

    settled = hub_json("sync", "--config", config)
    assert figures(settled, "pad")["requests"] == 1
    assert figures(settled, "pad")["updated"] == 0


def test_a_pad_emptied_by_hand_stops_the_pad_not_the_programme(
    tmp_path: Path, etherpad_server: EtherpadServer, person: Person
) -> None:
    pad = f"programme-{secrets.token_hex(4)}"
    config = str(pad_config(tmp_path, etherpad_server, pad))
    hub_json("sync", "--config", config)
    person.write(pad, "oups\n")

    guarded = hub_json("sync", "--config", config, expect=1)
    assert "22" in figures(guarded, "pad").get("error", "")
    assert figures(guarded, "exports")["deleted"] == 0
    assert exported(tmp_path, "atelier-culture-juridique")["date"].startswith("2021-11-13T14:00:00")
    assert person.text(pad) == "oups\n"  # and the hub did not write over it either


def test_edits_in_the_pad_and_the_programme_file_merge_without_loss(
    tmp_path: Path, etherpad_server: EtherpadServer, person: Person
) -> None:
    pad = f"programme-{secrets.token_hex(4)}"
    config = str(pad_config(tmp_path, etherpad_server, pad))
    hub_json("sync", "--config", config)

    person.replace(pad, "    Lieu : Place de la Joliette", "    Lieu : Massalia Vox")
    edit_programme(tmp_path, "dejeuner-grandes-tables", title="Repas partagé")
    both = hub_json("sync", "--config", config)
    assert figures(both, "pad")["updated"] == 1 and figures(both, "pad")["failed"] == 0
    assert both["conflicts"] == []
    text = person.text(pad)
    assert "[#sens-de-la-pente]\n    Lieu : Massalia Vox\n" in text  # the person's edit stays
    assert "13:00-14:30 Repas partagé [#dejeuner-grandes-tables]" in text
    assert exported(tmp_path, "dejeuner-grandes-tables")["title"] == "Repas partagé"
    assert exported(tmp_path, "sens-de-la-pente")["room"] == "Massalia Vox"

    settled = hub_json("sync", "--config", config)
    assert figures(settled, "pad")["requests"] == 1
    assert figures(settled, "exports")["updated"] == 0


def test_a_session_written_in_the_pad_is_created_and_gets_its_marker(
    tmp_path: Path, etherpad_server: EtherpadServer, person: Person
) -> None:
    pad = f"programme-{secrets.token_hex(4)}"
    config = str(pad_config(tmp_path, etherpad_server, pad, extra=', "existence"'))
    hub_json("sync", "--config", config)
    person.replace(
        pad,
        "\n\n== dimanche 14 novembre 2021",
        "\n\n20h-23h Bal des communs\n    Lieu : les 8 pillards\n    Animation : Fanfare\n\n"
        "== dimanche 14 novembre 2021",
    )
    created = hub_json("sync", "--config", config)
    assert figures(created, "exports")["created"] == 1
    assert figures(created, "pad")["updated"] == 1  # the marker is added to the person's line
    assert exported(tmp_path, "bal-des-communs")["date"].startswith("2021-11-13T20:00:00")
    text = person.text(pad)
    assert "20:00-23:00 Bal des communs [#bal-des-communs]\n    Lieu : Les 8 Pillards\n" in text
    assert text.count("Bal des communs") == 1

    settled = hub_json("sync", "--config", config)
    assert figures(settled, "pad")["requests"] == 1
    assert all(
        figures(settled, name)[what] == 0
        for name in ("pad", "exports")
        for what in ("created", "updated", "deleted", "failed")
    )


def test_hub_check_proves_the_key_and_names_the_pad(tmp_path: Path, etherpad_server: EtherpadServer) -> None:
    pad = f"programme-{secrets.token_hex(4)}"
    config = str(pad_config(tmp_path, etherpad_server, pad))
    checked = run_hub("check", "--config", config)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "identifiants acceptés (API key)" in checked.stdout
    assert f"pad « {pad} » absent" in checked.stdout

    (tmp_path / "secrets" / "etherpad").write_text("wrong-key\n", encoding="utf-8")
    refused = run_hub("check", "--config", config)
    assert refused.returncode == 1
    assert "wrong-key" not in refused.stdout + refused.stderr


def test_hub_sync_names_the_line_it_cannot_read_and_changes_nothing(
    tmp_path: Path, etherpad_server: EtherpadServer, person: Person
) -> None:
    pad = f"programme-{secrets.token_hex(4)}"
    config = str(pad_config(tmp_path, etherpad_server, pad))
    hub_json("sync", "--config", config)
    text = person.replace(pad, "14:00-16:30 Culture juridique", "14:00-l6:30 Culture juridique")
    line = text.split("\n").index("14:00-l6:30 Culture juridique [#atelier-culture-juridique]") + 1

    shown = run_hub("sync", "--config", config)
    output = shown.stdout + shown.stderr
    assert f"pad « {pad} », ligne {line} : heure illisible" in output
    assert exported(tmp_path, "atelier-culture-juridique")["date"].startswith("2021-11-13T14:00:00")
    assert "14:00-l6:30 Culture juridique" in person.text(pad)  # left for the person to fix
