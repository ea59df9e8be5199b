"""A real ``hub sync`` killed with SIGKILL while applying: the next run converges, nothing lost
or duplicated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import REPO, hub_json, write_config

SLOW_REMOTE = """
[connectors.calendar]
type = "memory"
path = "remote/calendar.json"
write_delay = 0.08
fields = ["title", "start", "end", "venue", "status"]

[connectors.exports]
type = "files"
path = "public"
"""


def remote_items(folder: Path) -> dict[str, dict[str, object]]:
    path = folder / "remote" / "calendar.json"
    if not path.exists():
        return {}
    items: dict[str, dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))["items"]
    return items


def test_killed_sync_converges_without_loss_or_duplicates(tmp_path: Path) -> None:
    config = write_config(tmp_path, SLOW_REMOTE)
    child = subprocess.Popen([sys.executable, "-m", "tests.doubles.hub", "sync", "--config", str(config)], cwd=REPO,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(remote_items(tmp_path)) < 6:
        assert child.poll() is None, "the sync ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    written = len(remote_items(tmp_path))
    assert 6 <= written < 22

    report = hub_json("sync", "--config", str(config))
    items = remote_items(tmp_path)
    assert sorted(i["key"] for i in items.values()) == sorted({i["key"] for i in items.values()})
    assert len(items) == 22
    calendar = report["connectors"]["calendar"]
    assert calendar["created"] + calendar["updated"] <= 22 - written + 1

    again = hub_json("sync", "--config", str(config))
    for figures in again["connectors"].values():
        assert (figures["created"], figures["updated"], figures["deleted"], figures["failed"]) == (0, 0, 0, 0)
