"""``hub sync`` answering "nothing to do" from what an earlier sync kept of its settings
(:mod:`hub.quickstart`), before the settings' models are loaded.

What a user relies on: the kept inputs are used only while the settings would be the same (the
file, its environment, the hub's code), a stale or damaged file only costs a validation, work is
never hidden, and no secret ever lands in the cache folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hub.arguments import plain_arguments
from hub.quickstart import Verdict, kept_file, quick_sync
from tests.helpers import run_hub, write_config

FILES = '\n[connectors.exports]\ntype = "files"\npath = "public"\n'
TOKEN = "a-trigger-token-nobody-guesses"


@pytest.fixture
def kept(tmp_path: Path) -> Path:
    """A configuration synced by the ``hub`` command twice: its settings' inputs are kept."""
    config = write_config(tmp_path / "collective", FILES, hub_extra='programme_review = "never"')
    run_hub("sync", "--config", str(config), check=True)
    run_hub("sync", "--config", str(config), check=True)
    return config


def cache_files() -> list[Path]:
    return sorted(Path(os.environ["XDG_CACHE_HOME"]).rglob("*"))


def test_the_next_sync_answers_from_the_kept_inputs(kept: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert kept_file(kept.resolve(), os.environ) in cache_files()
    assert quick_sync(str(kept), as_json=False) is Verdict.NOTHING
    assert capsys.readouterr().out.strip() == "Rien à faire : tout est à jour."
    assert quick_sync(str(kept), as_json=True) is Verdict.NOTHING
    report = json.loads(capsys.readouterr().out)
    assert report["connectors"]["exports"]["unchanged"] == 22
    status = run_hub("status", "--config", str(kept), "--json", check=True)
    assert json.loads(status.stdout)["connectors"]["exports"]["unchanged"] == 22


def test_a_changed_file_or_environment_means_validating_again(kept: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept.write_text(kept.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    assert quick_sync(str(kept), as_json=False) is Verdict.UNKNOWN
    run_hub("sync", "--config", str(kept), check=True)  # validates, finds nothing, keeps the new inputs
    assert quick_sync(str(kept), as_json=False) is Verdict.NOTHING
    monkeypatch.setenv("HUB_HUB__ANNOUNCE_DELAY", "600")
    assert quick_sync(str(kept), as_json=False) is Verdict.UNKNOWN
    monkeypatch.delenv("HUB_HUB__ANNOUNCE_DELAY")
    assert quick_sync(str(kept), as_json=False) is Verdict.NOTHING
    # The same folder elsewhere: another file, nothing kept for it.
    moved = kept.parent.rename(kept.parent.with_name("moved")) / "hub.toml"
    assert quick_sync(str(moved), as_json=False) is Verdict.UNKNOWN


def test_a_damaged_kept_file_costs_a_validation_only(kept: Path) -> None:
    where = kept_file(kept.resolve(), os.environ)
    assert where is not None
    for damage in ("{not json", json.dumps({"format": 2}), json.dumps({"format": 2, "key": [], "sync": 3})):
        where.write_text(damage, encoding="utf-8")
        assert quick_sync(str(kept), as_json=False) is Verdict.UNKNOWN
        said = run_hub("sync", "--config", str(kept), check=True)
        assert said.stdout.strip() == "Rien à faire : tout est à jour."
    assert quick_sync(str(kept), as_json=False) is Verdict.NOTHING


def test_work_is_never_hidden_and_the_full_sync_does_it(kept: Path) -> None:
    programme = kept.parent / "programme.yaml"
    programme.write_text(programme.read_text(encoding="utf-8").replace("Culture juridique", "Culture juridiqué", 1),
                         encoding="utf-8")
    assert quick_sync(str(kept), as_json=False) is Verdict.WORK
    report = json.loads(run_hub("sync", "--config", str(kept), "--json", check=True).stdout)
    assert report["connectors"]["exports"]["updated"] == 1
    assert quick_sync(str(kept), as_json=False) is Verdict.NOTHING


def test_a_secret_in_the_file_is_never_kept_nor_hashed(tmp_path: Path) -> None:
    config = write_config(tmp_path, FILES + f'\n[daemon]\ntrigger_token = "{TOKEN}"\n',
                          hub_extra='programme_review = "never"')
    run_hub("sync", "--config", str(config), check=True)
    run_hub("sync", "--config", str(config), check=True)
    assert kept_file(config.resolve(), os.environ) not in cache_files()
    assert quick_sync(str(config), as_json=False) is Verdict.UNKNOWN
    assert run_hub("sync", "--config", str(config), check=True).stdout.strip() == "Rien à faire : tout est à jour."


def test_a_secret_from_the_environment_is_kept_by_name_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(tmp_path, FILES, hub_extra='programme_review = "never"')
    monkeypatch.setenv("HUB_DAEMON__TRIGGER_TOKEN", TOKEN)
    run_hub("sync", "--config", str(config), check=True)
    run_hub("sync", "--config", str(config), check=True)
    where = kept_file(config.resolve(), os.environ)
    assert where is not None and where.exists()
    assert oct(where.stat().st_mode & 0o777) == "0o600"
    for path in cache_files():
        if path.is_file():
            assert TOKEN not in path.read_text(encoding="utf-8")
    assert "HUB_DAEMON__TRIGGER_TOKEN" in json.loads(where.read_text(encoding="utf-8"))["secret_variables"]
    assert quick_sync(str(config), as_json=False) is Verdict.NOTHING
    # A new token changes nothing a sync writes: still nothing to do.
    monkeypatch.setenv("HUB_DAEMON__TRIGGER_TOKEN", TOKEN + "-renewed")
    assert quick_sync(str(config), as_json=False) is Verdict.NOTHING


def test_a_state_database_on_a_server_is_never_kept_its_url_may_hold_a_password(tmp_path: Path) -> None:
    """The check reads only a SQLite state file: a PostgreSQL state's inputs are not kept, and
    so neither is its URL, which may carry the database's password."""
    from tests.peers.postgres import new_database

    password = "a-database-password-nobody-guesses"
    with new_database("hub_quick") as url:
        scheme, rest = url.split("://", 1)
        user, host = rest.split("@", 1)
        config = write_config(tmp_path, FILES, database=f"{scheme}://{user}:{password}@{host}",
                              hub_extra='programme_review = "never"')
        run_hub("sync", "--config", str(config), check=True)
        again = run_hub("sync", "--config", str(config), check=True).stdout
        assert again.strip().endswith("Rien à faire : tout est à jour.")  # the full sync found nothing
    assert kept_file(config.resolve(), os.environ) not in cache_files()
    for path in cache_files():
        if path.is_file():
            assert password not in path.read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize(("args", "parsed"), [
    (["sync"], (None, False)),
    (["sync", "--json"], (None, True)),
    (["sync", "--config", "a.toml", "--json"], ("a.toml", True)),
    (["sync", "--json", "--config=b.toml"], ("b.toml", True)),
    (["sync", "--full"], None),
    (["sync", "--config"], None),
    (["sync", "--config", "--json"], None),
    (["sync", "--json", "--json"], None),
    (["sync", "--config", "a.toml", "--config", "b.toml"], None),
    (["--debug", "sync"], None),
    (["status"], None),
    ([], None),
])
def test_only_a_plain_sync_is_answered_before_the_command_line_is_parsed(
        args: list[str], parsed: tuple[str | None, bool] | None) -> None:
    assert plain_arguments(args, "sync") == parsed
