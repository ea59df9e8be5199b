"""The exports people and apps read: ICS for calendars, frab JSON for conference apps, HTML.

The published folder holds the three files and nothing else; the event around the sessions (its
title, a day's theme) reaches all three; the page says when it was last written and links to the
other two.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import string
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from icalendar import Calendar
from pydantic import ValidationError

from connectors.exports import (
    MESSAGES,
    PageLinks,
    frab_fragment,
    html_document,
    html_fragment,
    ics_fragment,
)
from connectors.files import LEGACY_CACHE, FilesConfig, FilesConnector
from connectors.http import build_client
from sync.model import Day, Programme, content_hash
from sync.programme_reader import parse_frab_json
from sync.protocol import Connector, ConnectorContext, ConnectorState, Link, RequestCounter
from tests.contract.suite import push, retimed
from tests.helpers import edit_programme, hub_json, reference_programme, write_config

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "c3voc-schedule-schema.json").read_text())
FILES = '\n[connectors.exports]\ntype = "files"\npath = "public"\n'
PUBLISHED = ["index.html", "programme.ics", "programme.json"]


class MemoryState(ConnectorState):
    """What the state store keeps for a connector, in memory, counting the mappings saved."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}
        self.saved: list[str] = []

    def load(self, key: str) -> dict[str, Any]:
        return json.loads(json.dumps(self.data.get(key, {})))

    def save(self, key: str, value: Mapping[str, Any]) -> None:
        self.data[key] = json.loads(json.dumps(value))
        self.saved.append(key)


#: When the exports are written, unless a test says otherwise: the sink reads no other clock.
WRITTEN = datetime(2021, 11, 10, 9, 0, 30, tzinfo=UTC)


def export(
    folder: Path, programme: Programme, language: str = "fr", *, state: ConnectorState | None = None,
    links: dict[str, Link] | None = None, keys: list[str] | None = None, at: datetime = WRITTEN,
    **settings: Any,
) -> dict[str, Link]:
    """Push ``keys`` (default: all) of ``programme`` to a files sink in ``folder/public`` as the
    engine does, ``at`` that time; the links it would keep."""
    async def run() -> dict[str, Link]:
        counter = RequestCounter()
        ctx = ConnectorContext("exports", build_client("exports", counter), counter, language, folder, state)
        connector = FilesConnector("exports", FilesConfig(type="files", path="public", **settings), ctx,
                                   clock=lambda: at)
        await connector.open()
        pushed = await push(connector, programme, links, keys)
        await ctx.close_http()
        return pushed

    return asyncio.run(run())


def vevents(folder: Path) -> dict[str, str]:
    """Session id -> its VEVENT, exactly as written."""
    text = (folder / "public" / "programme.ics").read_bytes().decode("utf-8")
    blocks = re.findall(r"BEGIN:VEVENT\r\n.*?END:VEVENT\r\n", text, flags=re.S)
    return {re.search(r"X-HUB-ID:(\S+)", block).group(1): block for block in blocks}  # type: ignore[union-attr]


def published(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "public").iterdir())}


def test_frab_json_validates_against_the_c3voc_schema(tmp_path: Path) -> None:
    export(tmp_path, reference_programme())
    document = json.loads((tmp_path / "public" / "programme.json").read_text(encoding="utf-8"))
    jsonschema.Draft6Validator(SCHEMA).validate(document)
    days = document["schedule"]["conference"]["days"]
    assert [d["date"] for d in days] == ["2021-11-12", "2021-11-13", "2021-11-14"]
    assert sum(len(events) for d in days for events in d["rooms"].values()) == 22


def test_ics_has_stable_uids_zone_and_cancellations(tmp_path: Path) -> None:
    programme = reference_programme()
    cancelled = programme.sessions["atelier-municipalisme"].with_fields({"status": "cancelled"})
    programme = Programme(programme.event, programme.days, programme.venues,
                          {**programme.sessions, cancelled.id: cancelled})
    export(tmp_path, programme)
    calendar = Calendar.from_ical((tmp_path / "public" / "programme.ics").read_bytes())
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    events = {str(e["X-HUB-ID"]): e for e in calendar.walk("VEVENT")}
    assert len(events) == 22
    uid = str(events["atelier-culture-juridique"]["UID"])
    assert uid == "atelier-culture-juridique@assemblee-communs-2021.commons-hub"
    assert events["atelier-culture-juridique"]["DTSTART"].params["TZID"] == "Europe/Paris"
    assert str(events["atelier-municipalisme"]["STATUS"]) == "CANCELLED"
    assert str(events["atelier-culture-juridique"]["LOCATION"]) == "Les 8 Pillards, 13014 Marseille"


