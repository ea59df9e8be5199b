"""The iCalendar form of a session, without a server: what calendar apps do to events must not
read as edits, and what people change in them must read as exactly that change."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.caldav import CalDAVConfig, CalDAVConnector
from connectors.vevent import CARRIED, fold, read_event, render_event
from sync.model import Programme, content_hash
from sync.protocol import Connector, ConnectorConfig
from tests.caldav.harness import context, reference_programme

PROGRAMME = reference_programme()


@pytest.fixture(scope="module")
def connector() -> Connector[ConnectorConfig]:
    return CalDAVConnector("calendar", CalDAVConfig(url="https://cal.example.org/c/"), context("calendar"))


def rendered(connector: Connector[ConnectorConfig], key: str, programme: Programme = PROGRAMME) -> str:
    return render_event(connector.project(programme.sessions[key], programme), key, programme, 3)


def edited(data: str, **changes: object) -> str:
    """The event as a calendar app saves it after an edit: new stamps, refolded, reordered."""
    cal = icalendar.Calendar.from_ical(data)
    ev = next(iter(cal.walk("VEVENT")))
    for name, value in changes.items():
        ev.pop(name, None)
        if value is not None:
            ev.add(name, value)
    for stamp in ("dtstamp", "last-modified"):
        ev.pop(stamp, None)
        ev.add(stamp, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    ev["sequence"] = 7
    return str(cal.to_ical().decode())


def test_every_reference_session_reads_back_as_projected(connector: Connector[ConnectorConfig]) -> None:
    for key, session in PROGRAMME.sessions.items():
        event = read_event(rendered(connector, key), PROGRAMME)
        assert event.key == key
        assert event.fields == connector.project(session, PROGRAMME)
        assert event.as_written and event.unknown_location is None


def test_server_and_app_rewrites_are_not_edits(connector: Connector[ConnectorConfig]) -> None:
    key = "prendre-soin-air-bel"  # hosts with commas, a description, a track
    event = read_event(edited(rendered(connector, key)), PROGRAMME)
    assert event.fields == connector.project(PROGRAMME.sessions[key], PROGRAMME)
    assert event.as_written


def test_a_time_saved_in_utc_reads_as_the_same_local_time(connector: Connector[ConnectorConfig]) -> None:
    data = edited(
        rendered(connector, "restitution"),
        dtstart=datetime(2021, 11, 12, 14, 30, tzinfo=UTC),
        dtend=datetime(2021, 11, 12, 16, 45, tzinfo=UTC),
    )
    event = read_event(data, PROGRAMME)
    assert (event.fields["start"], event.fields["end"]) == (
        "2021-11-12T15:30:00+01:00",
        "2021-11-12T17:45:00+01:00",
    )
    assert event.as_written  # same instant, same projection: not an edit


def test_a_move_reads_as_a_move_and_is_not_the_hubs(connector: Connector[ConnectorConfig]) -> None:
    tz = PROGRAMME.tz
    data = edited(
        rendered(connector, "restitution"),
        dtstart=datetime(2021, 11, 12, 16, 0, tzinfo=tz),
        dtend=datetime(2021, 11, 12, 18, 0, tzinfo=tz),
    )
    event = read_event(data, PROGRAMME)
    expected = connector.project(PROGRAMME.sessions["restitution"], PROGRAMME)
    changed = {k: v for k, v in event.fields.items() if expected[k] != v}
    assert changed == {"start": "2021-11-12T16:00:00+01:00", "end": "2021-11-12T18:00:00+01:00"}
    assert not event.as_written


@pytest.mark.parametrize(
    ("location", "venue"),
    [
        ("Friche la Belle de Mai", "friche-belle-de-mai"),
        ("friche  la belle de mai, 41 rue Jobin, 13003 Marseille", "friche-belle-de-mai"),
        ("Massalia Vox, près de la gare", "massalia-vox"),
        ("", None),
    ],
)
def test_location_typed_in_an_app_names_a_venue(
    connector: Connector[ConnectorConfig], location: str, venue: str | None
) -> None:
    event = read_event(edited(rendered(connector, "restitution"), location=location or None), PROGRAMME)
    assert event.fields["venue"] == venue and event.unknown_location is None


def comma_programme() -> Programme:
    """Two venues whose names hold or start with a comma'd name."""
    from dataclasses import replace

    venues = dict(PROGRAMME.venues)
    venues["massalia-vox"] = replace(venues["massalia-vox"], name="Le Talus, grande halle")
    venues["ateliers-jeanne-barret"] = replace(venues["ateliers-jeanne-barret"], name="Le Talus")
    return Programme(PROGRAMME.event, PROGRAMME.days, venues, PROGRAMME.sessions)


