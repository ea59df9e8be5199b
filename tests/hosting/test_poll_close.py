"""The poll-close job: a hosted collective's date poll whose --until has passed is closed by the
workers (found by the collective's probe, closed by a ``hub.poll_close`` job), its meeting
announced once, and nothing is done twice however many probes follow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hub.hosting.registry import Registry
from tests.fakes.framadate import FakeFramadate, Voter
from tests.fakes.telegram import FakeTelegram
from tests.helpers import REPO, poll_sections, write_config
from tests.hosting.conftest import Process, wait_for

CHAT = -1001


def hub(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUB_HOSTING_DATABASE": url, "HUB_LANGUAGE": "en"}
    return subprocess.run([sys.executable, "-m", "hub", *args], capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=60)


def test_a_due_poll_is_closed_by_the_workers_and_its_meeting_announced_once(hosting_url: str, tmp_path: Path) -> None:
    framadate, telegram = FakeFramadate(), FakeTelegram()
    with framadate.running(), telegram.running():
        telegram.add_chat(CHAT)
        folder = tmp_path / "alpha"
        folder.mkdir()
        (folder / "telegram.token").write_text(telegram.token)
        config = write_config(folder, """
[daemon]
probe_interval = 0.5
""" + poll_sections(framadate.url, telegram.url, CHAT), database="sqlite:///unused.db")
        assert hub(hosting_url, "collective", "add", "alpha", "--config", str(config)).returncode == 0
        made = hub(hosting_url, "poll", "create", "dates", "Réunion de coordination", "--slot", "2021-10-05T18:00",
                   "--slot", "2021-10-07T18:00", "--until", "2021-10-01", "--collective", "alpha", "--json")
        assert made.returncode == 0, made.stderr
        poll = json.loads(made.stdout)["polls"][0]
        Voter(framadate.url).vote(poll["id"], "Ann", [0, 2])
        Voter(framadate.url).vote(poll["id"], "Bob", [1, 2])

        def meeting_told() -> list[str]:
            return [m.text for m in telegram.messages(CHAT) if "Date chosen by the poll" in m.text
                    or "Date choisie par le sondage" in m.text]

        worker = Process(["worker"], hosting_url, tmp_path / "worker.log").start()
        try:
            wait_for(lambda: meeting_told(), 60, "the meeting announced", worker.text)
            registry = Registry(hosting_url)
            try:
                probes = registry.get("alpha").probes
                requests = len(framadate.requests)
                # Several probes later: nothing closed, read or told again.
                wait_for(lambda: registry.get("alpha").probes >= probes + 4, 60, "four more probes", worker.text)
            finally:
                registry.close()
        finally:
            assert worker.stop() == 0
        assert len(meeting_told()) == 1, meeting_told()
        assert len(framadate.requests) == requests, "a finished poll costs no request"
        status = json.loads(hub(hosting_url, "poll", "status", "--collective", "alpha", "--json").stdout)["polls"][0]
        assert status["closed"] and status["meeting"]["start"].startswith("2021-10-07T18:00")
        assert status["meeting"]["announced"]
        assert any('"collective": "alpha"' in line and "1 poll(s) closed" in line
                   for line in worker.text().splitlines()), worker.text()[-3000:]
