"""A public pad vandalised or massively edited: held for review, then rejected or accepted.

The pad is the real Etherpad of the test suite, edited by a person through its API; ``hub``
runs as a child process; the organisers' chat is an in-memory chat kept in a file.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.doubles.memory import MemoryStore
from tests.etherpad.conftest import EtherpadServer, Person
from tests.helpers import hub_json, run_hub, write_config

pytestmark = pytest.mark.peer("etherpad")

BLOCK = re.compile(r"^(\d\d:\d\d-\d\d:\d\d) (.+) \[#([a-z0-9-]+)\]$", re.MULTILINE)


def config_for(folder: Path, server: EtherpadServer, pad: str) -> str:
    (folder / "secrets").mkdir(parents=True, exist_ok=True)
    (folder / "secrets" / "etherpad").write_text(server.api_key + "\n", encoding="utf-8")
    return str(write_config(
        folder,
        f"""
[connectors.pad]
type = "etherpad"
url = "{server.url}"
api_key_file = "secrets/etherpad"
pad = "{pad}"
owns = ["title", "description", "start", "end", "venue", "hosts", "status", "existence"]

[connectors.chat]
type = "memory"
store = "chat"
path = "chat.json"
targets = ["public", "orga"]
fields = ["title"]

[connectors.exports]
type = "files"
path = "public"
""",
        hub_extra='admin_chats = ["chat:orga"]',
    ))


def messages(folder: Path) -> dict[str, list[str]]:
    return MemoryStore.named("chat", path=folder / "chat.json").messages


def exports(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "public").iterdir()) if p.is_file()}


def vandalise(text: str) -> str:
    return BLOCK.sub(lambda m: f"ANNULÉ 14:00-16:30 <b>spam</b> Rejoignez t.me/spamspam [#{m.group(3)}]", text)


def held(report: dict[str, Any]) -> list[tuple[str, int]]:
    return [(h["connector"], h["sessions"]) for h in report["held"]]


def test_a_vandalised_pad_is_held_then_rejected_and_restored(
    tmp_path: Path, etherpad_server: EtherpadServer, person: Person
) -> None:
    pad = f"programme-{secrets.token_hex(4)}"
    config = config_for(tmp_path, etherpad_server, pad)
    hub_json("sync", "--config", config)
    original, published = person.text(pad), exports(tmp_path)
    assert len(BLOCK.findall(original)) == 22
    person.write(pad, vandalise(original))

    report = hub_json("sync", "--config", config)
    assert held(report) == [("pad", 22)]
    assert report["changes"] == [] and report["operations"] == []
    assert exports(tmp_path) == published, "no sink changed"
    chats = messages(tmp_path)
    assert "public" not in chats, "nothing announced"
    assert len(chats["orga"]) == 1 and "hub review --reject 1" in chats["orga"][0]

    listing = run_hub("review", "--config", config, env={"COLUMNS": "200"})
    assert listing.returncode == 0, listing.stderr
    assert "Lot n°1 · pad" in listing.stdout
    assert "Culture juridique : titre « Culture juridique » → « <b>spam</b> Rejoignez t.me/spamspam »" \
        in listing.stdout
    assert "Culture juridique : début « samedi 13 novembre, 14 h » → « samedi 13 novembre, 14 h »" \
        not in listing.stdout, "only what changes is listed"

    status = run_hub("status", "--config", config)
    assert "lot n°1 de pad en attente de relecture (22 séance(s))" in status.stdout

    again = hub_json("sync", "--config", config)
    assert held(again) == [("pad", 22)] and len(messages(tmp_path)["orga"]) == 1, "one notice per batch"

    rejected = run_hub("review", "--config", config, "--reject", "1")
    assert rejected.returncode == 0, rejected.stdout + rejected.stderr
    assert "Lot n°1 refusé" in rejected.stdout
    # Every block is back as the hub wrote it (blocks moved back may leave a blank line at the end).
    assert person.text(pad).rstrip("\n") == original.rstrip("\n"), "the pad holds the programme again"
    assert exports(tmp_path) == published
    assert "public" not in messages(tmp_path)
    settled = hub_json("sync", "--config", config)
    assert settled["held"] == [] and settled["changes"] == []
    assert settled["connectors"]["pad"]["requests"] == 1


def test_a_large_legitimate_edit_is_accepted_and_flows_everywhere_once(
    tmp_path: Path, etherpad_server: EtherpadServer, person: Person
) -> None:
    pad = f"programme-{secrets.token_hex(4)}"
    config = config_for(tmp_path, etherpad_server, pad)
    hub_json("sync", "--config", config)
    text = person.text(pad)
    moved = [m for m in BLOCK.finditer(text) if m.group(3) != "accueil-cafe"][:6]
    for match in moved:
        text = text.replace(match.group(0), f"{match.group(1)} {match.group(2)} (salle B) [#{match.group(3)}]")
    person.write(pad, text)

    report = hub_json("sync", "--config", config)
    assert held(report) == [("pad", 6)], "6 of 22 is more than max(3, 20 %)"

    accepted = hub_json("review", "--config", config, "--accept", "1")
    assert accepted["held"] == []
    assert sorted(c["session"] for c in accepted["changes"]) == sorted(m.group(3) for m in moved)
    assert accepted["connectors"]["exports"]["updated"] == 6
    assert len(messages(tmp_path)["public"]) == 1, "one announcement for the whole batch"
    page = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    assert page.count("(salle B)") == 6

    settled = hub_json("sync", "--config", config)
    assert settled["held"] == [] and settled["changes"] == []
    assert len(messages(tmp_path)["public"]) == 1
    status = hub_json("status", "--config", config)
    assert status["status"]["review"] == []
