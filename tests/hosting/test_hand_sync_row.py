"""A hosted collective's sync run by hand writes its outcome on the collective's registry row,
as a worker's sync does: ``hub collective list`` and /metrics tell what last happened to it."""

from __future__ import annotations

import json
import time
from pathlib import Path

from hub.hosting.registry import Registry
from tests.fakes.loopback import free_port
from tests.helpers import write_config
from tests.hosting.test_collective_commands import add_collective, hub


def test_a_hand_run_sync_leaves_its_outcome_on_the_registry_row(hosting_url: str, tmp_path: Path) -> None:
    add_collective(hosting_url, tmp_path / "alpha", "alpha")
    registry = Registry(hosting_url)
    try:
        before = time.time()
        synced = hub(hosting_url, "sync", "--collective", "alpha", "--json")
        assert synced.returncode == 0, synced.stderr
        created = json.loads(synced.stdout)["connectors"]["exports"]["created"]
        row = registry.get("alpha")
        assert row.last_result == "ok" and row.syncs == 1 and row.last_error is None
        assert row.last_changes == len(json.loads(synced.stdout)["changes"]) and created > 0
        assert row.last_at is not None and before <= row.last_at <= time.time()
        assert row.last_seconds is not None and 0 < row.last_seconds < time.time() - before
        listed = json.loads(hub(hosting_url, "collective", "list", "--json").stdout)["collectives"]
        assert [(c["id"], c["last_result"], c["syncs"]) for c in listed] == [("alpha", "ok", 1)]

        # A connector that fails: the row says "failed" and which, never the password.
        folder = tmp_path / "beta"
        (folder / "secrets").mkdir(parents=True)
        (folder / "secrets" / "caldav").write_text("sésame-très-secret\n")
        port = free_port()
        config = write_config(folder, f"""
[connectors.exports]
type = "files"
path = "public"

[connectors.calendar]
type = "caldav"
url = "http://hub:sésame-très-secret@127.0.0.1:{port}/cal/"
username = "hub"
password_file = "secrets/caldav"
""", database="sqlite:///own.db")
        assert hub(hosting_url, "collective", "add", "beta", "--config", str(config)).returncode == 0
        failed = hub(hosting_url, "sync", "--collective", "beta")
        assert failed.returncode == 1, failed.stderr
        row = registry.get("beta")
        assert row.last_result == "failed" and row.syncs == 1, row
        assert row.last_error and row.last_error.startswith("calendar: ") and "sésame" not in row.last_error
        assert registry.get("alpha").syncs == 1, "another collective's row is left alone"

        # A plan writes nothing: the row stays as the last sync left it.
        assert hub(hosting_url, "plan", "--collective", "alpha").returncode == 0
        assert registry.get("alpha").syncs == 1, "a plan is no sync"
    finally:
        registry.close()
