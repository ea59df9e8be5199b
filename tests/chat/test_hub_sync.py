"""``hub sync`` end to end with Telegram and Signal chats (fake servers, real libraries)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.signal import FakeSignal
from tests.fakes.telegram import FakeTelegram
from tests.helpers import REPO, edit_programme, hub_json, run_hub, write_config

CHAT_A, CHAT_B, STRANGER = -1001, -1002, -1003


@pytest.fixture
def chats(
    telegram: FakeTelegram, signal_fake: FakeSignal
) -> Iterator[tuple[FakeTelegram, FakeSignal, str]]:
    for chat in (CHAT_A, CHAT_B, STRANGER):
        telegram.add_chat(chat)
    group = signal_fake.add_group("Assemblée", members=["+4917612345678"])
    yield telegram, signal_fake, group


def sections(
    telegram: FakeTelegram,
    signal_fake: FakeSignal,
    group: str,
    chats: tuple[int, ...] = (CHAT_A, CHAT_B),
) -> str:
    return f"""
[connectors.telegram]
type = "telegram"
api_url = "{telegram.url}"
token_file = "telegram.token"
chats = [{", ".join(str(c) for c in chats)}]
pace_seconds = 0

[connectors.signal]
type = "signal"
url = "{signal_fake.url}"
number = "{signal_fake.number}"
groups = ["{group}"]
pace_seconds = 0
"""


def configure(folder: Path, telegram: FakeTelegram, body: str) -> Path:
    config = write_config(folder, body)
    (folder / "telegram.token").write_text(telegram.token + "\n", encoding="utf-8")
    return config


def days(telegram: FakeTelegram, chat: int) -> list[str]:
    return [m.text for m in telegram.messages(chat) if m.text.startswith("Programme du")]


def test_posts_pins_announces_once_and_reruns_send_nothing(
    chats: tuple[FakeTelegram, FakeSignal, str], tmp_path: Path
) -> None:
    telegram, signal_fake, group = chats
    config = configure(tmp_path, telegram, sections(telegram, signal_fake, group))
    first = hub_json("sync", "--config", str(config))
    assert first["connectors"]["telegram"]["created"] == 22
    for chat in (CHAT_A, CHAT_B):
        assert len(days(telegram, chat)) == 3
        pinned = telegram.pinned(chat)
        assert pinned is not None and pinned.text.startswith("Programme du")
    assert len(signal_fake.shown(group)) == 3
    assert telegram.messages(STRANGER) == []
    stored = b"".join(f.read_bytes() for f in (tmp_path / "state").iterdir() if f.is_file())
    assert telegram.token.encode() not in stored  # the secret never reaches the state store
    # the day messages' ids live in the state store, not in files beside the config
    assert not (tmp_path / ".hub-state").exists()
    from hub.runtime import load_settings
    from sync.state import StateStore

    board = StateStore.open(load_settings(config).database_url).load_connector_state("telegram", "board")
    assert set(board["days"]) == {str(CHAT_A), str(CHAT_B)}

    edit_programme(
        tmp_path, "atelier-culture-juridique", start="2021-11-13T15:00", end="2021-11-13T17:30"
    )
    second = hub_json("sync", "--config", str(config))
    assert second["connectors"]["telegram"]["updated"] == 1
    assert second["connectors"]["telegram"]["sent"] == 2
    assert second["connectors"]["signal"]["sent"] == 1
    for chat in (CHAT_A, CHAT_B):
        news = [m for m in telegram.messages(chat) if m.text.startswith("Changements")]
        assert [m.text for m in news] == [
            "Changements au programme\n• Culture juridique : déplacé de 14 h à 15 h"
        ]
        assert "15 h – 17 h 30 · Culture juridique" in days(telegram, chat)[1]
        assert len(days(telegram, chat)) == 3  # edited in place, never reposted
    assert len(signal_fake.shown(group)) == 4

    calls, requests = len(telegram.calls), len(signal_fake.requests)
    third = hub_json("sync", "--config", str(config))
    assert third["changes"] == []
    assert len(telegram.calls) == calls and len(signal_fake.requests) == requests
    assert third["connectors"]["telegram"]["requests"] == 0


def test_a_chat_removed_from_the_config_receives_nothing_more(
    chats: tuple[FakeTelegram, FakeSignal, str], tmp_path: Path
) -> None:
    telegram, signal_fake, group = chats
    config = configure(tmp_path, telegram, sections(telegram, signal_fake, group))
    hub_json("sync", "--config", str(config))
    seen = len(telegram.messages(CHAT_B, include_deleted=True))
    config.write_text(
        config.read_text().replace(f"chats = [{CHAT_A}, {CHAT_B}]", f"chats = [{CHAT_A}]")
    )
    edit_programme(tmp_path, "accueil-cafe", title='"Accueil café & <grandes> tables"')
    report = hub_json("sync", "--config", str(config))
    assert report["connectors"]["telegram"]["sent"] == 1
    assert len(telegram.messages(CHAT_B, include_deleted=True)) == seen
    assert all(len(m.versions) == 1 for m in telegram.messages(CHAT_B))
    assert "Accueil café & <grandes> tables" in days(telegram, CHAT_A)[2]


def test_crash_between_send_and_record_leaves_one_message_in_doubt(
    chats: tuple[FakeTelegram, FakeSignal, str], tmp_path: Path
) -> None:
    telegram, signal_fake, group = chats
    config = configure(tmp_path, telegram, sections(telegram, signal_fake, group, chats=(CHAT_A,)))
    hub_json("sync", "--config", str(config))
    edit_programme(tmp_path, "restitution", start="2021-11-12T16:00", end="2021-11-12T18:00")
    carried_out = telegram.hold("sendMessage", chat_id=CHAT_A)
    child = subprocess.Popen(
        [sys.executable, "-m", "hub", "sync", "--config", str(config)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert carried_out.wait(120), "the announcement was never sent"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        telegram.release()
    announced = [m for m in telegram.messages(CHAT_A) if m.text.startswith("Changements")]
    assert len(announced) == 1

    after = hub_json("sync", "--config", str(config))
    assert after["connectors"]["telegram"].get("sent", 0) == 0
    status = hub_json("status", "--config", str(config))
    doubt = [(d["connector"], d["target"]) for d in status["status"]["in_doubt"]]
    # The kill caught Telegram's send; Signal, applied at the same time, may have been caught
    # mid-send too on a busy machine: at most one message in doubt per chat, never resent.
    assert ("telegram", str(CHAT_A)) in doubt and set(doubt) <= {("telegram", str(CHAT_A)), ("signal", group)}
    assert len(doubt) == len(set(doubt))
    assert len([m for m in telegram.messages(CHAT_A) if m.text.startswith("Changements")]) == 1
    assert len([t for t in signal_fake.shown(group) if t.startswith("Changements")]) <= 1
    assert len(days(telegram, CHAT_A)) == 3


def test_signal_captcha_holds_the_connector_until_reset(
    chats: tuple[FakeTelegram, FakeSignal, str], tmp_path: Path
) -> None:
    telegram, signal_fake, group = chats
    config = configure(tmp_path, telegram, sections(telegram, signal_fake, group))
    hub_json("sync", "--config", str(config))
    edit_programme(tmp_path, "restitution", start="2021-11-12T16:00", end="2021-11-12T18:00")
    signal_fake.rate_limit(times=1, captcha=True)
    report = hub_json("sync", "--config", str(config), expect=1)  # one connector failed
    assert report["connectors"]["telegram"]["sent"] == 2  # the others go on
    assert "hub connector reset signal" in (report["connectors"]["signal"]["error"] or "")
    requests = len(signal_fake.requests)
    held = hub_json("sync", "--config", str(config), expect=1)
    assert "held" in (held["connectors"]["signal"]["error"] or "")
    assert len(signal_fake.requests) == requests
    subprocess.run(
        [sys.executable, "-m", "hub", "connector", "reset", "signal", "--config", str(config)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    hub_json("sync", "--config", str(config))
    news = [t for t in signal_fake.shown(group) if t.startswith("Changements")]
    assert len(news) == 1


def test_a_429_storm_delays_one_chat_without_loss_or_duplicate(
    chats: tuple[FakeTelegram, FakeSignal, str], tmp_path: Path
) -> None:
    telegram, signal_fake, group = chats
    body = sections(telegram, signal_fake, group).replace(
        "pace_seconds = 0", "pace_seconds = 0\nmax_wait = 1", 1
    )
    config = configure(tmp_path, telegram, body)
    hub_json("sync", "--config", str(config))
    edit_programme(tmp_path, "accueil-cafe", start="2021-11-14T09:00")
    # chat A: two short pauses slept inline, then one long pause handed back to the engine
    telegram.fail("sendMessage", status=429, retry_after=1, chat_id=CHAT_A, times=2)
    telegram.fail("sendMessage", status=429, retry_after=2, chat_id=CHAT_A, times=1)
    report = hub_json("sync", "--config", str(config), expect=1)
    assert report["connectors"]["telegram"]["sent"] == 1  # chat B was not held up
    news = {
        c: [m for m in telegram.messages(c) if m.text.startswith("Changements")]
        for c in (CHAT_A, CHAT_B)
    }
    assert (len(news[CHAT_A]), len(news[CHAT_B])) == (0, 1)
    for _ in range(30):  # the daemon's next runs, until the pause is over
        if [m for m in telegram.messages(CHAT_A) if m.text.startswith("Changements")]:
            break
        time.sleep(0.5)
        run_hub("sync", "--config", str(config))
    for chat in (CHAT_A, CHAT_B):
        assert len([m for m in telegram.messages(chat) if m.text.startswith("Changements")]) == 1
    status = hub_json("status", "--config", str(config))
    assert status["status"]["in_doubt"] == []
    assert status["status"]["outbox"]["telegram"].get("pending", 0) == 0


def test_a_day_message_the_server_refuses_is_failed_and_tried_again(
    chats: tuple[FakeTelegram, FakeSignal, str], tmp_path: Path
) -> None:
    """signal-cli answering 404 for the day messages: not counted as created, exit 1, the
    work stays pending and the next run, once the server answers, posts them once."""
    telegram, signal_fake, group = chats
    config = configure(tmp_path, telegram, sections(telegram, signal_fake, group))
    signal_fake.fail(404)
    refused = hub_json("sync", "--config", str(config), expect=1)
    figures = refused["connectors"]["signal"]
    assert figures["created"] == 0 and figures["failed"] == 22
    assert "404" in figures["error"]
    assert refused["connectors"]["telegram"]["created"] == 22, "the other chats went on"
    status = hub_json("status", "--config", str(config))
    assert status["status"]["outbox"]["signal"] == {"pending": 22}
    again = hub_json("sync", "--config", str(config))
    assert again["connectors"]["signal"]["created"] == 22
    assert len(signal_fake.shown(group)) == 3, "each day posted once"


@pytest.mark.parametrize("parallel", [None, 1])
def test_an_announcement_goes_to_many_chats_at_once_each_once(
    telegram: FakeTelegram, tmp_path: Path, parallel: int | None
) -> None:
    """Twelve groups and a far server: the messages are on the wire together (at most
    ``parallel_chats`` at once, eight unless set), each group gets the announcement once; with
    ``parallel_chats = 1`` they go one after the other as before."""
    groups = [-1002000 - n for n in range(12)]
    for chat in groups:
        telegram.add_chat(chat)
    body = f"""
[connectors.telegram]
type = "telegram"
api_url = "{telegram.url}"
token_file = "telegram.token"
chats = [{", ".join(map(str, groups))}]
pace_seconds = 0
board = false
""" + (f"parallel_chats = {parallel}\n" if parallel else "")
    config = configure(tmp_path, telegram, body)
    hub_json("sync", "--config", str(config))
    edit_programme(tmp_path, "atelier-culture-juridique", start="2021-11-13T15:00", end="2021-11-13T17:30")
    telegram.latency = 0.15
    report = hub_json("sync", "--config", str(config))
    assert report["connectors"]["telegram"]["sent"] == len(groups)
    for chat in groups:
        assert [m.text for m in telegram.messages(chat)] == [
            "Changements au programme\n• Culture juridique : déplacé de 14 h à 15 h"
        ]
    if parallel == 1:
        assert telegram.in_flight_peak == 1
    else:
        assert 2 <= telegram.in_flight_peak <= 8
