"""Pad blocks are held to the programme file's rules, through ``hub sync`` on the real pad.

The pad is read whole at every change, and a session it no longer shows is a deletion. A block
that breaks a rule (a session that ends when it starts, a marker that is no session id) is
reported, pad and block named, and left out: its session is neither changed nor deleted, no
session is made of it, and the pad's other edits still go through.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.etherpad.conftest import EtherpadServer, Person
from tests.etherpad.test_hub_sync import pad_config
from tests.helpers import hub_json

pytestmark = pytest.mark.peer("etherpad")


def exported_talks(folder: Path) -> dict[str, dict[str, Any]]:
    document = json.loads((folder / "public" / "programme.json").read_text(encoding="utf-8"))
    return {
        str(talk["slug"]): talk
        for day in document["schedule"]["conference"]["days"]
        for talks in day["rooms"].values()
        for talk in talks
    }


def test_pad_blocks_breaking_the_rules_are_reported_and_ignored_not_deleted(
    tmp_path: Path, etherpad_server: EtherpadServer, person: Person
) -> None:
    pad = f"programme-{secrets.token_hex(4)}"
    config = str(pad_config(tmp_path, etherpad_server, pad, extra=', "existence"'))
    hub_json("sync", "--config", config)
    before = exported_talks(tmp_path)

    person.replace(pad, "14:00-16:30 Culture juridique", "14:00-14:00 Culture juridique")
    person.replace(pad, "\n\n== dimanche 14 novembre 2021",
                   "\n\n20h-23h Bal des communs [#Bal/../Evil]\n\n== dimanche 14 novembre 2021")
    person.replace(pad, "15:30-17:45 Prendre soin des communs", "16:00-17:45 Prendre soin des communs")

    report = hub_json("sync", "--config", config)

    assert sorted(report["problems"]) == [
        "pad: Bal/../Evil : identifiant : « Bal/../Evil » ne doit contenir que des minuscules, "
        "des chiffres et des tirets ; ignoré",
        "pad: atelier-culture-juridique : fin : finit à l'heure où elle commence (2021-11-13 14:00) ; ignoré",
    ]
    assert "error" not in report["connectors"]["pad"]
    assert [(c["session"], c["kind"]) for c in report["changes"]] == [("restitution", "retimed")]
    talks = exported_talks(tmp_path)
    assert talks["atelier-culture-juridique"] == before["atelier-culture-juridique"], "neither changed nor deleted"
    assert talks["restitution"]["date"].startswith("2021-11-12T16:00:00")
    assert set(talks) == set(before), "no session made of the bad marker"
    assert report["connectors"]["exports"]["deleted"] == 0
