"""The daemon starts a sync by itself when the quiet period lets a change be announced and when
the outbox's retry of a failed message falls due: nothing else asks for those syncs (the chat is
not a source, so no probe runs, and the programme file does not change again).

One daemon over the programme file, the exports and a Telegram chat (the fake), with
``announce_delay`` and ``retry_delay`` of a second or so.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.daemon.conftest import CHAT, DaemonProcess, daemon_sections, telegram_fake
from tests.fakes.loopback import free_port
from tests.fakes.telegram import FakeTelegram
from tests.helpers import edit_programme, write_config

QUIET = 1.5
RETRY = 1.0


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegram]:
    with telegram_fake() as fake:
        yield fake


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory, telegram: FakeTelegram) -> Iterator[DaemonProcess]:
    folder = tmp_path_factory.mktemp("daemon-schedule")
    (folder / "secrets").mkdir()
    (folder / "secrets" / "telegram").write_text(telegram.token + "\n")
    port = free_port()
    config = write_config(folder, daemon_sections(port) + f"""

[connectors.telegram]
type = "telegram"
api_url = "{telegram.url}"
token_file = "secrets/telegram"
chats = [{CHAT}]
pace_seconds = 0
""", hub_extra=f"announce_delay = {QUIET}\nretry_delay = {RETRY}\nretry_max_delay = {RETRY}")
    process = DaemonProcess(config, port).start()
    try:
        yield process
    finally:
        process.close()


def started(daemon: DaemonProcess) -> list[tuple[float, str]]:
    """(time, reason) of each sync the daemon started."""
    found = []
    for entry in daemon.logs():
        message = entry["message"]
        if message.startswith("synchronisation") and "commencée" in message:
            found.append((_stamp(entry["time"]), message.split("(", 1)[1].rstrip(")")))
    return found


def _stamp(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


def announced(telegram: FakeTelegram, title: str) -> int:
    """How many messages naming ``title`` the bot sent to the chat (the day messages are edited,
    not sent again: a new one is an announcement)."""
    return sum(1 for call in telegram.sends(CHAT) if title in str(call.params.get("text")))


def test_the_quiet_period_starts_the_sync_that_announces(daemon: DaemonProcess, telegram: FakeTelegram) -> None:
    before, done, known = len(started(daemon)), daemon.syncs(), announced(telegram, "la restitution")
    edit_programme(daemon.config.parent, "restitution", start="2021-11-12T16:00")
    changed = time.time()
    daemon.wait_for(lambda: daemon.syncs() > done, 20, "the sync of the file's change")
    if time.time() - changed < QUIET:
        assert announced(telegram, "la restitution") == known, "not announced while the quiet period runs"
    daemon.wait_for(lambda: announced(telegram, "la restitution") > known, 20, "the announcement, once quiet")
    assert announced(telegram, "la restitution") == known + 1
    syncs = started(daemon)[before:]
    assert syncs[0][1] == "programme file", syncs
    # The sync that sent it was started by the daemon's schedule, nothing else, once the period was over.
    due = [at for at, reason in syncs if reason == "announcements due"]
    assert due and due[0] - changed >= QUIET, syncs
    assert all(reason in ("programme file", "announcements due") for _, reason in syncs), syncs


def test_a_message_that_failed_is_sent_again_when_its_retry_falls_due(
    daemon: DaemonProcess, telegram: FakeTelegram,
) -> None:
    before, known = len(started(daemon)), announced(telegram, "Accueil et météo")
    telegram.fail("sendMessage", status=500, chat_id=CHAT, times=1)
    edit_programme(daemon.config.parent, "accueil-meteo", start="2021-11-12T09:45")
    daemon.wait_for(lambda: announced(telegram, "Accueil et météo") > known, 30, "the announcement, sent again")
    time.sleep(RETRY + 1)  # no second copy comes later
    assert announced(telegram, "Accueil et météo") == known + 1
    syncs = started(daemon)[before:]
    reasons = [reason for _, reason in syncs]
    assert reasons[:2] == ["programme file", "announcements due"], syncs
    assert "outbox retry" in reasons[2:], syncs
    failed = [e for e in daemon.logs() if e["message"].startswith("[telegram] synchronisation en échec")]
    assert failed and failed[-1].get("connector") == "telegram"
    retried = next(at for at, reason in syncs if reason == "outbox retry")
    assert retried - _stamp(failed[-1]["time"]) >= RETRY - 0.1, "not before the retry delay"
