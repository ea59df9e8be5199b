"""Held changes: a source that changes too much at once (or bit by bit) waits for a person.

In-memory remotes stand for a calendar anyone in the collective can edit; the real pad and
calendar servers run the same scenarios in tests/etherpad and tests/caldav.
"""

from __future__ import annotations

import time
from pathlib import Path

from hub.review import decide
from hub.runtime import build_engine, load_settings
from sync.report import Report
from sync.state import StateStore
from tests.doubles.memory import MemoryStore
from tests.helpers import write_config

CALENDAR = """
[connectors.calendar]
type = "memory"
store = "calendar"
owns = ["start", "end", "venue", "status", "existence"]
fields = ["title", "start", "end", "venue", "status"]
"""
CHAT = """
[connectors.chat]
type = "memory"
store = "chat"
targets = ["public", "orga"]
fields = ["title"]
"""
FILES = '\n[connectors.exports]\ntype = "files"\npath = "public"\n'
ADMIN = 'admin_chats = ["chat:orga"]'


async def sync(config: Path, clock: float | None = None) -> Report:
    engine = build_engine(load_settings(config), **({"clock": lambda: clock} if clock else {}))
    return await engine.sync()


def store_of(config: Path) -> StateStore:
    return StateStore.open(load_settings(config).database_url)


def page(folder: Path) -> str:
    return (folder / "public" / "index.html").read_text(encoding="utf-8")


def cancel_everything(calendar: MemoryStore) -> None:
    for remote_id in list(calendar.items):
        calendar.edit(remote_id, status="cancelled")


async def test_a_mass_cancellation_is_held_and_the_organisers_told_once(tmp_path: Path) -> None:
    config = write_config(tmp_path, CALENDAR + CHAT + FILES, hub_extra=ADMIN)
    await sync(config)
    before = page(tmp_path)
    calendar, chat = MemoryStore.named("calendar"), MemoryStore.named("chat")
    cancel_everything(calendar)
    report = await sync(config)
    assert [(h["batch"], h["connector"], h["sessions"]) for h in report.held] == [(1, "calendar", 22)]
    assert report.connectors["calendar"].held == 22 and not report.failed
    assert report.changes == [] and report.announcement is None
    assert page(tmp_path) == before, "nothing reached the public page"
    assert "public" not in chat.messages, "nothing announced"
    assert len(chat.messages["orga"]) == 1
    notice = chat.messages["orga"][0]
    assert "lot 1" in notice and "22 séance(s)" in notice and "hub review --accept 1" in notice
    assert all(r["status"] == "scheduled" for r in store_of(config).load_sessions().values())
    again = await sync(config)
    assert again.held and again.held[0]["batch"] == 1 and not again.held[0]["new"]
    assert len(chat.messages["orga"]) == 1, "one notice per batch, not one per sync"


async def test_rejecting_restores_the_source_and_changes_nothing_else(tmp_path: Path) -> None:
    config = write_config(tmp_path, CALENDAR + CHAT + FILES, hub_extra=ADMIN)
    await sync(config)
    before = page(tmp_path)
    calendar = MemoryStore.named("calendar")
    cancel_everything(calendar)
    await sync(config)
    decide(store_of(config), 1, "rejected", "fr")
    report = await sync(config)
    assert report.held == [] and report.changes == []
    assert report.connectors["calendar"].updated == 22, "the calendar gets the programme back"
    assert {item.fields["status"] for item in calendar.items.values()} == {"scheduled"}
    assert page(tmp_path) == before
    assert "public" not in MemoryStore.named("chat").messages
    assert [b.state for b in store_of(config).held_batches(("restored",))] == ["restored"]
    quiet = await sync(config)
    assert quiet.held == [] and quiet.connectors["calendar"].updated == 0


async def test_an_accepted_batch_flows_everywhere_once(tmp_path: Path) -> None:
    config = write_config(tmp_path, CALENDAR + CHAT + FILES, hub_extra=ADMIN)
    await sync(config)
    calendar, chat = MemoryStore.named("calendar"), MemoryStore.named("chat")
    cancel_everything(calendar)
    await sync(config)
    decide(store_of(config), 1, "accepted", "fr")
    report = await sync(config)
    assert report.held == []
    assert sorted({c.kind for c in report.changes}) == ["cancelled"] and len(report.changes) == 22
    assert report.connectors["exports"].updated == 22
    assert len(chat.messages["public"]) == 1, "one announcement"
    assert all(r["status"] == "cancelled" for r in store_of(config).load_sessions().values())
    # What a person accepted does not count against the source's next edits.
    calendar.edit("restitution", status="scheduled")
    after = await sync(config)
    assert after.held == [] and [c.session for c in after.changes] == ["restitution"]
    assert len(chat.messages["public"]) == 2


