"""The CalDAV connector against real Radicale and Xandikos servers (both, for every test).

What a user would notice: the programme appears in the calendar once, a sync with nothing new
costs one request and writes nothing, a change rewrites only the events it touches, an event
moved in a calendar app comes back as a change, a concurrent edit is never overwritten, a
deleted event is reported (and can be re-created), events people add themselves are left alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest

from connectors.caldav import CalDAVConfig, CalDAVConnector, Cursor
from sync.errors import AuthError, PreconditionFailed
from sync.merge import is_mass_deletion, vanished_keys
from sync.model import Programme
from sync.protocol import Op, RemoteRef
from tests.caldav.conftest import CalDAVServer
from tests.caldav.harness import Harness, context, moved, reference_programme
from tests.caldav.person import Person

PARIS = ZoneInfo("Europe/Paris")


def connector(server: CalDAVServer, url: str, cls: type[CalDAVConnector] = CalDAVConnector) -> CalDAVConnector:
    config = CalDAVConfig(
        url=url,
        username=server.username,
        password=server.password,
        verify=server.verify,
        owns=["start", "end", "venue", "status"],
    )
    return cls("calendar", config, context("calendar"))


@pytest.fixture
def programme() -> Programme:
    return reference_programme()


@pytest.fixture
async def pushed(caldav_server: CalDAVServer, calendar_url: str, programme: Programme) -> Harness:
    """A calendar holding the reference programme, pulled once (links and cursor in place)."""
    harness = Harness(connector(caldav_server, calendar_url))
    await harness.pull(programme)
    results = await harness.push(programme)
    assert all(isinstance(r, RemoteRef) for r in results)
    await harness.pull(programme)
    yield harness
    await harness.connector.close()


async def test_initial_push_writes_each_session_once_and_reads_back_identically(
    caldav_server: CalDAVServer, calendar_url: str, programme: Programme
) -> None:
    harness = Harness(connector(caldav_server, calendar_url))
    first = await harness.pull(programme)
    assert (first.items, first.deleted, harness.requests) == ([], [], 1)

    results = await harness.push(programme)

    assert len(results) == 22 and all(isinstance(r, RemoteRef) for r in results)
    assert harness.requests_by_method().get("PUT") == 22
    assert {r.remote_id.rsplit("/", 1)[1] for r in results} == {f"{k}.ics" for k in programme.sessions}
    # A hub that lost its state store reads every event back as exactly what it projected.
    fresh = await harness.connector.pull(None, {}, programme)
    assert fresh.problems == []
    assert {item.key: dict(item.fields) for item in fresh.items} == {
        key: harness.connector.project(s, programme) for key, s in programme.sessions.items()
    }
    # What a person's calendar app shows.
    event = Person(caldav_server, calendar_url).event("restitution")
    assert str(event["x-hub-id"]) == "restitution"
    assert str(event["location"]) == "Ateliers Jeanne Barret, 5 boulevard de Sévigné, 13015 Marseille"
    assert event.decoded("dtstart") == datetime(2021, 11, 12, 15, 30, tzinfo=PARIS)
    assert event["dtstart"].params["TZID"] == "Europe/Paris"
    assert int(event["sequence"]) == 0
    await harness.connector.close()


async def test_vtimezone_travels_with_every_event(pushed: Harness, caldav_server: CalDAVServer) -> None:
    person = Person(caldav_server, pushed.connector.config.url)
    with person.calendar() as cal:
        obj = cal.event_by_url(f"{pushed.connector.config.url}accueil-meteo.ics")
        obj.load()
        zones = [str(tz["tzid"]) for tz in obj.icalendar_instance.walk("VTIMEZONE")]
    assert zones == ["Europe/Paris"]


async def test_nothing_changed_costs_one_request_and_no_write(pushed: Harness, programme: Programme) -> None:
    before = pushed.requests
    result = await pushed.pull(programme)
    assert (result.items, result.deleted, result.problems) == ([], [], [])
    assert pushed.requests - before == 1

    before = pushed.requests
    assert await pushed.push(programme) == []
    assert pushed.requests == before


async def test_programme_change_rewrites_exactly_the_changed_events(
    pushed: Harness, programme: Programme, caldav_server: CalDAVServer
) -> None:
    sessions = dict(programme.sessions)
    sessions["restitution"] = moved(sessions["restitution"], 1)
    sessions["accueil-meteo"] = sessions["accueil-meteo"].with_fields({"status": "cancelled"})
    changed = programme.with_sessions(sessions.values())
    before = dict(pushed.requests_by_method())

    results = await pushed.push(changed)

    assert len(results) == 2 and all(isinstance(r, RemoteRef) for r in results)
    after = pushed.requests_by_method()
    # Two conditional PUTs and nothing else: updates need no report to move past them.
    assert {m: after[m] - before.get(m, 0) for m in after if after[m] != before.get(m, 0)} == {"PUT": 2}
    person = Person(caldav_server, pushed.connector.config.url)
    cancelled = person.event("accueil-meteo")
    assert str(cancelled["status"]) == "CANCELLED" and int(cancelled["sequence"]) == 1
    assert person.event("restitution").decoded("dtstart") == datetime(2021, 11, 12, 16, 30, tzinfo=PARIS)
    # The hub's own writes do not come back as edits, and cost no fetch.
    before_total = pushed.requests
    echo = await pushed.pull(changed)
    assert echo.items == [] and pushed.requests - before_total == 1


async def test_event_moved_in_a_calendar_app_comes_back_as_a_change(
    pushed: Harness, programme: Programme, caldav_server: CalDAVServer
) -> None:
    person = Person(caldav_server, pushed.connector.config.url)
    person.move("restitution", 2)
    person.edit("prendre-soin-musee", location="Friche la Belle de Mai")
    before = dict(pushed.requests_by_method())

    result = await pushed.pull(programme)

    by_key = {item.key: item.fields for item in result.items}
    assert sorted(by_key) == ["prendre-soin-musee", "restitution"]
    assert by_key["restitution"]["start"] == "2021-11-12T17:30:00+01:00"
    assert by_key["restitution"]["end"] == "2021-11-12T19:45:00+01:00"
    assert by_key["prendre-soin-musee"]["venue"] == "friche-belle-de-mai"
    # Everything else is as the hub wrote it, whatever the app rewrote (DTSTAMP, SEQUENCE...).
    expected = pushed.connector.project(programme.sessions["restitution"], programme)
    assert {k: v for k, v in by_key["restitution"].items() if expected[k] != v} == {
        "start": "2021-11-12T17:30:00+01:00",
        "end": "2021-11-12T19:45:00+01:00",
    }
    after = pushed.requests_by_method()
    assert {m: after[m] - before.get(m, 0) for m in after if after[m] != before.get(m, 0)} == {"REPORT": 2}


async def test_concurrent_edit_is_refused_with_412_not_overwritten(
    pushed: Harness, programme: Programme, caldav_server: CalDAVServer
) -> None:
    person = Person(caldav_server, pushed.connector.config.url)
    person.move("restitution", 1)  # the hub has not pulled this yet
    sessions = dict(programme.sessions)
    sessions["restitution"] = sessions["restitution"].with_fields({"title": "Restitution collective"})

    results = await pushed.push(programme.with_sessions(sessions.values()))

    assert len(results) == 1 and isinstance(results[0], PreconditionFailed)
    assert "412" in str(results[0])
    assert person.event("restitution").decoded("dtstart") == datetime(2021, 11, 12, 16, 30, tzinfo=PARIS)
    assert str(person.event("restitution")["summary"]) == "Prendre soin des communs : la restitution"


async def test_create_over_an_existing_event_is_refused_then_read_back(pushed: Harness, programme: Programme) -> None:
    """The hub does not know the event is there (a lost link, another hub's run)."""
    pushed.links.pop("restitution")
    await pushed.pull(programme)
    projection = pushed.connector.project(programme.sessions["restitution"], programme)
    [result] = await pushed.connector.apply([Op("create", "restitution", projection, None, 0)], programme)
    assert isinstance(result, PreconditionFailed)
    # The event already there comes back with the next pull (the report, one multiget), for the
    # engine to adopt.
    before = pushed.requests_by_method()
    result = await pushed.pull(programme)
    assert [(item.key, item.fields) for item in result.items] == [("restitution", projection)]
    after = pushed.requests_by_method()
    assert {m: after[m] - before.get(m, 0) for m in after if after[m] != before.get(m, 0)} == {"REPORT": 2}


async def test_an_edit_made_while_the_hub_writes_is_not_taken_for_its_own(
    pushed: Harness, programme: Programme, caldav_server: CalDAVServer
) -> None:
    """The sync report read after the hub's writes also shows a person's edit made since the
    last pull: the next pull still fetches it, and costs one request more for it only."""
    person = Person(caldav_server, pushed.connector.config.url)
    person.move("restitution", 1)  # after the hub's last pull
    sessions = dict(programme.sessions)
    sessions["accueil-meteo"] = moved(sessions["accueil-meteo"], 1)
    changed = programme.with_sessions(sessions.values())
    assert all(isinstance(r, RemoteRef) for r in await pushed.push(changed, ["accueil-meteo"]))

    before = pushed.requests
    result = await pushed.pull(changed)
    assert [item.key for item in result.items] == ["restitution"]
    assert result.items[0].fields["start"] == "2021-11-12T16:30:00+01:00"
    assert pushed.requests - before == 2  # the sync report, one multiget
    before = pushed.requests
    assert (await pushed.pull(changed)).items == [] and pushed.requests - before == 1


async def test_deleted_event_is_reported_and_recreated(
    pushed: Harness, programme: Programme, caldav_server: CalDAVServer
) -> None:
    person = Person(caldav_server, pushed.connector.config.url)
    person.delete("restitution")

    result = await pushed.pull(programme)
    assert result.deleted == ["restitution"] and result.items == []

    results = await pushed.push(programme, ["restitution"])
    assert len(results) == 1 and isinstance(results[0], RemoteRef)
    assert str(person.event("restitution")["x-hub-id"]) == "restitution"


async def test_calendar_emptied_by_hand_is_a_mass_disappearance(
    pushed: Harness, programme: Programme, caldav_server: CalDAVServer
) -> None:
    links = dict(pushed.links)
    assert Person(caldav_server, pushed.connector.config.url).delete_all() == 22
    result = await pushed.connector.pull(pushed.cursor, links, programme)
    gone = vanished_keys(result, links)
    assert gone == set(programme.sessions)
    assert is_mass_deletion(len(gone), len(links), 0.2, 3)


async def test_events_created_since_the_last_pull_then_deleted_are_reported(
    caldav_server: CalDAVServer, calendar_url: str, programme: Programme
) -> None:
    """Some servers forget objects created and deleted after a sync-token (Xandikos does)."""
    harness = Harness(connector(caldav_server, calendar_url))
    await harness.pull(programme)
    await harness.push(programme)
    Person(caldav_server, calendar_url).delete_all()

    result = await harness.pull(programme)

    assert sorted(result.deleted) == sorted(programme.sessions)
    before = harness.requests
    assert (await harness.pull(programme)).deleted == [] and harness.requests - before == 1
    await harness.connector.close()


async def test_events_added_by_hand_are_left_alone(
    pushed: Harness, programme: Programme, caldav_server: CalDAVServer
) -> None:
    person = Person(caldav_server, pushed.connector.config.url)
    href = person.add_own_event("Réunion d'équipe", datetime(2021, 11, 13, 8, tzinfo=PARIS))

    result = await pushed.pull(programme)
    assert (result.items, result.deleted, result.problems) == ([], [], [])
    assert any(href.endswith(h) for h in Cursor.decode(result.cursor).foreign)
    # Remembered: the next change fetches only the hub's event, not the foreign one again.
    person.move("restitution", 1)
    result = await pushed.pull(programme)
    assert [item.key for item in result.items] == ["restitution"]
    assert await pushed.push(programme, []) == []
    with person.calendar() as cal:
        assert len(list(cal.get_events())) == 23


async def test_expired_sync_token_falls_back_to_a_full_listing(
    pushed: Harness, programme: Programme, caldav_server: CalDAVServer
) -> None:
    Person(caldav_server, pushed.connector.config.url).delete("restitution")
    stale = Cursor(mode="sync", token="http://example.org/ns/sync/unknown-token").encode()
    result = await pushed.connector.pull(stale, pushed.links, programme)
    assert result.deleted == ["restitution"] and result.items == []
    assert Cursor.decode(result.cursor).token not in (
        None,
        "http://example.org/ns/sync/unknown-token",
    )


class CtagOnly(CalDAVConnector):
    """The path taken on servers without RFC 6578 (ctag + etag listing)."""

    use_sync_token: ClassVar[bool] = False


async def test_ctag_path_costs_one_request_when_nothing_changed(
    caldav_server: CalDAVServer, calendar_url: str, programme: Programme
) -> None:
    harness = Harness(connector(caldav_server, calendar_url, CtagOnly))
    await harness.pull(programme)
    await harness.push(programme)
    await harness.pull(programme)  # sees the hub's own writes: listing only, nothing fetched
    before = harness.requests
    result = await harness.pull(programme)
    assert result.items == [] and harness.requests - before == 1
    assert harness.requests_by_method().get("REPORT", 0) == 0

    person = Person(caldav_server, calendar_url)
    person.move("restitution", 1)
    person.delete("accueil-meteo")
    before = harness.requests
    result = await harness.pull(programme)
    assert [i.key for i in result.items] == ["restitution"] and result.deleted == ["accueil-meteo"]
    assert harness.requests - before == 3  # ctag, etag listing, one multiget
    await harness.connector.close()


async def test_wrong_password_is_an_auth_error_that_never_shows_the_password(
    caldav_server: CalDAVServer, calendar_url: str, programme: Programme
) -> None:
    secret = "not-the-password-42"
    config = CalDAVConfig(
        url=calendar_url,
        username=caldav_server.username,
        password=secret,
        verify=caldav_server.verify,
    )
    bad = CalDAVConnector("calendar", config, context("calendar"))
    with pytest.raises(AuthError) as caught:
        await bad.pull(None, {}, programme)
    assert secret not in str(caught.value) and secret not in repr(config) and secret not in repr(bad.store)
    with pytest.raises(AuthError):
        await bad.check()


async def test_check_proves_calendar_and_rights(caldav_server: CalDAVServer, calendar_url: str) -> None:
    good = connector(caldav_server, calendar_url)
    proved = await good.check()
    assert "RFC 6578" in proved[0]
    english = CalDAVConnector("calendar", good.config, context("calendar", lang="en"))
    assert (await english.check())[0].startswith("calendar “")


async def test_a_session_removed_from_the_programme_is_deleted_conditionally(
    pushed: Harness, programme: Programme, caldav_server: CalDAVServer
) -> None:
    remaining = [s for k, s in programme.sessions.items() if k != "restitution"]
    results = await pushed.push(programme.with_sessions(remaining), ["restitution"])
    assert len(results) == 1 and isinstance(results[0], RemoteRef)
    with Person(caldav_server, pushed.connector.config.url).calendar() as cal:
        assert len(list(cal.get_events())) == 21


async def test_event_made_all_day_is_reported_not_taken_as_deleted(
    pushed: Harness, programme: Programme, caldav_server: CalDAVServer
) -> None:
    from datetime import date

    from sync.merge import vanished_keys

    Person(caldav_server, pushed.connector.config.url).edit(
        "restitution", dtstart=date(2021, 11, 12), dtend=date(2021, 11, 13)
    )
    for cursor in (pushed.cursor, None):
        result = await pushed.connector.pull(cursor, pushed.links, programme)
        assert "restitution" not in {i.key for i in result.items}
        assert vanished_keys(result, pushed.links) == set()
        assert any("restitution.ics" in p and "journée entière" in p for p in result.problems)


async def test_with_a_proxy_in_the_environment_the_library_sends_everything(
    caldav_server: CalDAVServer, calendar_url: str, programme: Programme, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store's own client does not speak to proxies: with one named, the ``caldav`` library
    (which honours them, and ``NO_PROXY``) sends the sync's requests, with the same outcome."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    harness = Harness(connector(caldav_server, calendar_url))
    await harness.pull(programme)
    assert all(isinstance(r, RemoteRef) for r in await harness.push(programme))
    sessions = dict(programme.sessions)
    sessions["restitution"] = moved(sessions["restitution"], 1)
    moved_programme = programme.with_sessions(sessions.values())
    assert all(isinstance(r, RemoteRef) for r in await harness.push(moved_programme, ["restitution"]))
    await harness.pull(moved_programme)
    fresh = await harness.connector.pull(None, {}, moved_programme)
    assert {item.key: dict(item.fields) for item in fresh.items} == {
        key: harness.connector.project(s, moved_programme) for key, s in moved_programme.sessions.items()
    }
    assert harness.connector.store._http is None and harness.connector.store._client is not None
    assert harness.requests_by_method().get("PUT") == 23
    await harness.connector.close()