def test_ics_keeps_line_breaks_inside_their_property_and_folds_long_lines(tmp_path: Path) -> None:
    """A line break typed in a title, a description, a venue or the event's name stays inside
    its property (escaped): it never starts a property of its own; lines are folded (RFC 5545)."""
    programme = reference_programme()
    session = programme.sessions["accueil-cafe"]
    evil = session.with_fields({
        "title": "Atelier\r\nATTENDEE:mailto:x@evil",
        "description": "Ouvert à toutes et à tous, " * 8 + "\nORGANIZER:mailto:x@evil\rX-EVIL:1",
    })
    venue = programme.venues[str(session.venue)]
    programme = replace(
        programme,
        event=replace(programme.event, title="Assemblée\r\nMETHOD:CANCEL\r\nX-EVIL:" + "é" * 60),
        venues={**programme.venues, venue.id: replace(venue, name="Friche\nATTENDEE:mailto:y@evil")},
        sessions={**programme.sessions, evil.id: evil},
    )
    export(tmp_path, programme)
    raw = (tmp_path / "public" / "programme.ics").read_bytes()
    lines = raw.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75, "every physical line within 75 octets"
    assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
    assert not any(line.startswith((b"ATTENDEE", b"ORGANIZER", b"METHOD", b"X-EVIL")) for line in lines)
    calendar = Calendar.from_ical(raw)
    assert "METHOD" not in calendar and "X-EVIL" not in calendar
    assert str(calendar["X-WR-CALNAME"]).startswith("Assemblée\\nMETHOD:CANCEL"), "kept escaped, one property"
    events = {str(e["X-HUB-ID"]): e for e in calendar.walk("VEVENT")}
    assert len(events) == 22
    event = events["accueil-cafe"]
    assert "ATTENDEE" not in event and "ORGANIZER" not in event and "X-EVIL" not in event
    assert str(event["SUMMARY"]) == "Atelier\nATTENDEE:mailto:x@evil"
    assert str(event["LOCATION"]).startswith("Friche\nATTENDEE:mailto:y@evil, ")
    summaries = [line for line in vevents(tmp_path)["accueil-cafe"].split("\r\n") if line.startswith("SUMMARY")]
    assert summaries == ["SUMMARY:Atelier\\nATTENDEE:mailto:x@evil"]


def test_frab_links_are_objects_and_only_web_addresses_are_published(tmp_path: Path) -> None:
    """Links as the frab schema has them; a ``javascript:`` website or link that reached the
    programme anyway (it is refused when read) is published nowhere: not in an event's url, not
    in its links, not as the conference's url, not on the page."""
    programme = reference_programme()
    linked = programme.sessions["accueil-cafe"].with_fields(
        {"links": ["https://example.org/slides?a=1&b=2", "javascript:alert(1)", "data:text/html,x"]})
    hostile = replace(programme, event=replace(programme.event, website="javascript:alert(document.domain)//"),
                      sessions={**programme.sessions, linked.id: linked})
    export(tmp_path, hostile, ics="javascript:alert(1)")
    text = (tmp_path / "public" / "programme.json").read_text(encoding="utf-8")
    document = json.loads(text)
    jsonschema.Draft6Validator(SCHEMA).validate(document)
    assert "javascript:" not in text and "data:text" not in text
    conference = document["schedule"]["conference"]
    assert "url" not in conference
    events = {e["slug"]: e for d in conference["days"] for room in d["rooms"].values() for e in room}
    assert events["accueil-cafe"]["links"] == [
        {"title": "https://example.org/slides?a=1&b=2", "url": "https://example.org/slides?a=1&b=2"}]
    assert all(e["url"] == "" for e in events.values())
    page = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    assert 'href="javascript:' not in page and 'href="./javascript:alert(1)"' in page

    export(tmp_path / "site", programme)  # a website that is a web address: each event's anchor
    frab = json.loads((tmp_path / "site" / "public" / "programme.json").read_text(encoding="utf-8"))
    conference = frab["schedule"]["conference"]
    assert conference["url"] == programme.event.website
    first = next(e for d in conference["days"] for room in d["rooms"].values() for e in room)
    assert first["url"] == f"{programme.event.website}#{first['slug']}"


