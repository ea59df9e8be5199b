"""The quick no-op check of ``hub sync`` (:mod:`sync.quick`): "nothing to do" only when a full
sync would indeed do nothing, and the full sync whenever anything might be due.

Each scenario puts a real state in some condition with real syncs (the engine, in process), then
asks the quick check and runs the full sync after it: whenever the quick check says "nothing to
do", the full sync must write, change and announce nothing. That is what a user relies on: a
quick answer that hid work would leave a calendar or a page stale.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Mapping
from pathlib import Path

import pytest

from connectors.registry import CONNECTOR_TYPES, connector_class
from hub.runtime import build_engine, load_settings
from sync.protocol import Capability, Connector
from sync.quick import QUIET_TYPES, NoOp, nothing_to_do
from sync.report import Report
from tests.helpers import edit_programme, run_hub, write_config

FILES = '\n[connectors.exports]\ntype = "files"\npath = "public"\n'
NOW = 1_700_000_000.0


def sync(config: Path, *, environ: Mapping[str, str] | None = None, now: float = NOW) -> Report:
    """One full sync in process, with the clock at ``now``."""
    settings = load_settings(config, environ=environ or {})
    engine = build_engine(settings, clock=lambda: now)
    try:
        return asyncio.run(engine.sync())
    finally:
        engine.store.close()


def quick(config: Path, *, environ: Mapping[str, str] | None = None) -> NoOp | None:
    return nothing_to_do(load_settings(config, environ=environ or {}))


def did_something(report: Report) -> bool:
    """What a user would see a sync do: a write, a change, an announcement, a held batch."""
    written = sum(r.created + r.updated + r.deleted + r.sent for r in report.connectors.values())
    return bool(written or report.changes or report.announcement or report.held or not report.up_to_date)


def state(config: Path) -> sqlite3.Connection:
    return sqlite3.connect(config.parent / "state" / "hub.db")


@pytest.fixture
def synced(tmp_path: Path) -> Path:
    """A configuration synced twice: its state says nothing is left to do."""
    config = write_config(tmp_path, FILES, hub_extra='programme_review = "never"')
    sync(config)
    sync(config)
    return config


def check_then_sync(config: Path, *, environ: Mapping[str, str] | None = None, now: float = NOW) -> tuple[
        NoOp | None, Report]:
    """The quick check's answer, then what the full sync did: the answer must never hide work."""
    verdict = quick(config, environ=environ)
    report = sync(config, environ=environ, now=now)
    if verdict is not None:
        assert not did_something(report), f"the quick check said nothing to do, the sync did: {report.to_json()}"
    return verdict, report


def test_an_unchanged_state_and_programme_is_nothing_to_do(synced: Path) -> None:
    verdict, report = check_then_sync(synced)
    assert verdict is not None
    assert verdict.to_json()["connectors"] == {
        name: {**figures.to_json(), "requests": 0} for name, figures in report.connectors.items()}
    # The programme saved again unchanged (same bytes, new time) is still nothing to do.
    programme = synced.parent / "programme.yaml"
    programme.write_bytes(programme.read_bytes())
    assert quick(synced) is not None


def test_a_programme_edited_by_one_byte_is_synced(synced: Path) -> None:
    programme = synced.parent / "programme.yaml"
    text = programme.read_text(encoding="utf-8")
    assert "Culture juridique" in text
    programme.write_text(text.replace("Culture juridique", "Culture juridiqué", 1), encoding="utf-8")
    verdict, report = check_then_sync(synced)
    assert verdict is None
    assert report.connectors["exports"].updated == 1
    assert quick(synced) is not None  # that sync ended clean: the next one is quick again


def test_a_changed_configuration_or_environment_is_synced(synced: Path) -> None:
    synced.write_text(synced.read_text(encoding="utf-8") + '\n[connectors.copy]\ntype = "files"\npath = "copy"\n',
                      encoding="utf-8")
    verdict, report = check_then_sync(synced)
    assert verdict is None
    assert report.connectors["copy"].created == 22
    assert quick(synced) is not None
    environ = {"HUB_HUB__ANNOUNCE_DELAY": "600"}
    verdict, _ = check_then_sync(synced, environ=environ)
    assert verdict is None
    assert quick(synced, environ=environ) is not None
    assert quick(synced) is None  # without the variable, the settings differ from the last sync's


def test_another_version_of_the_hub_runs_the_full_sync_once(synced: Path) -> None:
    with state(synced) as db:  # what the version before an upgrade recorded
        db.execute("UPDATE sync_inputs SET digest = ? WHERE name = 'code'", ("0" * 64,))
    verdict, report = check_then_sync(synced)
    assert verdict is None
    assert report.up_to_date
    assert quick(synced) is not None


def test_an_interrupted_delivery_is_synced(synced: Path) -> None:
    with state(synced) as db:
        db.execute("UPDATE outbox SET state = 'sending' WHERE id = (SELECT max(id) FROM outbox)")
    verdict, _report = check_then_sync(synced)
    assert verdict is None
    for kind in ("pending", "failed", "in_doubt"):
        with state(synced) as db:
            db.execute("UPDATE outbox SET state = ? WHERE id = (SELECT max(id) FROM outbox)", (kind,))
        assert quick(synced) is None, kind


