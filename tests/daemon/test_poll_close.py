"""The single daemon closes a Framadate date poll whose --until has passed, as ``hub poll status``
does by hand: the meeting announced once, nothing done again at the following intervals."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.daemon.conftest import DaemonProcess
from tests.fakes.framadate import FakeFramadate, Voter
from tests.fakes.loopback import free_port
from tests.fakes.telegram import FakeTelegram
from tests.helpers import poll_sections, run_hub, write_config

CHAT = -1001


def test_the_daemon_closes_a_due_poll_and_announces_its_meeting_once(tmp_path: Path) -> None:
    framadate, telegram = FakeFramadate(), FakeTelegram()
    with framadate.running(), telegram.running():
        telegram.add_chat(CHAT)
        (tmp_path / "telegram.token").write_text(telegram.token)
        port = free_port()
        config = write_config(tmp_path, f"""
[daemon]
listen = "127.0.0.1:{port}"
probe_interval = 0.5
""" + poll_sections(framadate.url, telegram.url, CHAT), hub_extra='language = "en"')
        made = run_hub("poll", "create", "dates", "Coordination", "--slot", "2021-10-05T18:00",
                       "--slot", "2021-10-07T18:00", "--until", "2021-10-01", "--config", str(config), "--json",
                       check=True)
        poll = json.loads(made.stdout)["polls"][0]
        Voter(framadate.url).vote(poll["id"], "Ann", [0, 2])

        def meeting_told() -> list[str]:
            return [m.text for m in telegram.messages(CHAT) if "Date chosen by the poll" in m.text]

        daemon = DaemonProcess(config, port).start()
        try:
            daemon.wait_for(lambda: meeting_told(), 30, "the meeting announced")
            requests = len(framadate.requests)
            time.sleep(2.5)  # five probe intervals: the poll is done, nothing is read or told again
        finally:
            daemon.stop()
            daemon.close()
        assert len(meeting_told()) == 1, meeting_told()
        assert len(framadate.requests) == requests, "a finished poll costs no request"
        assert "1 poll(s) closed" in daemon.log_text()
        status = json.loads(run_hub("poll", "status", "--config", str(config), "--json", check=True).stdout)
        assert status["polls"][0]["closed"] and status["polls"][0]["meeting"]["announced"]