def test_frab_links_read_back_by_the_importer(tmp_path: Path) -> None:
    programme = reference_programme()
    linked = programme.sessions["accueil-cafe"].with_fields({"links": ["https://example.org/a", "http://b.example"]})
    export(tmp_path, replace(programme, sessions={**programme.sessions, linked.id: linked}))
    imported = parse_frab_json((tmp_path / "public" / "programme.json").read_text(encoding="utf-8"))
    assert imported.sessions["accueil-cafe"].links == ("https://example.org/a", "http://b.example")


def test_frab_events_cached_in_the_old_form_are_rendered_again(tmp_path: Path) -> None:
    """Fragments kept from a version that wrote links as bare strings are not published as they
    are; the calendar's events are kept (their SEQUENCE and DTSTAMP)."""
    programme, state = reference_programme(), MemoryState()
    linked = programme.sessions["accueil-cafe"].with_fields({"links": ["https://example.org/a"]})
    programme = replace(programme, sessions={**programme.sessions, linked.id: linked})
    links = export(tmp_path, programme, state=state)
    before = vevents(tmp_path)
    del state.data["layout"]  # as the previous format left them: no layout, and frab events of its own
    for bucket in state.data.values():
        bucket["context"]["frab"] = "|".join(bucket["context"]["frab"].split("|")[1:])
        for entry in bucket["entries"].values():
            entry["frab"]["links"] = [link["url"] for link in entry["frab"]["links"]]
    later = WRITTEN + timedelta(days=1)
    export(tmp_path, retimed(programme, "restitution"), state=state, links=links, keys=["restitution"], at=later)
    frab = json.loads((tmp_path / "public" / "programme.json").read_text(encoding="utf-8"))
    events = {e["slug"]: e for d in frab["schedule"]["conference"]["days"] for r in d["rooms"].values() for e in r}
    assert events["accueil-cafe"]["links"] == [{"title": "https://example.org/a", "url": "https://example.org/a"}]
    after = vevents(tmp_path)
    assert {key for key in after if after[key] != before[key]} == {"restitution"}


def test_html_escapes_what_people_typed(tmp_path: Path) -> None:
    programme = reference_programme()
    evil = programme.sessions["restitution"].with_fields({"title": "<script>alert('x')</script> & co"})
    programme = Programme(programme.event, programme.days, programme.venues, {**programme.sessions, evil.id: evil})
    export(tmp_path, programme, "en")
    page = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co" in page
    assert '<html lang="en">' in page and "Saturday 13 November: Initier les chantiers communs" in page
    assert "With: " in page and "With :" not in page


def test_one_change_rerenders_one_fragment_and_keeps_the_other_events(tmp_path: Path) -> None:
    programme, state = reference_programme(), MemoryState()
    links = export(tmp_path, programme, state=state)
    before = vevents(tmp_path)
    state.saved.clear()
    later = WRITTEN + timedelta(hours=1, seconds=1)  # the clock moved on between the two syncs
    export(tmp_path, retimed(programme, "accueil-cafe"), state=state, links=links, keys=["accueil-cafe"], at=later)
    after = vevents(tmp_path)
    assert {key for key in after if after[key] != before[key]} == {"accueil-cafe"}
    assert "SEQUENCE:1\r\n" in after["accueil-cafe"] and "DTSTAMP:20211110T100031Z\r\n" in after["accueil-cafe"]
    assert all("DTSTAMP:20211110T090030Z\r\n" in after[key] for key in after if key != "accueil-cafe")
    assert len([n for n in state.saved if n.startswith("fragments/")]) == 1, \
        "one mapping of fragments saved, not the whole cache"
    assert sorted(p.name for p in (tmp_path / "public").iterdir()) == PUBLISHED


def test_the_exports_depend_on_the_sinks_clock_only(tmp_path: Path) -> None:
    """Given the moment, the three files are the same bytes whenever and wherever they are written:
    DTSTAMP and the page's "updated" line come from the sink's clock, read once per batch."""
    export(tmp_path / "one", reference_programme())
    export(tmp_path / "two", reference_programme())
    assert published(tmp_path / "one") == published(tmp_path / "two")
    assert all("DTSTAMP:20211110T090030Z\r\n" in block for block in vevents(tmp_path / "one").values())
    page = (tmp_path / "one" / "public" / "index.html").read_text(encoding="utf-8")
    assert '<time datetime="2021-11-10T10:00:00+01:00">Mis à jour le mercredi 10 novembre à 10 h</time>' in page


