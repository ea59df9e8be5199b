"""Talk chat client and channel against the fake Talk server, over httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from connectors.chat_board import BoardStore
from connectors.http import build_client
from connectors.nextcloud.talk import TalkChannel, TalkClient
from sync.errors import AuthError, PermanentError, TransientError
from sync.protocol import RequestCounter
from tests.chat.support import Driver, announcement_between, moved, reference_programme
from tests.fakes.talk import FakeTalk

ROOMS = ("abcd1234", "efgh5678")


@pytest.fixture
def talk() -> Iterator[FakeTalk]:
    with FakeTalk().running() as fake:
        for room in (*ROOMS, "stranger"):
            fake.add_room(room, f"Salon {room}")
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = build_client("nuage", RequestCounter())
    yield client
    await client.aclose()


def channel(
    talk: FakeTalk,
    http: httpx.AsyncClient,
    tmp_path: Path,
    password: str | None = None,
    rooms: tuple[str, ...] = ROOMS,
) -> TalkChannel:
    client = TalkClient(http, talk.url, talk.user, password or talk.password, "nuage")
    return TalkChannel(client, rooms, "fr", BoardStore(tmp_path / "board.json"), pace_seconds=0)


class Sink:
    """The channel as the engine sees a connector's apply()."""

    name, collection = "nuage", "board"

    def __init__(self, ch: TalkChannel) -> None:
        self.ch = ch

    def project(self, session, programme):  # type: ignore[no-untyped-def]
        record = session.to_record()
        return {k: record[k] for k in ("title", "start", "end", "venue", "status")}

    async def apply(self, ops, programme):  # type: ignore[no-untyped-def]
        return await self.ch.apply_board(ops, programme)


async def test_client_errors_map_to_the_error_tree(
    talk: FakeTalk, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    bad = channel(talk, http, tmp_path, password="wrong")
    with pytest.raises(AuthError):
        await bad.client.send(ROOMS[0], "x")
    good = channel(talk, http, tmp_path)
    with pytest.raises(PermanentError, match="404"):
        await good.client.send("nowhere", "x")
    talk.fail("send", status=503)
    with pytest.raises(TransientError):
        await good.client.send(ROOMS[0], "x")
    with pytest.raises(PermanentError, match="longer than"):
        await good.client.send(ROOMS[0], "x" * 32001)
    sent = await good.client.send(ROOMS[0], "**bonjour**", reference="r1")
    assert (await good.client.find(ROOMS[0], "r1")) == sent
    assert "edit-messages" in await good.client.features()


async def test_board_then_change_edits_and_announces_once(
    talk: FakeTalk, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    programme = reference_programme()
    driver = Driver(Sink(channel(talk, http, tmp_path)))  # type: ignore[arg-type]
    await driver.sync(programme)
    for room in ROOMS:
        assert [t.split("\n")[0] for t in talk.shown(room)] == [
            "**Programme du vendredi 12 novembre**",
            "**Programme du samedi 13 novembre**",
            "**Programme du dimanche 14 novembre**",
        ]
    assert talk.shown("stranger") == []
    changed = moved(programme, "atelier-municipalisme", venue="apres-m")
    driver.connector = Sink(channel(talk, http, tmp_path))  # type: ignore[assignment]
    await driver.sync(changed)
    news = announcement_between(programme, changed)
    ch = driver.connector.ch  # type: ignore[attr-defined]
    refs = [await ch.announce(room, news) for room in ch.targets()]
    again = [await ch.announce(room, news) for room in ch.targets()]  # an in-doubt resend
    assert refs == again
    for room in ROOMS:
        shown = talk.shown(room)
        assert len(shown) == 4
        assert "**Communs et municipalisme** · L'Après M" in shown[1]
        assert shown[3] == (
            "**Changements au programme**\n\n"
            "- Communs et municipalisme : change de lieu, désormais à L'Après M"
        )
        assert "lastEditTimestamp" in talk.messages(room)[1]


async def test_talk_17_or_old_messages_get_a_correction_reply(
    talk: FakeTalk, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    programme = reference_programme()
    talk.edit_supported = False
    driver = Driver(Sink(channel(talk, http, tmp_path, rooms=(ROOMS[0],))))  # type: ignore[arg-type]
    await driver.sync(programme)
    await driver.sync(moved(programme, "accueil-cafe", title="Accueil café"))
    messages = talk.messages(ROOMS[0])
    assert len(messages) == 4
    assert messages[3]["parent"]["id"] == messages[2]["id"]
    assert "**Accueil café** ·" in messages[3]["message"]


async def test_nextcloud_connector_announces_in_its_talk_room(
    talk: FakeTalk, tmp_path: Path
) -> None:
    from connectors.nextcloud import NextcloudConfig, NextcloudConnector
    from sync.protocol import Capability
    from tests.chat.support import context

    config = NextcloudConfig(
        type="nextcloud",
        url=talk.url,
        username=talk.user,
        app_password=talk.password,
        calendar="assemblee",  # type: ignore[arg-type]
        talk_room=ROOMS[0],
    )
    connector = NextcloudConnector("nuage", config, context("nuage", tmp_path))
    try:
        assert Capability.ANNOUNCE in connector.capabilities
        assert connector.targets() == [ROOMS[0]]
        programme = reference_programme()
        news = announcement_between(programme, moved(programme, "accueil-cafe", title="Café"))
        ref = await connector.announce(ROOMS[0], news)
        assert await connector.announce(ROOMS[0], news) == ref  # found again by referenceId
        assert talk.shown(ROOMS[0]) == [
            "**Changements au programme**\n\n"
            "- « Accueil café : les grandes tables » s'appelle désormais « Café »"
        ]
        assert talk.shown(ROOMS[1]) == []
    finally:
        await connector.close()
        await connector.ctx.close_http()
