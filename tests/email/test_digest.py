"""``digest = "18:00"``: the day's changes in one message, sent by the first sync at or after
that time (event time zone), once, across restarts and a kill mid-send."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.email import EmailConnector
from sync.errors import DeliveryUnknown, PermanentError
from tests.email.conftest import MakeConnector, settings
from tests.email.digest_child import connector as stored_connector
from tests.email.support import PROGRAMME, announcement, edited, later
from tests.fakes.smtp import LIST, PASSWORD, SMTPServer
from tests.helpers import REPO

PARIS = ZoneInfo("Europe/Paris")


def at(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2021, 11, day, hour, minute, tzinfo=PARIS).timestamp()


def clocked(connector: EmailConnector, moment: float) -> EmailConnector:
    connector.clock = lambda: moment
    return connector


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/hub.db"


@pytest.fixture
def config(smtp: SMTPServer, tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "smtp.password").write_text(PASSWORD + "\n", encoding="utf-8")
    return settings(smtp, digest="18:00")


async def test_the_days_changes_make_one_message_at_the_digest_time(
    smtp: SMTPServer, config: dict[str, Any], database: str, tmp_path: Path
) -> None:
    morning = later(PROGRAMME, "atelier-culture-juridique")
    afternoon = edited(later(morning, "atelier-culture-juridique"), "restitution", status="cancelled")
    first = stored_connector(config, database, tmp_path, at(12, 10))
    ref = await first.announce(LIST, announcement(PROGRAMME, morning, "e1"))
    assert ref.remote_id == "digest:e1"
    await first.refresh(PROGRAMME)
    second = stored_connector(config, database, tmp_path, at(12, 14))  # a restart in between
    await second.announce(LIST, announcement(morning, afternoon, "e2"))
    await second.announce(LIST, announcement(morning, afternoon, "e2"))  # the same entry again: kept once
    await second.refresh(PROGRAMME)
    assert smtp.received() == [] and smtp.connections == 0  # nothing due: not even a connection

    evening = stored_connector(config, database, tmp_path, at(12, 18, 5))
    await evening.refresh(afternoon)
    [digest] = smtp.received()
    message = digest.message
    assert message["Subject"] == "Programme : les changements du vendredi 12 novembre"
    assert message["Message-ID"] == evening.message_id(LIST, "digest:2021-11-12")
    plain = message.get_body(("plain",))
    assert plain is not None
    text = plain.get_content().replace("\r\n", "\n")
    assert text.startswith("Les changements au programme du vendredi 12 novembre\n")
    # 14 h -> 15 h -> 16 h reads as one change, and the cancellation beside it
    assert "Culture juridique : déplacé de 14 h à 16 h" in text
    assert "à 15 h\n" not in text and "de 15 h à" not in text
    assert "la restitution (vendredi 12 novembre, 15 h 30) : annulé" in text
    assert text.count("• ") == 2

    await clocked(evening, at(12, 18, 10)).refresh(afternoon)  # a later sync the same evening
    late = stored_connector(config, database, tmp_path, at(12, 18, 30))
    await late.announce(LIST, announcement(afternoon, edited(afternoon, "accueil-cafe", venue="apres-m"), "e3"))
    await late.refresh(afternoon)
    assert len(smtp.received()) == 1  # after 18:00: for the next day's digest
    await clocked(late, at(13, 18)).refresh(afternoon)
    assert [r.message["Subject"] for r in smtp.received()][1] == "Programme : les changements du samedi 13 novembre"
    await clocked(late, at(14, 18)).refresh(afternoon)
    assert len(smtp.received()) == 2


async def test_changes_that_cancel_out_send_nothing(make_connector: MakeConnector, smtp: SMTPServer) -> None:
    connector = clocked(make_connector(digest="18:00"), at(12, 9))
    moved = later(PROGRAMME, "atelier-culture-juridique")
    await connector.announce(LIST, announcement(PROGRAMME, moved, "there"))
    await connector.announce(LIST, announcement(moved, PROGRAMME, "back"))
    await clocked(connector, at(12, 19)).refresh(PROGRAMME)
    assert smtp.received() == [] and smtp.connections == 0
    assert connector.records.load(f"digest:{LIST}")["queue"] == []


async def test_a_refused_digest_is_reported_once_and_not_retried(make_connector: MakeConnector,
                                                                  smtp: SMTPServer) -> None:
    connector = clocked(make_connector(digest="18:00"), at(12, 9))
    await connector.announce(LIST, announcement(PROGRAMME, later(PROGRAMME, "restitution"), "e1"))
    smtp.mailbox.lists[LIST] = set()  # the list now refuses the hub's sender
    with pytest.raises(PermanentError, match="refuse le destinataire"):
        await clocked(connector, at(12, 18)).refresh(PROGRAMME)
    commands = len(smtp.commands)
    await clocked(connector, at(12, 19)).refresh(PROGRAMME)
    assert len(smtp.commands) == commands
    assert connector.records.load(f"digest:{LIST}")["failed"][0]["day"] == "2021-11-12"


async def test_a_server_down_at_digest_time_keeps_the_changes_for_the_next_sync(
    make_connector: MakeConnector, smtp: SMTPServer, tmp_path: Path
) -> None:
    connector = clocked(make_connector(digest="18:00"), at(12, 9))
    await connector.announce(LIST, announcement(PROGRAMME, later(PROGRAMME, "restitution"), "e1"))
    smtp.fail_next("MAIL", "421 4.3.2 Service shutting down")
    with pytest.raises(Exception, match="421"):
        await clocked(connector, at(12, 18)).refresh(PROGRAMME)
    await clocked(connector, at(12, 18, 15)).refresh(PROGRAMME)
    assert len(smtp.received()) == 1


async def test_a_digest_cut_after_its_text_is_in_doubt_and_never_resent(
    make_connector: MakeConnector, smtp: SMTPServer
) -> None:
    connector = clocked(make_connector(digest="18:00"), at(12, 9))
    await connector.announce(LIST, announcement(PROGRAMME, later(PROGRAMME, "restitution"), "e1"))
    smtp.drop_next()
    with pytest.raises(DeliveryUnknown):
        await clocked(connector, at(12, 18)).refresh(PROGRAMME)
    await clocked(connector, at(13, 18)).refresh(PROGRAMME)
    assert len(smtp.received()) == 1
    assert connector.records.load(f"digest:{LIST}")["in_doubt"][0]["day"] == "2021-11-12"


def test_a_kill_between_sending_the_digest_and_recording_it_leaves_it_in_doubt(
    smtp: SMTPServer, config: dict[str, Any], database: str, tmp_path: Path
) -> None:
    import asyncio

    queued = stored_connector(config, database, tmp_path, at(12, 9))
    asyncio.run(queued.announce(LIST, announcement(PROGRAMME, later(PROGRAMME, "restitution"), "e1")))
    taken = smtp.hold()
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.email.digest_child", json.dumps(config), database, str(at(12, 18)),
         str(tmp_path)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        assert taken.wait(60), "the digest was never sent"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        smtp.release()
    assert len(smtp.received()) == 1

    after = stored_connector(config, database, tmp_path, at(12, 18, 30))
    with pytest.raises(DeliveryUnknown, match="le passage précédent s'est arrêté entre l'envoi et l'enregistrement"):
        asyncio.run(after.refresh(PROGRAMME))
    asyncio.run(after.refresh(PROGRAMME))  # reported once; never resent
    assert len(smtp.received()) == 1
    state = after.records.load(f"digest:{LIST}")
    assert state["queue"] == [] and len(state["in_doubt"]) == 1
