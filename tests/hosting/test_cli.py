"""``hub collective ...`` as a person runs it, and single-collective mode left as it was."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.helpers import REPO, write_config


def hub(url: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HUB_HOSTING_DATABASE"}
    env["HUB_LANGUAGE"] = "en"
    if url is not None:
        env["HUB_HOSTING_DATABASE"] = url
    return subprocess.run([sys.executable, "-m", "hub", *args], capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=60)


def collective_config(folder: Path) -> Path:
    return write_config(folder, '[connectors.exports]\ntype = "files"\npath = "public"\n',
                        database="sqlite:///unused.db")


def test_add_list_pause_resume_check_sync_remove(hosting_url: str, tmp_path: Path) -> None:
    config = collective_config(tmp_path / "alpha")
    added = hub(hosting_url, "collective", "add", "alpha", "--config", str(config))
    assert added.returncode == 0 and "alpha" in added.stdout and "c_alpha" in added.stdout, added.stderr
    again = hub(hosting_url, "collective", "add", "alpha", "--config", str(config))
    assert again.returncode == 2 and "already exists" in again.stderr

    assert hub(hosting_url, "collective", "pause", "alpha").returncode == 0
    listed = json.loads(hub(hosting_url, "collective", "list", "--json").stdout)["collectives"]
    assert [(c["id"], c["paused"], c["schema"]) for c in listed] == [("alpha", True, "c_alpha")]
    assert hub(hosting_url, "collective", "resume", "alpha").returncode == 0
    assert "[paused]" not in hub(hosting_url, "collective", "list").stdout

    assert hub(hosting_url, "collective", "check").returncode == 0
    good = config.read_text(encoding="utf-8")
    config.write_text(good.replace('"files"', '"flies"'), encoding="utf-8")
    checked = hub(hosting_url, "collective", "check", "alpha")
    assert checked.returncode == 2 and "flies" in checked.stderr
    config.write_text(good, encoding="utf-8")

    assert "queued" in hub(hosting_url, "collective", "sync", "alpha").stdout
    assert "already queued" in hub(hosting_url, "collective", "sync", "alpha").stdout, "one queued sync at most"

    engine = create_engine(hosting_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        from sync.state import StateStore

        StateStore.open(hosting_url, schema="c_alpha").close()  # what a worker's sync makes
        assert hub(hosting_url, "collective", "remove", "alpha", "--drop-state").returncode == 0
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_namespace WHERE nspname = 'c_alpha'")).scalar() == 0
    finally:
        engine.dispose()
    gone = hub(hosting_url, "collective", "remove", "alpha")
    assert gone.returncode == 2 and "no collective" in gone.stderr


def test_refusals_a_bad_id_a_bad_configuration_no_database(hosting_url: str, tmp_path: Path) -> None:
    config = collective_config(tmp_path / "beta")
    bad_id = hub(hosting_url, "collective", "add", "Beta; drop", "--config", str(config))
    assert bad_id.returncode == 2 and "invalid collective id" in bad_id.stderr
    config.write_text(config.read_text(encoding="utf-8").replace('"files"', '"flies"'), encoding="utf-8")
    refused = hub(hosting_url, "collective", "add", "beta", "--config", str(config))
    assert refused.returncode == 2 and "flies" in refused.stderr
    assert json.loads(hub(hosting_url, "collective", "list", "--json").stdout) == {"collectives": []}
    nowhere = hub(None, "collective", "list")
    assert nowhere.returncode == 2 and "HUB_HOSTING_DATABASE" in nowhere.stderr
    sqlite = hub("sqlite:///x.db", "collective", "list")
    assert sqlite.returncode == 2 and "PostgreSQL" in sqlite.stderr


def test_single_collective_mode_never_loads_the_job_engine() -> None:
    probe = subprocess.run([sys.executable, "-c", (
        "import sys, hub.cli, hub.daemon, hub.commands, hub.runtime\n"
        "assert not [m for m in sys.modules if m.startswith(('procrastinate', 'hub.hosting.queue'))], "
        "sorted(m for m in sys.modules if 'procrastinate' in m)\n"
    )], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert probe.returncode == 0, probe.stderr