@pytest.mark.parametrize(
    "location",
    [
        None,  # as the hub wrote it: "Le Talus, grande halle, 15 boulevard ..."
        "Le Talus, grande halle",
        "le talus,grande halle",
        "Le Talus\\, grande halle",  # escaped twice by an app: the TEXT escape left in
        "Le Talus, grande halle,15 boulevard de la Liberté , 13001 Marseille",
        "Le Talus, grande halle, porte B",
    ],
)
def test_a_venue_name_with_a_comma_is_never_split(connector: Connector[ConnectorConfig], location: str | None) -> None:
    programme = comma_programme()
    data = rendered(connector, "accueil-meteo", programme)
    event = read_event(edited(data, location=location) if location else data, programme)
    assert event.fields["venue"] == "massalia-vox" and event.unknown_location is None
    if location is None:
        assert event.as_written and event.fields == connector.project(programme.sessions["accueil-meteo"], programme)
    other = read_event(rendered(connector, "restitution", programme), programme)
    assert other.fields["venue"] == "ateliers-jeanne-barret" and other.as_written


def test_unknown_location_keeps_the_venue_and_is_reported(connector: Connector[ConnectorConfig]) -> None:
    event = read_event(edited(rendered(connector, "restitution"), location="Chez Paulette"), PROGRAMME)
    assert event.fields["venue"] == "ateliers-jeanne-barret"
    assert event.unknown_location == "Chez Paulette"


def test_cancelled_is_a_status_and_reads_back(connector: Connector[ConnectorConfig]) -> None:
    sessions = dict(PROGRAMME.sessions)
    sessions["restitution"] = sessions["restitution"].with_fields({"status": "cancelled"})
    programme = PROGRAMME.with_sessions(sessions.values())
    data = rendered(connector, "restitution", programme)
    assert "STATUS:CANCELLED" in data and "SEQUENCE:3" in data
    assert read_event(data, programme).fields["status"] == "cancelled"


def test_events_that_are_not_the_hubs_have_no_key() -> None:
    cal = icalendar.Calendar()
    ev = icalendar.Event()
    ev.add("uid", "perso-1")
    ev.add("summary", "Réunion")
    ev.add("dtstart", datetime(2021, 11, 13, 8, tzinfo=UTC))
    cal.add_component(ev)
    assert read_event(cal.to_ical().decode(), PROGRAMME).key is None


def test_all_day_event_is_refused(connector: Connector[ConnectorConfig]) -> None:
    from datetime import date

    with pytest.raises(ValueError, match="all-day"):
        read_event(edited(rendered(connector, "restitution"), dtstart=date(2021, 11, 12)), PROGRAMME)