async def test_an_accepted_batch_that_changed_since_is_held_again(tmp_path: Path) -> None:
    config = write_config(tmp_path, CALENDAR + FILES)
    await sync(config)
    calendar = MemoryStore.named("calendar")
    cancel_everything(calendar)
    await sync(config)
    decide(store_of(config), 1, "accepted", "fr")
    calendar.edit("restitution", title="Spam")  # not owned: drift, not part of the review
    calendar.edit("restitution", venue="ailleurs")
    report = await sync(config)
    assert [h["batch"] for h in report.held] == [1], "what was accepted is not what is there now"
    assert all(r["status"] == "scheduled" for r in store_of(config).load_sessions().values())
    assert [b.state for b in store_of(config).held_batches()] == ["open"]


async def test_deleting_a_few_sessions_per_sync_is_held_once_the_window_adds_up(tmp_path: Path) -> None:
    config = write_config(tmp_path, CALENDAR + FILES)
    now = time.time()
    await sync(config, now)
    calendar = MemoryStore.named("calendar")
    keys = sorted(calendar.items)
    for remote_id in keys[:3]:
        calendar.remove(remote_id)
    first = await sync(config, now + 60)
    assert first.held == [] and sorted(c.session for c in first.changes) == keys[:3]
    for remote_id in keys[3:6]:
        calendar.remove(remote_id)
    second = await sync(config, now + 120)
    assert [h["sessions"] for h in second.held] == [3], "6 of 22 in a day is more than max(3, 20 %)"
    assert len(store_of(config).load_sessions()) == 19
    # A day later the window no longer holds the first three.
    later = await sync(config, now + 25 * 3600)
    assert later.held == [] and len(store_of(config).load_sessions()) == 16


async def test_a_source_reviewed_for_deletions_holds_a_single_one(tmp_path: Path) -> None:
    config = write_config(tmp_path, CALENDAR.replace('fields = ["title"', 'review = "deletions"\nfields = ["title"')
                          + FILES)
    await sync(config)
    calendar = MemoryStore.named("calendar")
    calendar.remove("restitution")
    report = await sync(config)
    assert [(h["reason"], h["removed"][0]["id"]) for h in report.held] == [("deletions", "restitution")]
    assert "restitution" in store_of(config).load_sessions()
    calendar.edit("accueil-cafe", start="2021-11-12T09:30:00+01:00")
    edited = await sync(config)
    assert edited.held and edited.held[0]["batch"] == 1, "the source waits as a whole for its review"


async def test_revert_undoes_a_sync_everywhere_with_one_correction(tmp_path: Path) -> None:
    config = write_config(tmp_path, CALENDAR + CHAT + FILES)
    await sync(config)
    before = page(tmp_path)
    calendar, chat = MemoryStore.named("calendar"), MemoryStore.named("chat")
    calendar.edit("atelier-culture-juridique", start="2021-11-13T15:00:00+01:00", end="2021-11-13T17:30:00+01:00")
    calendar.remove("restitution")
    edited = await sync(config)
    assert edited.held == [] and len(chat.messages["public"]) == 1
    store = store_of(config)
    runs = {row.sync for row in store.history()}
    last = max(r for r in runs if r is not None)
    assert {(r.session, r.field) for r in store.history(sync=last)} == {
        ("atelier-culture-juridique", "start"), ("atelier-culture-juridique", "end"), ("restitution", "existence")}
    reverted = await build_engine(load_settings(config), revert=last).sync()
    assert not reverted.failed
    assert page(tmp_path) == before, "the public page is back to what it was"
    assert calendar.items["atelier-culture-juridique"].fields["start"] == "2021-11-13T14:00:00+01:00"
    assert any(item.key == "restitution" for item in calendar.items.values()), "the removed session is back"
    assert len(chat.messages["public"]) == 2
    assert chat.messages["public"][1].startswith("Correction du programme")
    # The revert is a run of its own, in the history, and can be undone in turn.
    assert {r.origin for r in store_of(config).history(sync=last + 1)} == {"revert"}
    quiet = await sync(config)
    assert quiet.changes == [] and quiet.held == []
