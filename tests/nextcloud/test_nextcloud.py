"""The Nextcloud connector against the fake Nextcloud fronting real Radicale and WsgiDAV.

What an organiser notices: ``hub check`` says which account, calendar and folder work (or which
calendar segment to use); the programme lands in the calendar and the exports in the shared
folder; a change rewrites the files in place (same paths, new content); a folder that cannot be
written holds the whole batch back instead of letting calendar and exports disagree.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from connectors.nextcloud import NextcloudConfig, NextcloudConnector
from sync.errors import AuthError, ConfigError, NotFound, TransientError
from sync.model import Programme
from sync.protocol import Op, RemoteRef
from tests.caldav.harness import Harness, context, moved, reference_programme
from tests.caldav.person import Person
from tests.nextcloud.conftest import APP_PASSWORD, NextcloudSetup


def make(
    setup: NextcloudSetup, tmp_path: Path, lang: str = "fr", **overrides: object
) -> NextcloudConnector:
    values: dict[str, object] = {
        "url": setup.url,
        "username": "hub",
        "app_password": APP_PASSWORD,
        "calendar": setup.calendar,
        "folder": f"Assemblée {uuid.uuid4().hex[:6]}/Programme",
        "staging": str(tmp_path / "staging"),
        "owns": ["start", "end", "venue", "status"],
    }
    values.update(overrides)
    return NextcloudConnector(
        "nuage", NextcloudConfig.model_validate(values), context("nuage", lang=lang)
    )


@pytest.fixture
def programme() -> Programme:
    return reference_programme()


@pytest.fixture
async def nuage(nextcloud: NextcloudSetup, tmp_path: Path) -> AsyncIterator[NextcloudConnector]:
    connector = make(nextcloud, tmp_path)
    yield connector
    await connector.close()


def frab_date(folder: Path, slug: str) -> str:
    document = json.loads((folder / "programme.json").read_text(encoding="utf-8"))
    for day in document["schedule"]["conference"]["days"]:
        for talks in day["rooms"].values():
            for talk in talks:
                if talk["slug"] == slug:
                    return str(talk["date"])
    raise AssertionError(f"{slug} not in the exported schedule")


def on_disk(setup: NextcloudSetup, connector: NextcloudConnector) -> Path:
    """Where the real WebDAV server keeps the shared folder."""
    assert connector.config.folder
    return setup.webdav.root / connector.config.folder


async def test_check_proves_account_calendar_and_folder(nuage: NextcloudConnector) -> None:
    proved = await nuage.check()
    assert proved[0].startswith("Nextcloud 27.1.10 joignable, connecté en tant que « hub »")
    assert any("RFC 6578" in p for p in proved)
    assert "sera créé" in proved[-1]  # the folder does not exist yet; its parent is writable
    assert nuage.ctx.counter.get("nuage") >= 4  # OCS capabilities + user, calendar, folder


async def test_check_in_english_after_the_folder_exists(
    nextcloud: NextcloudSetup, tmp_path: Path, programme: Programme
) -> None:
    connector = make(nextcloud, tmp_path, lang="en")
    await Harness(connector).push(programme)
    proved = await connector.check()
    assert proved[0] == "Nextcloud 27.1.10 reachable, logged in as “hub” (app password accepted)"
    assert proved[-1].endswith("writable (RGDNVCK)")
    await connector.close()


async def test_wrong_app_password_is_an_auth_error_without_the_secret(
    nextcloud: NextcloudSetup, tmp_path: Path
) -> None:
    wrong = "wrong-app-password-123"
    connector = make(nextcloud, tmp_path, app_password=wrong)
    with pytest.raises(AuthError) as caught:
        await connector.check()
    assert wrong not in str(caught.value) and wrong not in repr(connector.config)
    await connector.close()


async def test_check_names_the_url_segment_when_given_the_display_name(
    nextcloud: NextcloudSetup, tmp_path: Path
) -> None:
    with Person(nextcloud.radicale, nextcloud.radicale.base_url).calendar() as cal:
        cal.client.principal().make_calendar(name="Assemblée 2021", cal_id="assemblee-2021")
    connector = make(nextcloud, tmp_path, calendar="Assemblée 2021")
    with pytest.raises(ConfigError) as caught:
        await connector.check()
    assert 'calendar = "assemblee-2021"' in str(caught.value)
    await connector.close()


@pytest.mark.parametrize(
    ("lang", "advice"),
    [
        ("en", "create it in Nextcloud's Calendar app, logged in as hub (“+ New calendar”)"),
        ("fr", "créez-le dans l'application Agenda de Nextcloud, connecté en tant que hub (« + Nouveau calendrier »)"),
    ],
)
async def test_a_missing_calendar_says_how_to_create_it(
    nextcloud: NextcloudSetup, tmp_path: Path, programme: Programme, lang: str, advice: str
) -> None:
    connector = make(nextcloud, tmp_path, lang=lang, calendar="nulle-part")
    expected = f"{nextcloud.url}/remote.php/dav/calendars/hub/nulle-part/"
    with pytest.raises(ConfigError) as checked:
        await connector.check()
    assert expected in str(checked.value) and advice in str(checked.value)
    with pytest.raises(NotFound) as pulled:  # a sync says the same
        await connector.pull(None, {}, programme)
    assert expected in str(pulled.value) and advice in str(pulled.value)
    await connector.close()


async def test_read_only_folder_fails_the_check(nextcloud: NextcloudSetup, tmp_path: Path) -> None:
    connector = make(nextcloud, tmp_path, folder="Partage")
    (nextcloud.webdav.root / "Partage").mkdir(exist_ok=True)
    nextcloud.fake.permissions["Partage"] = "RGDNV"
    with pytest.raises(AuthError) as caught:
        await connector.check()
    assert "Partage" in str(caught.value) and "RGDNV" in str(caught.value)
    await connector.close()


async def test_programme_lands_in_calendar_and_folder(
    nuage: NextcloudConnector, nextcloud: NextcloudSetup, programme: Programme
) -> None:
    harness = Harness(nuage)
    await harness.pull(programme)
    results = await harness.push(programme)

    assert len(results) == 22 and all(isinstance(r, RemoteRef) for r in results)
    calendar = Person(nextcloud.radicale, nextcloud.upstream_calendar_url())
    assert str(calendar.event("restitution")["x-hub-id"]) == "restitution"
    folder = on_disk(nextcloud, nuage)
    assert sorted(p.name for p in folder.iterdir()) == [
        "index.html",
        "programme.ics",
        "programme.json",
    ]
    assert (folder / "programme.ics").read_text().count("BEGIN:VEVENT") == 22
    frab = json.loads((folder / "programme.json").read_text())
    assert frab["schedule"]["conference"]["title"] == "Assemblée des communs"
    assert "Prendre soin des communs : la restitution" in (folder / "index.html").read_text()
    # A sync with nothing new: the calendar answers once, the folder is not touched.
    await harness.pull(programme)
    before, seen = harness.requests, len(nextcloud.fake.requests)
    assert (await harness.pull(programme)).items == [] and await harness.push(programme) == []
    assert harness.requests - before == 1
    assert [m for m, p in nextcloud.fake.requests[seen:]] == ["REPORT"]


async def test_change_rewrites_the_exports_in_place(
    nuage: NextcloudConnector, nextcloud: NextcloudSetup, programme: Programme
) -> None:
    harness = Harness(nuage)
    await harness.push(programme)
    folder = on_disk(nextcloud, nuage)
    etags = await nuage.published()
    sessions = dict(programme.sessions)
    sessions["restitution"] = moved(sessions["restitution"], 1)
    seen = len(nextcloud.fake.requests)

    results = await harness.push(programme.with_sessions(sessions.values()))

    assert len(results) == 1 and isinstance(results[0], RemoteRef)
    methods = [m for m, p in nextcloud.fake.requests[seen:]]
    assert methods == ["PROPFIND", "PUT", "PUT", "PUT", "PUT"]  # listing, 3 exports, 1 event
    assert frab_date(folder, "restitution") == "2021-11-12T16:30:00+01:00"
    after = await nuage.published()
    assert set(after) == set(etags) and all(after[n] != etags[n] for n in etags)
    assert sorted(p.name for p in folder.iterdir()) == [
        "index.html",
        "programme.ics",
        "programme.json",
    ]


async def test_folder_down_holds_the_whole_batch_back(
    nuage: NextcloudConnector, nextcloud: NextcloudSetup, programme: Programme
) -> None:
    nextcloud.fake.fail("/remote.php/dav/files/", status=503, times=10)
    ops = [
        Op("create", key, nuage.project(session, programme), None, 0)
        for key, session in sorted(programme.sessions.items())
    ]
    with pytest.raises(TransientError):
        await nuage.apply(ops, programme)
    with Person(nextcloud.radicale, nextcloud.upstream_calendar_url()).calendar() as cal:
        assert list(cal.get_events()) == []


async def test_calendar_edit_in_nextcloud_comes_back(
    nuage: NextcloudConnector, nextcloud: NextcloudSetup, programme: Programme
) -> None:
    harness = Harness(nuage)
    await harness.push(programme)
    await harness.pull(programme)
    Person(nextcloud.radicale, nextcloud.upstream_calendar_url()).move("restitution", 1)
    result = await harness.pull(programme)
    assert [(i.key, i.fields["start"]) for i in result.items] == [
        ("restitution", "2021-11-12T16:30:00+01:00")
    ]
    assert result.items[0].remote_id.startswith(
        f"/remote.php/dav/calendars/hub/{nextcloud.calendar}/"
    )


@pytest.mark.parametrize(("status", "retry_after"), [(429, 120.0), (503, 30.0), (500, None)])
async def test_server_trouble_is_transient_and_loses_nothing(
    nuage: NextcloudConnector,
    nextcloud: NextcloudSetup,
    programme: Programme,
    status: int,
    retry_after: float | None,
) -> None:
    harness = Harness(nuage)
    await harness.push(programme)
    await harness.pull(programme)
    Person(nextcloud.radicale, nextcloud.upstream_calendar_url()).move("restitution", 1)
    nextcloud.fake.fail("/remote.php/dav/calendars/", status=status, times=1, retry_after=retry_after)

    with pytest.raises(TransientError) as caught:
        await harness.pull(programme)

    assert caught.value.retry_after == retry_after
    # The cursor did not move and sync-tokens are still used: the edit comes with the next pull.
    result = await harness.pull(programme)
    assert [i.key for i in result.items] == ["restitution"]
    assert '"mode":"sync"' in (harness.cursor or "")


async def test_concurrent_edit_through_nextcloud_is_a_precondition_failure(
    nuage: NextcloudConnector, nextcloud: NextcloudSetup, programme: Programme
) -> None:
    from sync.errors import PreconditionFailed

    harness = Harness(nuage)
    await harness.push(programme)
    person = Person(nextcloud.radicale, nextcloud.upstream_calendar_url())
    person.move("restitution", 1)
    sessions = dict(programme.sessions)
    sessions["restitution"] = sessions["restitution"].with_fields({"status": "cancelled"})

    [result] = await harness.push(programme.with_sessions(sessions.values()))

    assert isinstance(result, PreconditionFailed) and "412" in str(result)
    assert str(person.event("restitution")["status"]) == "CONFIRMED"