def test_the_event_renamed_and_a_theme_changed_reach_the_three_files_and_keep_every_event(
    tmp_path: Path,
) -> None:
    programme, state = reference_programme(), MemoryState()
    links = export(tmp_path, programme, state=state)
    before = vevents(tmp_path)
    renamed = replace(
        programme,
        event=replace(programme.event, title="Assemblée des communs de Marseille"),
        days=tuple(Day(d.date, "Des mots pour nos communs") if i == 0 else d for i, d in enumerate(programme.days)),
    )
    stale = {key for key, session in renamed.sessions.items()
             if content_hash_of(renamed, key) != links[key].pushed_hash}
    assert stale == set(renamed.sessions), "every session shows the event title: the plan rewrites"
    state.saved.clear()
    export(tmp_path, renamed, state=state, links=links)
    ics = (tmp_path / "public" / "programme.ics").read_bytes().decode("utf-8")
    assert "X-WR-CALNAME:Assemblée des communs de Marseille\r\n" in ics
    assert vevents(tmp_path) == before, "no event of the calendar changed: same SEQUENCE, same DTSTAMP"
    assert [n for n in state.saved if n.startswith("fragments/")] == [], "no fragment rendered again"
    frab = json.loads((tmp_path / "public" / "programme.json").read_text(encoding="utf-8"))
    assert frab["schedule"]["conference"]["title"] == "Assemblée des communs de Marseille"
    page = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    assert "<h1>Assemblée des communs de Marseille</h1>" in page
    assert "Vendredi 12 novembre : Des mots pour nos communs" in page
    assert "Un vocabulaire commun" not in page


def _sink() -> FilesConnector:
    counter = RequestCounter()
    ctx = ConnectorContext("exports", build_client("exports", counter), counter, "fr", Path("."))
    return FilesConnector("exports", FilesConfig(type="files", path="public"), ctx)


SINK = _sink()  # for projections only: it writes nothing


def sink() -> FilesConnector:
    return SINK


def content_hash_of(programme: Programme, key: str) -> str:
    return content_hash(sink().project(programme.sessions[key], programme))


def test_the_page_says_when_it_was_updated_in_the_event_time_and_language() -> None:
    programme = reference_programme()
    written = datetime(2021, 11, 13, 14, 2, 30, tzinfo=UTC)  # 15:02 in Marseille
    fragments = dict.fromkeys(programme.sessions, "")
    french = html_document(programme, fragments, "fr", updated=written)
    assert '<time datetime="2021-11-13T15:02:00+01:00">Mis à jour le samedi 13 novembre à 15 h 02</time>' in french
    english = html_document(programme, fragments, "en", updated=written)
    assert "Updated Saturday 13 November at 15:02</time>" in english
    for key, texts in MESSAGES.items():  # every word of the page in both languages
        assert texts["fr"].strip() and texts["en"].strip(), key
        assert placeholders(texts["fr"]) == placeholders(texts["en"]), key


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_page_links_the_calendar_and_the_data(tmp_path: Path) -> None:
    export(tmp_path / "plain", reference_programme())
    page = (tmp_path / "plain" / "public" / "index.html").read_text(encoding="utf-8")
    assert '<a href="programme.ics" type="text/calendar">programme.ics</a>' in page
    assert '<a href="programme.json" type="application/json">programme.json</a>' in page
    assert "webcal:" not in page, "no subscription link without the folder's public address"
    assert re.search(r'<p class="updated"><time datetime="[^"]+\+01:00">Mis à jour le ', page)

    export(tmp_path / "public-site", reference_programme(), "en", base_url="https://assemblee.example.org/programme")
    page = (tmp_path / "public-site" / "public" / "index.html").read_text(encoding="utf-8")
    assert ('(<a href="webcal://assemblee.example.org/programme/programme.ics">'
            "subscribe in your calendar app</a>)") in page
    assert "Calendar: " in page and "Data (frab JSON): " in page
    assert PageLinks("a.ics", base_url="http://example.org/x/").webcal == "webcal://example.org/x/a.ics"
    with pytest.raises(ValidationError):
        FilesConfig(type="files", path="public", base_url="javascript:alert(1)")


def test_a_batch_that_changes_nothing_visible_leaves_the_page_as_it_was(tmp_path: Path) -> None:
    """The page's "updated" line moves only when the page itself changes."""
    programme, state = reference_programme(), MemoryState()
    links = export(tmp_path, programme, state=state)
    page = (tmp_path / "public" / "index.html").read_bytes()
    session = programme.sessions["accueil-cafe"]
    larger = replace(programme, sessions={**programme.sessions, session.id: replace(session, capacity=500)})
    export(tmp_path, larger, state=state, links=links, keys=[session.id])
    assert (tmp_path / "public" / "index.html").read_bytes() == page


