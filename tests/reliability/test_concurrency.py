"""Several writers at once: one apply at a time, nothing done twice, the state store intact, on
SQLite and on PostgreSQL (``hub sync`` by hand beside another, or beside the daemon)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from sync.state import StateStore, WriterLock
from tests.engine.conftest import postgres_url  # noqa: F401  (fixture)
from tests.helpers import REPO, edit_programme, hub_json, run_hub, write_config

FILES = '[connectors.exports]\ntype = "files"\npath = "public"\n'


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/state/hub.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


def start_sync(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.doubles.hub", "sync", "--config", str(config), "--json"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def writes(report: dict[str, Any]) -> int:
    return sum(c["created"] + c["updated"] + c["deleted"] for n, c in report["connectors"].items() if n != "programme")


def test_three_syncs_at_once_apply_one_after_the_other(tmp_path: Path, database: str) -> None:
    config = write_config(tmp_path, FILES, database=database)
    runs = [start_sync(config) for _ in range(3)]
    reports = []
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        reports.append(json.loads(out))
    done = sorted(writes(r) for r in reports)
    assert done[:2] == [0, 0] and done[2] > 0, "one run wrote everything; the others waited and found it done"
    assert hub_json("plan", "--config", str(config))["operations"] == []

    edit_programme(tmp_path, "restitution", start="2021-11-12T16:00")
    runs = [start_sync(config) for _ in range(3)]
    reports = [json.loads(run.communicate(timeout=300)[0]) for run in runs]
    assert sorted(writes(r) for r in reports)[:2] == [0, 0]
    changed = [r for r in reports if writes(r)]
    assert len(changed) == 1 and len(changed[0]["changes"]) == 1, "the change is applied and announced once"
    assert run_hub("status", "--config", str(config)).returncode == 0, "the state store is intact"


def test_a_sync_waits_for_the_writer_then_gives_up_with_a_clear_message(tmp_path: Path, database: str) -> None:
    config = write_config(tmp_path, FILES, database=database, hub_extra="lock_wait = 0")
    store = StateStore.open(database)
    lock = WriterLock(store, tmp_path / "state" / "hub.db.lock" if database.startswith("sqlite") else None)
    try:
        with lock:
            refused = run_hub("sync", "--config", str(config))
            assert refused.returncode == 1
            assert "Un autre hub écrit déjà" in refused.stderr and "[hub] lock_wait" in refused.stderr
            assert "Traceback" not in refused.stderr
            as_json = hub_json("sync", "--config", str(config), expect=1)
            assert as_json["error"].startswith("Un autre hub écrit déjà")

        # With a wait, the sync runs as soon as the other writer is done.
        config.write_text(config.read_text(encoding="utf-8").replace("lock_wait = 0", "lock_wait = 60"),
                          encoding="utf-8")
        lock.acquire()
        threading.Timer(2.0, lock.release).start()
        began = time.monotonic()
        waited = run_hub("sync", "--config", str(config))
        assert waited.returncode == 0, waited.stderr
        assert time.monotonic() - began >= 2.0, "it waited for the writer"
    finally:
        lock.release()
        store.close()
