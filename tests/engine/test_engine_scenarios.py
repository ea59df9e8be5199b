"""The engine's guarantees on scenarios a collective lives through, with in-memory remotes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from hub.runtime import build_engine, load_settings
from sync.report import Report
from sync.state import StateStore
from tests.doubles.memory import MemoryStore
from tests.helpers import edit_programme, write_config

CALENDAR = """
[connectors.calendar]
type = "memory"
store = "calendar"
owns = ["start", "end", "venue", "status"]
fields = ["title", "start", "end", "venue", "status"]
"""
CHAT = """
[connectors.chat]
type = "memory"
store = "chat"
targets = ["group-a", "group-b"]
fields = ["title"]
"""
FILES = '\n[connectors.exports]\ntype = "files"\npath = "public"\n'


async def sync(config: Path, **kwargs: bool) -> Report:
    return await build_engine(load_settings(config), **kwargs).sync()


def writes(report: Report, name: str) -> int:
    r = report.connectors[name]
    return r.created + r.updated + r.deleted


async def test_edit_in_a_calendar_reaches_the_other_sinks_once(tmp_path: Path) -> None:
    config = write_config(tmp_path, CALENDAR + FILES)
    first = await sync(config)
    assert first.connectors["calendar"].created == 22
    calendar = MemoryStore.named("calendar")
    calendar.edit("atelier-culture-juridique", start="2021-11-13T15:00:00+01:00", end="2021-11-13T17:30:00+01:00")
    second = await sync(config)
    assert [(c.session, c.kind) for c in second.changes] == [("atelier-culture-juridique", "retimed")]
    assert writes(second, "exports") == 1
    assert writes(second, "calendar") == 0, "the calendar already holds its own edit"
    page = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    block = page[page.index('id="atelier-culture-juridique"'):]
    assert block[: block.index("</li>")].count(">15 h<") == 1
    third = await sync(config)
    assert third.changes == [] and writes(third, "exports") == 0 and writes(third, "calendar") == 0


async def test_non_owned_field_edited_remotely_is_restored(tmp_path: Path) -> None:
    config = write_config(tmp_path, CALENDAR)
    await sync(config)
    MemoryStore.named("calendar").edit("restitution", title="Renamed by hand")
    report = await sync(config)
    assert report.changes == []
    assert report.connectors["calendar"].updated == 1
    restored = MemoryStore.named("calendar").items["restitution"].fields["title"]
    assert restored == "Prendre soin des communs : la restitution"


async def test_two_sources_disagreeing_is_a_conflict_not_last_writer_wins(tmp_path: Path) -> None:
    config = write_config(tmp_path, CALENDAR + FILES)
    await sync(config)
    edit_programme(tmp_path, "atelier-municipalisme", start="2021-11-13T14:30")
    MemoryStore.named("calendar").edit("atelier-municipalisme", start="2021-11-13T15:00:00+01:00")
    report = await sync(config)
    assert {(c.session, c.field) for c in report.conflicts} == {("atelier-municipalisme", "start")}
    store = StateStore.open(load_settings(config).database_url)
    record = store.load_sessions()["atelier-municipalisme"]
    assert record["start"] == "2021-11-13T14:00:00+01:00", "neither edit silently wins"
    assert {c.connector for c in store.open_conflicts()} == {"programme", "calendar"}
    assert MemoryStore.named("calendar").items["atelier-municipalisme"].fields["start"] == "2021-11-13T15:00:00+01:00"


async def test_mass_disappearance_stops_that_connector_only(tmp_path: Path) -> None:
    config = write_config(tmp_path, CALENDAR + FILES)
    await sync(config)
    calendar = MemoryStore.named("calendar")
    for remote_id in list(calendar.items)[:10]:
        calendar.remove(remote_id)
    edit_programme(tmp_path, "accueil-cafe", title='"Accueil café"')
    report = await sync(config)
    assert "vanished" in (report.connectors["calendar"].error or "")
    assert len(calendar.items) == 12, "nothing was deleted or recreated behind the guard"
    assert writes(report, "exports") == 1, "the other sinks went on"
    forced = await sync(config, force_delete=True)
    assert forced.connectors["calendar"].created == 10
    assert len(calendar.items) == 22


async def test_a_sink_that_sat_out_a_run_still_gets_its_changes(tmp_path: Path) -> None:
    """A change made while a sink was stopped reaches it once it runs again, even after syncs
    that changed nothing (they must not mark later changes as already planned)."""
    config = write_config(tmp_path, CALENDAR)
    await sync(config)
    await sync(config)  # nothing new
    calendar = MemoryStore.named("calendar")
    kept = "restitution"
    for remote_id in [k for k in calendar.items if calendar.items[k].key != kept][:10]:
        calendar.remove(remote_id)
    programme = tmp_path / "programme.yaml"
    data = yaml.safe_load(programme.read_text(encoding="utf-8"))
    data["sessions"] = [s for s in data["sessions"] if s["id"] != kept]
    programme.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    stopped = await sync(config)
    assert "vanished" in (stopped.connectors["calendar"].error or "")
    await sync(config, force_delete=True)
    assert kept not in {item.key for item in calendar.items.values()}, "removed from the programme"


async def test_announcement_reaches_each_chat_once(tmp_path: Path) -> None:
    config = write_config(tmp_path, CHAT)
    first = await sync(config)
    assert MemoryStore.named("chat").messages == {}, "the first publication is not news"
    assert first.announcement is None
    edit_programme(tmp_path, "atelier-culture-juridique", start="2021-11-13T15:00", end="2021-11-13T17:30",
                   venue="apres-m")
    await sync(config)
    await sync(config)
    messages = MemoryStore.named("chat").messages
    assert set(messages) == {"group-a", "group-b"}
    for sent in messages.values():
        assert sent == ["Changements au programme\n• Culture juridique : déplacé de 14 h à 15 h, L'Après M"]


async def test_an_edit_undone_before_the_sync_says_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path, CHAT)
    await sync(config)
    edit_programme(tmp_path, "restitution", start="2021-11-12T16:00")
    edit_programme(tmp_path, "restitution", start="2021-11-12T15:30")
    report = await sync(config)
    assert report.changes == [] and MemoryStore.named("chat").messages == {}, "A->B->A says nothing"


async def test_a_failing_sink_catches_up_without_duplicates(tmp_path: Path) -> None:
    config = write_config(tmp_path, CALENDAR + FILES)
    calendar = MemoryStore.named("calendar")
    calendar.fail_writes = 1
    first = await sync(config)
    assert first.failed and first.connectors["exports"].created == 22
    assert first.connectors["calendar"].error
    second = await sync(config)
    assert not second.failed
    assert second.connectors["calendar"].created == 22
    assert len(calendar.items) == 22
    assert writes(await sync(config), "calendar") == 0


async def test_bad_credentials_on_one_connector_leave_the_others_running(tmp_path: Path) -> None:
    config = write_config(tmp_path, CALENDAR + FILES)
    MemoryStore.named("calendar").auth_broken = True
    report = await sync(config)
    assert "credentials" in (report.connectors["calendar"].error or "")
    assert report.connectors["exports"].created == 22


async def test_message_whose_fate_is_unknown_is_flagged_not_resent(tmp_path: Path) -> None:
    config = write_config(tmp_path, CHAT)
    await sync(config)
    settings = load_settings(config)
    edit_programme(tmp_path, "restitution", start="2021-11-12T16:00")
    chat = MemoryStore.named("chat")
    chat.fail_writes = 2  # both sends fail: the entries stay pending
    await sync(config)
    store = StateStore.open(settings.database_url)
    pending = store.outbox_entries("chat", ("pending",))
    assert len(pending) == 2
    with store.transaction() as conn:  # a run died right after marking one as sending
        store.mark(conn, [pending[0].id], "sending")
    await build_engine(settings, clock=lambda: time.time() + 10**7).sync()
    assert [e.target for e in store.outbox_entries("chat", ("in_doubt",))] == [pending[0].target]
    assert sum(len(v) for v in chat.messages.values()) == 1


async def test_announcements_wait_for_a_quiet_period(tmp_path: Path) -> None:
    config = write_config(tmp_path, CHAT, hub_extra="announce_delay = 600")
    settings = load_settings(config)
    chat = MemoryStore.named("chat")

    async def sync_at(moment: float) -> Report:
        return await build_engine(settings, clock=lambda: moment).sync()

    await sync_at(0)
    edit_programme(tmp_path, "restitution", start="2021-11-12T16:00")
    assert (await sync_at(100)).announcement is None, "too soon: more edits may follow"
    edit_programme(tmp_path, "restitution", start="2021-11-12T15:30")
    await sync_at(200)
    await sync_at(1000)
    assert chat.messages == {}, "moved and moved back across syncs: nothing to say"
    edit_programme(tmp_path, "restitution", start="2021-11-12T16:30")
    await sync_at(1100)
    edit_programme(tmp_path, "fishbowl-anthropocene", title='"Fishbowl"')
    await sync_at(1500)
    assert chat.messages == {}
    await sync_at(1800)
    assert [len(m) for m in chat.messages.values()] == [1, 1]
    assert chat.messages["group-a"] == ["Changements au programme\n"
                                        "• Prendre soin des communs : la restitution : déplacé de 15 h 30 à 16 h 30"]
    await sync_at(2200)
    assert chat.messages["group-a"][1:] == ["Changements au programme\n"
                                            "• « Le projet des communs dans le contexte de l'anthropocène » "
                                            "s'appelle désormais « Fishbowl »"]
    await sync_at(9999)
    assert [len(m) for m in chat.messages.values()] == [2, 2]


async def test_a_lost_answer_is_flagged_in_doubt_and_not_resent(tmp_path: Path) -> None:
    config = write_config(tmp_path, CHAT)
    await sync(config)
    edit_programme(tmp_path, "restitution", start="2021-11-12T16:00")
    chat = MemoryStore.named("chat")
    chat.lose_answers = 1
    report = await sync(config)
    assert report.connectors["chat"].sent == 1 and report.connectors["chat"].in_doubt == 1 and report.failed
    await sync(config)
    assert sorted(len(v) for v in chat.messages.values()) == [1, 1], "delivered once each, never resent"
    store = StateStore.open(load_settings(config).database_url)
    [doubt] = store.outbox_entries("chat", ("in_doubt",))
    assert "connection broke" in (doubt.error or "")


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_planning_changes_nothing(tmp_path: Path, language: str) -> None:
    config = write_config(tmp_path, CALENDAR + FILES, hub_extra=f'language = "{language}"')
    plan = await build_engine(load_settings(config)).plan()
    assert plan.connectors["calendar"].created == 22
    assert MemoryStore.named("calendar").items == {}
    assert not (tmp_path / "public").exists()


async def test_resolving_a_conflict_reaches_every_sink_and_stays_resolved(tmp_path: Path) -> None:
    from hub.conflicts import list_conflicts, resolve_conflict

    config = write_config(tmp_path, CALENDAR + FILES)
    await sync(config)
    edit_programme(tmp_path, "atelier-municipalisme", start="2021-11-13T14:30")
    MemoryStore.named("calendar").edit("atelier-municipalisme", start="2021-11-13T15:00:00+01:00")
    await sync(config)
    settings = load_settings(config)
    by_connector = {row["connector"]: row["id"] for row in list_conflicts(settings)}
    resolve_conflict(settings, by_connector["calendar"], "theirs", "fr")
    resolve_conflict(settings, by_connector["programme"], "ours", "en")
    assert list_conflicts(settings) == []
    report = await sync(config)
    assert writes(report, "exports") == 1 and writes(report, "calendar") == 0
    page = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    block = page[page.index('id="atelier-municipalisme"'):]
    assert ">15 h<" in block[: block.index("</li>")]
    edit_programme(tmp_path, "restitution", title='"La restitution"')
    later = await sync(config)
    assert [c.session for c in later.changes] == ["restitution"] and later.conflicts == []


async def test_an_event_change_reaches_a_sink_that_sat_out_the_run_it_happened_in(tmp_path: Path) -> None:
    """The event's own title is shown with every item: a sink that could not be read when it
    changed gets it at the next run, though that run sees no new change."""
    config = write_config(tmp_path, CALENDAR + "event_title = true\n")
    await sync(config)
    calendar = MemoryStore.named("calendar")
    programme = tmp_path / "programme.yaml"
    text = programme.read_text(encoding="utf-8")
    old_title = yaml.safe_load(text)["event"]["title"]
    programme.write_text(text.replace(f"title: {old_title}", "title: Assemblée des communs 2022", 1),
                         encoding="utf-8")
    calendar.fail_pulls = 1
    missed = await sync(config)
    assert missed.connectors["calendar"].error and missed.connectors["calendar"].updated == 0
    caught_up = await sync(config)
    assert caught_up.connectors["calendar"].updated == 22
    assert {item.fields["event_title"] for item in calendar.items.values()} == {"Assemblée des communs 2022"}
    assert (await sync(config)).connectors["calendar"].updated == 0