def test_an_old_fragment_cache_is_taken_out_of_the_published_folder(tmp_path: Path) -> None:
    """Earlier versions kept their cache next to the files: it moves to the state store, and the
    calendar's events it held stay as they were (their SEQUENCE and DTSTAMP)."""
    programme = reference_programme()
    links = export(tmp_path, programme)
    stamp = datetime(2021, 10, 1, tzinfo=UTC)
    legacy = {}
    for key, session in programme.sessions.items():
        own = Connector.project(sink(), session, programme)  # what earlier versions projected
        legacy[key] = {"hash": content_hash(own), "sequence": 3,
                       "ics": ics_fragment(own, programme.event.id, 3, stamp, programme.event.timezone),
                       "frab": frab_fragment(own, programme.event.id, "fr", programme.event.website),
                       "html": html_fragment(own, "fr")}
    (tmp_path / "public" / LEGACY_CACHE).write_text(json.dumps(legacy), encoding="utf-8")
    state = MemoryState()
    export(tmp_path, retimed(programme, "accueil-cafe"), state=state, links=links, keys=["accueil-cafe"])
    assert sorted(p.name for p in (tmp_path / "public").iterdir()) == PUBLISHED
    assert state.saved, "what it held is in the state store now"
    events = vevents(tmp_path)
    assert "SEQUENCE:1\r\n" in events.pop("accueil-cafe")
    assert all("SEQUENCE:3\r\n" in block and "DTSTAMP:20211001T000000Z" in block for block in events.values())


# ``hub sync`` end to end ------------------------------------------------------------------------
def edit_event(folder: Path, title: str, theme: tuple[str, str]) -> None:
    path = folder / "programme.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("\n  title: Assemblée des communs\n", f"\n  title: {title}\n", 1)
    assert f"theme: {theme[0]}\n" in text
    path.write_text(text.replace(f"theme: {theme[0]}\n", f"theme: {theme[1]}\n", 1), encoding="utf-8")


def test_hub_sync_publishes_a_change_of_the_event_once_and_only_the_three_files(tmp_path: Path) -> None:
    config = write_config(tmp_path, FILES)
    folder = tmp_path / "public"
    folder.mkdir()
    (folder / LEGACY_CACHE).write_text("{}", encoding="utf-8")  # left by an earlier version
    hub_json("sync", "--config", str(config))
    assert sorted(p.name for p in folder.iterdir()) == PUBLISHED

    edit_event(tmp_path, "Assemblée des communs de Marseille",
               ("Initier les chantiers communs", "Lancer les chantiers"))
    report = hub_json("sync", "--config", str(config))
    assert report["changes"] == [] and report["connectors"]["exports"]["updated"] == 22
    ics = (folder / "programme.ics").read_bytes().decode("utf-8")
    assert "X-WR-CALNAME:Assemblée des communs de Marseille\r\n" in ics
    frab = json.loads((folder / "programme.json").read_text(encoding="utf-8"))
    assert frab["schedule"]["conference"]["title"] == "Assemblée des communs de Marseille"
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "<h1>Assemblée des communs de Marseille</h1>" in page
    assert "Samedi 13 novembre : Lancer les chantiers" in page

    files = published(tmp_path)
    for _ in range(2):
        again = hub_json("sync", "--config", str(config))
        figures = again["connectors"]["exports"]
        assert (figures["created"], figures["updated"], figures["deleted"], figures["requests"]) == (0, 0, 0, 0)
    assert published(tmp_path) == files, "nothing rewritten, not even the page's time"

    edit_programme(tmp_path, "atelier-culture-juridique", start="2021-11-13T15:00", end="2021-11-13T17:30")
    moved = hub_json("sync", "--config", str(config))
    assert moved["connectors"]["exports"]["updated"] == 1
    assert sorted(p.name for p in folder.iterdir()) == PUBLISHED


def test_hub_sync_removes_an_old_cache_even_when_nothing_changed(tmp_path: Path) -> None:
    config = write_config(tmp_path, FILES)
    hub_json("sync", "--config", str(config))
    (tmp_path / "public" / LEGACY_CACHE).write_text("{}", encoding="utf-8")
    files = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "public").iterdir() if p.name != LEGACY_CACHE}
    # As after an upgrade from the version that kept the cache there: its state has no record
    # of a clean sync, so the sync runs whole (sync.quick).
    with sqlite3.connect(tmp_path / "state" / "hub.db") as db:
        db.execute("DELETE FROM sync_inputs")
    quiet = hub_json("sync", "--config", str(config))
    assert quiet["connectors"]["exports"]["updated"] == 0
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "public").iterdir()} == files
