"""``hub sync`` end to end: each change reaches the list exactly once, beside the chats; a kill
between sending and recording leaves one message in doubt; a refusal is reported, not retried."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hub.cli import cli
from hub.runtime import load_settings
from sync.state import StateStore
from tests.fakes.smtp import LIST, PASSWORD, SMTPServer
from tests.fakes.telegram import FakeTelegram
from tests.helpers import REPO, edit_programme, write_config

CHAT = -1001


def hub(*args: str, expect: int = 0) -> Any:
    """The real ``hub`` command, in this process (a child process costs seconds of imports)."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == expect, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout) if "--json" in args else result.stdout


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram().running() as fake:
        fake.add_chat(CHAT)
        yield fake


def configure(folder: Path, smtp: SMTPServer, telegram: FakeTelegram | None = None, extra: str = "") -> Path:
    (folder / "smtp.password").write_text(PASSWORD + "\n", encoding="utf-8")
    body = f"""
[connectors.liste]
type = "email"
host = "localhost"
port = {smtp.port}
username = "hub"
password_file = "smtp.password"
ca_bundle = "{smtp.ca_bundle.name}"
from = "Assemblée des communs <programme@assemblee.example.org>"
to = ["{LIST}"]
programme_url = "https://assemblee.example.org/programme/"
{extra}
"""
    if telegram is not None:
        (folder / "telegram.token").write_text(telegram.token + "\n", encoding="utf-8")
        body += f"""
[connectors.telegram]
type = "telegram"
api_url = "{telegram.url}"
token_file = "telegram.token"
chats = [{CHAT}]
pace_seconds = 0
board = false
"""
    return write_config(folder, body)


def test_each_change_reaches_the_list_once_beside_the_chats(
    smtp: SMTPServer, telegram: FakeTelegram, tmp_path: Path
) -> None:
    config = str(configure(tmp_path, smtp, telegram))
    checked = hub("check", "--config", config)
    assert "connecté en tant que hub" in checked and f"destinataire {LIST} accepté" in checked
    assert smtp.received() == []

    first = hub("sync", "--config", config, "--json")
    assert first["connectors"]["liste"]["requests"] == 0 and smtp.received() == []  # the baseline: nothing to say

    edit_programme(tmp_path, "atelier-culture-juridique", start="2021-11-13T15:00", end="2021-11-13T17:30")
    smtp.stop()
    down = hub("sync", "--config", config, "--json", expect=1)
    assert "injoignable" in down["connectors"]["liste"]["error"]
    assert down["connectors"]["telegram"]["sent"] == 1, "the chats do not wait for the list"
    smtp.start()
    second = hub("sync", "--config", config, "--json")
    assert second["connectors"]["liste"]["sent"] == 1 and second["connectors"]["liste"]["requests"] == 1
    assert second["connectors"]["telegram"].get("sent", 0) == 0
    [got] = smtp.received()
    assert got.message["Subject"] == "Programme : Culture juridique déplacé à 15 h"
    news = [m.text for m in telegram.messages(CHAT)]
    assert news == ["Changements au programme\n• Culture juridique : déplacé de 14 h à 15 h"]

    third = hub("sync", "--config", config, "--json")
    assert third["changes"] == [] and third["connectors"]["liste"]["requests"] == 0
    assert len(smtp.received()) == 1 and len(telegram.messages(CHAT)) == 1
    stored = b"".join(f.read_bytes() for f in (tmp_path / "state").iterdir() if f.is_file())
    assert PASSWORD.encode() not in stored
    assert got.message["Message-ID"].encode() in stored  # recorded before it was sent


def test_a_kill_between_sending_and_recording_leaves_one_message_in_doubt(
    smtp: SMTPServer, tmp_path: Path
) -> None:
    config = str(configure(tmp_path, smtp))
    hub("sync", "--config", config, "--json")
    edit_programme(tmp_path, "restitution", start="2021-11-12T16:00", end="2021-11-12T18:00")
    taken = smtp.hold()
    child = subprocess.Popen([sys.executable, "-m", "hub", "sync", "--config", config], cwd=REPO,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert taken.wait(120), "the announcement was never sent"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        smtp.release()
    assert len(smtp.received()) == 1

    after = hub("sync", "--config", config, "--json")
    assert after["connectors"]["liste"].get("sent", 0) == 0 and after["connectors"]["liste"]["requests"] == 0
    store = StateStore.open(load_settings(Path(config)).database_url)
    assert [(e.connector, e.target) for e in store.outbox_entries(states=("in_doubt",))] == [("liste", LIST)]
    status = hub("status", "--config", config)
    assert "liste" in status and LIST in status
    assert len(smtp.received()) == 1


def test_a_list_refusing_the_sender_is_reported_and_not_retried(smtp: SMTPServer, tmp_path: Path) -> None:
    config = str(configure(tmp_path, smtp))
    hub("sync", "--config", config, "--json")
    smtp.mailbox.lists[LIST] = {"someone.else@example.org"}
    edit_programme(tmp_path, "accueil-cafe", title='"Accueil café & grandes tables"')
    refused = hub("sync", "--config", config, "--json", expect=1)
    figures = refused["connectors"]["liste"]
    assert figures["failed"] == 1 and figures.get("sent", 0) == 0
    store = StateStore.open(load_settings(Path(config)).database_url)
    [failed] = store.outbox_entries(states=("failed",))
    assert failed.connector == "liste" and failed.error is not None
    assert "550 5.7.1" in failed.error and "abonnez programme@assemblee.example.org" in failed.error
    commands = len(smtp.commands)
    again = hub("sync", "--config", config, "--json")
    assert again["connectors"]["liste"]["requests"] == 0 and len(smtp.commands) == commands
    assert smtp.received() == []
