"""Random edits, failures and crashes through two in-memory remotes and the programme file.

A hypothesis state machine in the style of vdirsyncer's SyncMachine. After every sync it checks
the engine's promises: a second sync writes nothing, the hub's writes never come back as
changes, no edit is lost (merged or listed as a conflict), and a mass disappearance stops the
connector instead of spreading.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from hub.runtime import build_engine, load_settings
from sync.report import Report
from sync.state import StateStore
from tests.doubles.memory import MemoryStore, SimulatedCrash
from tests.helpers import reference_programme, write_config

PROGRAMME = reference_programme()
KEYS = sorted(PROGRAMME.sessions)
# Review holds (tested on their own in test_review.py) would stop random edits: merged here.
CONNECTORS = """
[connectors.cal]
type = "memory"
store = "cal"
review = "never"
owns = ["start", "venue", "status"]
fields = ["title", "start", "end", "venue", "status"]

[connectors.pad]
type = "memory"
store = "pad"
review = "never"
owns = ["title", "start"]
fields = ["title", "start", "end", "venue"]
"""
OWNS = {"cal": ("start", "venue", "status"), "pad": ("title", "start")}
VENUES = sorted(PROGRAMME.venues)


def earlier_start(key: str, hours: int) -> str:
    start = PROGRAMME.sessions[key].start - timedelta(hours=hours)
    return start.isoformat()


class SyncMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        MemoryStore.REGISTRY.clear()
        self.folder = Path(tempfile.mkdtemp(prefix="hub-machine-"))
        self.config = write_config(self.folder, CONNECTORS)
        self.settings = load_settings(self.config)
        self.outstanding: dict[tuple[str, str, str], Any] = {}
        self.mass_deleted: str | None = None
        self.removed: set[str] = set()
        self.run_sync()

    def teardown(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def store(self, name: str) -> MemoryStore:
        return MemoryStore.named(name)

    def run_sync(self, force_delete: bool = False) -> Report | None:
        try:
            return asyncio.run(build_engine(self.settings, force_delete=force_delete).sync())
        except SimulatedCrash:
            return None

    # what people and servers do ------------------------------------------------------------
    @rule(connector=st.sampled_from(["cal", "pad"]), key=st.sampled_from(KEYS), hours=st.integers(0, 2))
    def edit_start(self, connector: str, key: str, hours: int) -> None:
        store = self.store(connector)
        if key in store.items:
            value = earlier_start(key, hours)
            store.edit(key, start=datetime.fromisoformat(value).isoformat())
            self.outstanding[(connector, key, "start")] = value

    @rule(key=st.sampled_from(KEYS), venue=st.sampled_from(VENUES))
    def edit_venue(self, key: str, venue: str) -> None:
        if key in self.store("cal").items:
            self.store("cal").edit(key, venue=venue)
            self.outstanding[("cal", key, "venue")] = venue

    @rule(key=st.sampled_from(KEYS), title=st.sampled_from(["Atelier A", "Atelier B", "Plénière"]))
    def edit_title(self, key: str, title: str) -> None:
        if key in self.store("pad").items:
            self.store("pad").edit(key, title=title)
            self.outstanding[("pad", key, "title")] = title

    @rule(connector=st.sampled_from(["cal", "pad"]), key=st.sampled_from(KEYS))
    def delete_one(self, connector: str, key: str) -> None:
        store = self.store(connector)
        if key in store.items:
            store.remove(key)
            for slot in [s for s in self.outstanding if s[0] == connector and s[1] == key]:
                del self.outstanding[slot]

    @precondition(lambda self: self.mass_deleted is None)
    @rule(connector=st.sampled_from(["cal", "pad"]))
    def delete_many(self, connector: str) -> None:
        store = self.store(connector)
        for remote_id in list(store.items)[:12]:
            store.remove(remote_id)
        self.outstanding = {s: v for s, v in self.outstanding.items() if s[0] != connector}
        self.mass_deleted = connector

    @precondition(lambda self: len(self.removed) < 3)
    @rule(key=st.sampled_from(KEYS))
    def remove_from_programme(self, key: str) -> None:
        """An organiser deletes a session from the programme file (the file owns existence)."""
        path = self.folder / "programme.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["sessions"] = [s for s in data["sessions"] if s["id"] != key]
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        self.removed.add(key)
        self.outstanding = {s: v for s, v in self.outstanding.items() if s[1] != key}

    @rule(connector=st.sampled_from(["cal", "pad"]), n=st.integers(1, 2))
    def fail_writes(self, connector: str, n: int) -> None:
        self.store(connector).fail_writes = n

    @rule(connector=st.sampled_from(["cal", "pad"]))
    def fail_pull(self, connector: str) -> None:
        self.store(connector).fail_pulls = 1

    @rule(connector=st.sampled_from(["cal", "pad"]), after=st.integers(1, 3))
    def crash_while_applying(self, connector: str, after: int) -> None:
        self.store(connector).crash_after_writes = after

    # the hub -----------------------------------------------------------------------------------
    @rule()
    def sync(self) -> None:
        report = self.run_sync()
        if report is None:
            return
        if self.mass_deleted is not None:
            assert "vanished" in (report.connectors[self.mass_deleted].error or "")
            report = self.run_sync(force_delete=True)
            if report is None:
                return
            self.mass_deleted = None
        self.check_no_edit_lost(report)

    def check_no_edit_lost(self, report: Report) -> None:
        store = StateStore.open(self.settings.database_url)
        try:
            canonical = store.load_sessions()
            conflicts = {(c.connector, c.session, c.field): c.theirs for c in store.open_conflicts()}
        finally:
            store.close()
        for (connector, key, field), value in list(self.outstanding.items()):
            if report.connectors[connector].error:
                continue  # not pulled this time: the edit is still there to be merged
            merged = canonical[key][field] == value
            listed = conflicts.get((connector, key, field)) == value
            # the field is disputed: another source's conflicting value is listed for a person
            superseded = any(k == key and f == field for (_c, k, f) in conflicts)
            assert merged or listed or superseded, f"edit lost: {connector} set {key}.{field}={value!r}"
            del self.outstanding[(connector, key, field)]

    @invariant()
    def settle_and_check(self) -> None:
        """With faults cleared, two syncs converge: the second writes and announces nothing."""
        for name in ("cal", "pad"):
            store = self.store(name)
            store.fail_writes = store.fail_pulls = 0
            store.crash_after_writes = None
        if self.mass_deleted is not None:
            return
        first = self.run_sync()
        assert first is not None
        self.check_no_edit_lost(first)
        second = self.run_sync()
        assert second is not None
        assert second.changes == [], "the hub's own writes came back as changes"
        store = StateStore.open(self.settings.database_url)
        try:
            canonical = store.load_sessions()
            held = {(c.connector, c.session) for c in store.open_conflicts()}
        finally:
            store.close()
        assert set(canonical) == set(KEYS) - self.removed
        for name in ("cal", "pad"):
            r = second.connectors[name]
            assert (r.created, r.updated, r.deleted, r.failed) == (0, 0, 0, 0), (name, r)
            items = {i.key: i.fields for i in self.store(name).items.values()}
            assert set(items) == set(canonical), f"{name} does not hold exactly the programme"
            for key, fields in items.items():
                if (name, key) in held:
                    continue  # a person's conflicting edit is kept there until resolved
                for field, value in fields.items():
                    assert canonical[key][field] == value, f"{name} holds a stale {key}.{field}"


TestSyncMachine = SyncMachine.TestCase
TestSyncMachine.settings = settings(
    max_examples=15, stateful_step_count=12, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
