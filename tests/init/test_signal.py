"""``hub init`` for Signal against the signal-cli-rest-api fake: no account yet, so a device is
linked with the QR code (the phone "scans" it), the group is picked from the account's groups,
``hub check`` passes and the first ``hub sync`` posts the day's programme in the group."""

from __future__ import annotations

import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.signal import FakeSignal
from tests.init.conftest import hub, small_programme


@pytest.fixture
def signal() -> Iterator[FakeSignal]:
    fake = FakeSignal("+33600000001", linked=False)
    with fake.running():
        yield fake


def _scan_when_shown(fake: FakeSignal) -> threading.Thread:
    def scan() -> None:
        deadline = time.monotonic() + 30
        while fake.link_requested is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if fake.link_requested is not None:
            fake.scan_link()

    thread = threading.Thread(target=scan, daemon=True)
    thread.start()
    return thread


def test_a_device_is_linked_by_qr_code_and_the_group_picked_from_the_list(tmp_path: Path, signal: FakeSignal) -> None:
    group = signal.add_group("Assemblée des communs", members=["+33612345678"])
    signal.add_group("Autre groupe")
    answers = tmp_path / "answers.toml"
    answers.write_text(f"""
[hub]
language = "fr"
programme = "{small_programme(tmp_path)}"
tools = ["signal", "files"]
[signal]
url = "{signal.url}"
account = "link"
wait = 20
groups = ["Assemblée des communs"]
[files]
path = "public"
""", encoding="utf-8")
    scanner = _scan_when_shown(signal)
    done = hub("init", str(tmp_path / "hub"), "--answers", str(answers))
    scanner.join(5)
    assert done.returncode == 0, done.stdout + done.stderr
    assert signal.link_requested == "Commons Hub"
    assert "Appareils liés" in done.stdout and "█" in done.stdout  # the QR code, drawn
    assert "Appareil lié : +33600000001" in done.stdout
    config = tomllib.loads((tmp_path / "hub" / "hub.toml").read_text(encoding="utf-8"))
    assert config["connectors"]["signal"]["number"] == "+33600000001"
    assert config["connectors"]["signal"]["groups"] == [group]
    assert not (tmp_path / "hub" / "secrets").exists()  # nothing secret in this set-up

    sync = hub("sync", "--config", str(tmp_path / "hub" / "hub.toml"))
    assert sync.returncode == 0, sync.stdout + sync.stderr
    assert [s for s in signal.sent if s.recipient == group], "the day's programme was posted in the group"