def test_an_announcement_waiting_for_its_quiet_period_is_synced(tmp_path: Path) -> None:
    config = write_config(tmp_path, FILES, hub_extra='programme_review = "never"\nannounce_delay = 600')
    sync(config)
    edit_programme(tmp_path, "atelier-culture-juridique", start="2021-11-13T15:00", end="2021-11-13T17:30")
    assert sync(config, now=NOW).announcement is None  # waits for ten quiet minutes
    verdict, report = check_then_sync(config, now=NOW + 601)
    assert verdict is None
    assert report.announcement is not None
    assert quick(config) is not None


def test_changes_held_for_review_or_a_decision_waiting_are_synced(tmp_path: Path) -> None:
    config = write_config(tmp_path, FILES, hub_extra='programme_review = "always"')
    sync(config)
    edit_programme(tmp_path, "atelier-culture-juridique", start="2021-11-13T15:00")
    assert sync(config).held
    assert quick(config) is None  # held, and the held sync did not end clean
    with state(config) as db:
        db.execute("UPDATE held SET state = 'accepted'")
    verdict, report = check_then_sync(config)
    assert verdict is None
    assert report.connectors["exports"].updated == 1


def test_a_conflict_resolved_or_a_connector_held_by_its_breaker_is_synced(synced: Path) -> None:
    with state(synced) as db:
        db.execute("INSERT INTO breakers (connector, reason, opened_at) VALUES ('exports', 'test', '2026-01-01')")
    assert quick(synced) is None
    with state(synced) as db:
        db.execute("DELETE FROM breakers")
        db.execute("INSERT INTO conflicts (session, field, connector, state, created_at) "
                   "VALUES ('atelier-culture-juridique', 'title', 'exports', 'open', '2026-01-01')")
    assert quick(synced) is None
    with state(synced) as db:
        db.execute("DELETE FROM conflicts")
        # What `hub conflicts --resolve` does: a new change number for the session.
        db.execute("UPDATE sessions SET seq = (SELECT max(seq) + 1 FROM sessions) "
                   "WHERE id = 'atelier-culture-juridique'")
    verdict, _ = check_then_sync(synced)
    assert verdict is None
    assert quick(synced) is not None


def test_a_failed_sync_is_never_followed_by_a_quick_answer(synced: Path) -> None:
    ics = synced.parent / "public" / "programme.ics"
    ics.unlink()
    ics.mkdir()  # the page cannot be written
    edit_programme(synced.parent, "atelier-culture-juridique", start="2021-11-13T15:00", end="2021-11-13T17:30")
    assert sync(synced).failed
    ics.rmdir()
    verdict, report = check_then_sync(synced)
    assert verdict is None
    assert "T150000" in ics.read_text(encoding="utf-8")
    assert report.up_to_date
    assert quick(synced) is not None


def test_a_connector_with_time_driven_work_means_the_full_sync(synced: Path) -> None:
    text = synced.read_text(encoding="utf-8")
    # An e-mail digest goes out when its time comes, whether or not the programme changed.
    digest = ('\n[connectors.list]\ntype = "email"\nhost = "127.0.0.1"\nport = 1\nfrom = "hub@example.org"\n'
              'to = ["list@example.org"]\ndigest = "08:00"\n')
    synced.write_text(text + digest + "sync = false\n", encoding="utf-8")
    sync(synced)
    assert quick(synced) is not None  # a connector the sync does not run does not count
    synced.write_text(text + digest, encoding="utf-8")
    assert sync(synced).up_to_date  # nothing kept for a digest yet: no request, a clean sync
    assert quick(synced) is None


@pytest.mark.parametrize("type_name", sorted(QUIET_TYPES))
def test_the_quiet_types_have_no_time_driven_work_and_are_not_read(type_name: str) -> None:
    cls: type[Connector[object]] = connector_class(type_name)
    assert type_name in CONNECTOR_TYPES
    assert cls.refresh is Connector.refresh
    assert Capability.READ not in cls.capabilities


def test_a_state_to_migrate_or_missing_means_the_full_sync(synced: Path) -> None:
    with state(synced) as db:
        db.execute("UPDATE alembic_version SET version_num = '0004'")
    assert quick(synced) is None
    (synced.parent / "state" / "hub.db").unlink()
    assert quick(synced) is None


def test_hub_sync_says_nothing_to_do_in_both_languages_and_full_runs_the_sync(synced: Path) -> None:
    said = run_hub("sync", "--config", str(synced), check=True)
    assert said.stdout.strip() == "Rien à faire : tout est à jour."
    english = {"HUB_HUB__LANGUAGE": "en"}  # other settings: the full sync first, then the quick answer
    assert run_hub("sync", "--config", str(synced), env=english, check=True).stdout.strip().endswith(
        "Nothing to do: everything is up to date.")
    said = run_hub("sync", "--config", str(synced), env=english, check=True)
    assert said.stdout.strip() == "Nothing to do: everything is up to date."
    full = run_hub("sync", "--config", str(synced), "--full", check=True)
    assert "exports" in full.stdout and full.stdout.strip().endswith("Rien à faire : tout est à jour.")
    status = run_hub("status", "--config", str(synced), check=True)
    assert "exports" in status.stdout



def test_a_state_on_postgresql_always_runs_the_full_sync(tmp_path: Path, postgres_url: str) -> None:
    config = write_config(tmp_path, FILES, database=postgres_url, hub_extra='programme_review = "never"')
    sync(config)
    report = sync(config)
    assert not did_something(report)
    assert quick(config) is None  # read through SQLAlchemy by the full sync, never by sqlite3