texts = st.text(st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n"), max_size=60)


@settings(max_examples=60, deadline=None)
@given(title=texts, description=texts, hosts=st.lists(texts, max_size=4))
def test_any_text_round_trips(title: str, description: str, hosts: list[str]) -> None:
    connector = CalDAVConnector("calendar", CalDAVConfig(url="https://cal.example.org/c/"), context("c"))
    sessions = dict(PROGRAMME.sessions)
    sessions["restitution"] = sessions["restitution"].with_fields(
        {"title": title, "description": description, "hosts": hosts}
    )
    programme = PROGRAMME.with_sessions(sessions.values())
    expected = connector.project(programme.sessions["restitution"], programme)
    event = read_event(edited(rendered(connector, "restitution", programme)), programme)
    assert event.fields == expected


long_texts = st.text(st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n\\,;é€𝄞"), max_size=300)


@settings(max_examples=60, deadline=None)
@given(title=long_texts, description=long_texts)
def test_long_and_multibyte_text_folds_at_75_octets_and_reads_back(title: str, description: str) -> None:
    """Folded exactly as servers fold (75 octets a line, no character cut in two), so what the
    hub sends is not larger than what the server keeps, and reads back as written."""
    connector = CalDAVConnector("calendar", CalDAVConfig(url="https://cal.example.org/c/"), context("c"))
    sessions = dict(PROGRAMME.sessions)
    sessions["restitution"] = sessions["restitution"].with_fields({"title": title, "description": description})
    programme = PROGRAMME.with_sessions(sessions.values())
    text = rendered(connector, "restitution", programme)
    assert max(len(line) for line in text.encode().split(b"\r\n")) <= 75
    event = read_event(text, programme)
    assert event.fields == connector.project(programme.sessions["restitution"], programme) and event.as_written


def test_events_are_no_larger_than_a_server_stores_them(connector: Connector[ConnectorConfig]) -> None:
    """Radicale keeps an event as vobject serialises it (the bytes another client then sends):
    the hub's own bytes are no more, fold for fold. vobject leaves a line of fewer than 75
    characters whole even when accents make it longer than 75 octets; the hub folds it, as RFC
    5545 asks, for three octets."""
    import vobject

    for key in PROGRAMME.sessions:
        text = rendered(connector, key)
        stored = vobject.readOne(text).serialize().encode()
        overlong = sum(1 for line in stored.split(b"\r\n") if len(line) > 75)
        assert len(text.encode()) <= len(stored) + 3 * overlong, key


def test_a_line_is_folded_only_past_75_octets_and_never_inside_a_character() -> None:
    line = "X-HUB-HASH:" + "0" * 64
    assert fold(line) == line  # exactly 75 octets: one line
    folded = fold("DESCRIPTION:" + "é" * 70)
    assert folded.replace("\r\n ", "") == "DESCRIPTION:" + "é" * 70
    assert [len(part.encode()) for part in folded.split("\r\n")] == [74, 75, 5]


def test_an_event_written_with_the_longer_hash_still_reads_as_the_hubs(connector: Connector[ConnectorConfig]) -> None:
    """Events written before ``X-HUB-HASH`` was shortened carry its 64 digits: not an edit."""
    key = "restitution"
    text = rendered(connector, key)
    short = next(line for line in text.split("\r\n") if line.startswith("X-HUB-HASH:"))
    full = content_hash({name: connector.project(PROGRAMME.sessions[key], PROGRAMME).get(name) for name in CARRIED})
    assert len(short) == len("X-HUB-HASH:") + 32 and full.startswith(short.split(":")[1])
    assert read_event(text.replace(short, "X-HUB-HASH:" + full), PROGRAMME).as_written
    assert not read_event(text.replace(short, "X-HUB-HASH:" + full[:-1] + "x"), PROGRAMME).as_written


zones = st.sampled_from(["Europe/Paris", "America/New_York", "UTC", "Asia/Kolkata", "Australia/Lord_Howe", "Etc/GMT+3"])
one_line = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40)


@settings(max_examples=80, deadline=None)
@given(
    zone=zones,
    title=long_texts,
    description=long_texts,
    hosts=st.lists(long_texts, max_size=3),
    links=st.lists(one_line, max_size=2),
    track=texts,
    venue=one_line,
    venue_name=texts,
    status=st.sampled_from([None, "scheduled", "tentative", "cancelled", "other"]),
    capacity=st.one_of(st.none(), st.integers(-5, 10_000)),
    sequence=st.integers(-3, 50),
    moved=st.integers(-400 * 24, 400 * 24),
)
def test_an_event_is_written_byte_for_byte_as_the_icalendar_library_writes_it(
    zone: str, title: str, description: str, hosts: list[str], links: list[str], track: str, venue: str,
    venue_name: str, status: str | None, capacity: int | None, sequence: int, moved: int,
) -> None:
    """The events are written directly, not through the library's objects (a first sync renders
    every session): what calendar apps and servers receive is still exactly what the library
    writes, zone, folding, escaping and property order included (the stamp aside)."""
    from dataclasses import replace
    from datetime import timedelta

    from connectors.vevent import render_event_with_library

    connector = CalDAVConnector("calendar", CalDAVConfig(url="https://cal.example.org/c/"), context("c"))
    programme = replace(PROGRAMME, event=replace(PROGRAMME.event, timezone=zone))
    projection = connector.project(programme.sessions["restitution"], programme)
    start = datetime.fromisoformat(projection["start"]) + timedelta(hours=moved)
    projection.update(
        title=title, description=description, hosts=hosts, links=links, track=track, venue=venue,
        venue_name=venue_name, status=status, capacity=capacity,
        start=start.isoformat(), end=(start + timedelta(minutes=90 + moved % 3000)).isoformat(),
    )

    def unstamped(text: str) -> str:
        return "\r\n".join(line for line in text.split("\r\n") if not line.startswith("DTSTAMP:"))

    for key in ("restitution", "a,b;c\\d é"):
        ours = render_event(projection, key, programme, sequence)
        assert unstamped(ours) == unstamped(render_event_with_library(projection, key, programme, sequence))
        assert ours.count("\r\nDTSTAMP:") == 1
