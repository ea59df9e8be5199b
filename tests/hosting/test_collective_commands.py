"""A host runs a hosted collective's own commands (``hub status --collective ID``...): its
configuration from the registry, its state in its schema, under the writer lock its workers take."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hub.hosting.jobs import Stores, sync_collective
from hub.hosting.registry import Registry
from sync.errors import LockBusy
from sync.state import StateStore, WriterLock
from tests.helpers import REPO, write_config


def hub(url: str | None, *args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HUB_HOSTING_DATABASE"}
    env["HUB_LANGUAGE"] = lang
    if url is not None:
        env["HUB_HOSTING_DATABASE"] = url
    return subprocess.run([sys.executable, "-m", "hub", *args], capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=60)


def add_collective(url: str, folder: Path, collective_id: str) -> Path:
    config = write_config(folder, '[connectors.exports]\ntype = "files"\npath = "public"\n',
                          database="sqlite:///own.db", hub_extra="lock_wait = 0.5")
    added = hub(url, "collective", "add", collective_id, "--config", str(config))
    assert added.returncode == 0, added.stderr
    return config


def test_refusals_are_clear(hosting_url: str, tmp_path: Path) -> None:
    config = add_collective(hosting_url, tmp_path / "alpha", "alpha")
    unknown = hub(hosting_url, "status", "--collective", "nobody")
    assert unknown.returncode == 2 and "no collective 'nobody'" in unknown.stderr, unknown.stderr
    no_database = hub(None, "history", "--collective", "alpha")
    assert no_database.returncode == 2 and "no hosting database" in no_database.stderr, no_database.stderr
    not_postgresql = hub(None, "sync", "--collective", "alpha", "--database", "sqlite:///x.db")
    assert not_postgresql.returncode == 2 and "needs a PostgreSQL database" in not_postgresql.stderr
    other = hosting_url.rsplit("/", 1)[0] + "/postgres"  # a PostgreSQL that hosts nothing: left as it was
    not_hosting = hub(None, "status", "--collective", "alpha", "--database", other)
    assert not_hosting.returncode == 2 and "is no hosting database" in not_hosting.stderr, not_hosting.stderr
    assert hub(None, "sync", "--collective", "alpha", "--database", other).returncode == 2
    both = hub(hosting_url, "review", "--collective", "alpha", "--config", str(config))
    assert both.returncode == 2 and "exclude each other" in both.stderr, both.stderr
    bad_id = hub(hosting_url, "export", "--collective", "Alpha;drop")
    assert bad_id.returncode == 2 and "invalid collective id" in bad_id.stderr, bad_id.stderr
    french = hub(hosting_url, "status", "--collective", "nobody", lang="fr")
    assert french.returncode == 2 and "aucun collectif « nobody »" in french.stderr, french.stderr
    assert not (tmp_path / "alpha" / "own.db").exists()


def test_commands_run_on_the_collectives_schema_under_the_workers_lock(hosting_url: str, tmp_path: Path) -> None:
    config = add_collective(hosting_url, tmp_path / "alpha", "alpha")
    add_collective(hosting_url, tmp_path / "beta", "beta")
    registry = Registry(hosting_url)
    stores = Stores(hosting_url)
    try:
        # A worker's store of the collective holds its writer lock: the hand-run sync waits
        # ([hub] lock_wait), then is refused, nothing applied.
        worker_store = stores.get(registry.get("alpha"), "en")
        with WriterLock(worker_store, None):
            busy = hub(hosting_url, "sync", "--collective", "alpha")
            assert busy.returncode == 1 and "[hub] lock_wait" in busy.stderr, busy.stderr
            # Another collective's lock is its own: beta syncs meanwhile.
            assert hub(hosting_url, "sync", "--collective", "beta").returncode == 0
        assert not (tmp_path / "alpha" / "public").exists(), "nothing applied while the worker held the lock"

        synced = hub(hosting_url, "sync", "--collective", "alpha", "--json")
        assert synced.returncode == 0, synced.stderr
        assert json.loads(synced.stdout)["connectors"]["exports"]["created"] > 0
        assert (tmp_path / "alpha" / "public").is_dir()
        assert not (tmp_path / "alpha" / "own.db").exists(), "the configuration's own database is not used"

        # And the other way round: a hand-run holder (the store its commands open) makes the
        # worker's sync job give way (procrastinate retries it).
        hand_store = StateStore.open(hosting_url, schema="c_alpha")
        try:
            with WriterLock(hand_store, None), pytest.raises(LockBusy):
                asyncio.run(sync_collective(registry, stores, "alpha", "test"))
        finally:
            hand_store.close()
        assert asyncio.run(sync_collective(registry, stores, "alpha", "test")).result == "ok"
        scheduled = registry.get("alpha").next_sync_at  # when the worker wants the next one
    finally:
        stores.close()
        registry.close()

    status = hub(hosting_url, "status", "--collective", "alpha", "--json")
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)
    assert shown["status"]["last_sync"] and "exports" in shown["connectors"], status.stdout
    history = json.loads(hub(hosting_url, "history", "--collective", "alpha", "--json").stdout)["history"]
    assert history, "the hand-run sync's changes are in the collective's history"
    exported = hub(hosting_url, "export", "--collective", "alpha", "--format", "yaml")
    assert exported.returncode == 0 and "Accueil et météo" in exported.stdout, exported.stderr
    assert json.loads(hub(hosting_url, "conflicts", "--collective", "alpha", "--json").stdout) == {"conflicts": []}
    assert json.loads(hub(hosting_url, "review", "--collective", "alpha", "--json").stdout) == {"held": []}

    engine = create_engine(hosting_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            rows = {schema: conn.execute(text(f"SELECT count(*) FROM {schema}.sessions")).scalar()
                    for schema in ("c_alpha", "c_beta")}
            public = conn.execute(text(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")).scalar()
    finally:
        engine.dispose()
    assert rows["c_alpha"] and rows["c_alpha"] == rows["c_beta"]

    # Reading leaves the workers' schedule alone; a command that may write makes a sync due now
    # (the workers carry on what it left: pushes of a decision, retries, announcements).
    registry = Registry(hosting_url)
    try:
        assert registry.get("alpha").next_sync_at == scheduled, "the reading commands left the schedule alone"
        before = time.time()
        assert hub(hosting_url, "sync", "--collective", "alpha").returncode == 0
        due = registry.get("alpha").next_sync_at
        assert due is not None and before <= due <= time.time()
        registry.set_paused("beta", True)
        assert hub(hosting_url, "sync", "--collective", "beta").returncode == 0
        assert registry.get("beta").next_sync_at is None, "a paused collective stays paused"
    finally:
        registry.close()
    assert public == 0, "nothing written outside the collectives' schemas"
    # Its own file still works as before, on its own database.
    assert hub(None, "status", "--config", str(config)).returncode == 0
