"""``hub pad new``: meeting-notes pads from a template, on the real Etherpad."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import pytest

from tests.etherpad.conftest import EtherpadServer, Person
from tests.helpers import run_hub, write_config

pytestmark = pytest.mark.peer("etherpad")


def config(folder: Path, server: EtherpadServer, public: str = "") -> str:
    (folder / "etherpad.key").write_text(server.api_key, encoding="utf-8")
    extra = f'public_url = "{public}"\n' if public else ""
    return str(
        write_config(
            folder,
            f"""
[connectors.pad]
type = "etherpad"
url = "{server.url}"
api_key_file = "etherpad.key"
pad = "programme"
{extra}""",
        )
    )


def test_a_meeting_pad_is_created_from_the_template_and_its_url_printed(
    tmp_path: Path, etherpad_server: EtherpadServer, person: Person
) -> None:
    title = f"Réunion de coordination {secrets.token_hex(2)} 2021-10-05"
    made = run_hub("pad", "new", title, "--config", config(tmp_path, etherpad_server), check=True)
    url = made.stdout.strip()
    assert url.startswith(f"{etherpad_server.url}/p/reunion-de-coordination-")
    pad_id = url.rsplit("/", 1)[1]
    text = httpx.get(f"{url}/export/txt").text
    assert text.startswith(f"{title}\n\nDate : mardi 5 octobre 2021\n")
    for heading in ("== Participant·es ==", "== Ordre du jour ==", "== Décisions =="):
        assert heading in text
    person.write(pad_id, text.replace("1.\n", "1. Budget\n", 1))

    again = run_hub("pad", "new", title, "--config", config(tmp_path, etherpad_server), check=True)
    assert again.stdout.strip() == f"{url}-2"  # a new pad: the first one, now edited, is kept
    assert "1. Budget" in person.text(pad_id)


def test_english_template_and_public_address(tmp_path: Path, etherpad_server: EtherpadServer, person: Person) -> None:
    cfg = config(tmp_path, etherpad_server, public="https://pad.example.org")
    title = f"Coordination meeting {secrets.token_hex(2)}"
    made = run_hub("pad", "new", title, "--lang", "en", "--config", cfg, check=True)
    url = made.stdout.strip()
    assert url.startswith("https://pad.example.org/p/coordination-meeting-")
    text = person.text(url.rsplit("/", 1)[1])
    assert "== Agenda ==" in text and "== Decisions ==" in text and "== Participants ==" in text


def test_without_an_etherpad_connector_it_says_so(tmp_path: Path) -> None:
    cfg = str(write_config(tmp_path, '[connectors.exports]\ntype = "files"\npath = "public"\n'))
    result = run_hub("pad", "new", "Réunion", "--config", cfg)
    assert result.returncode == 2
    assert "etherpad" in result.stderr
