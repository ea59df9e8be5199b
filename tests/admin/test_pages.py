"""The organisers' page without a browser: the one-time links, and the app over a daemon
stand-in that runs the real engine on the programme file and the exports (through httpx's ASGI
transport). The browser scenario over the real daemon is tests/admin/test_admin_page.py."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from bots.signin import LINKS, SignInLinks, admin_url, token_hash
from config.settings import Settings
from hub.admin import build_admin
from hub.admin.sessions import COOKIE, csrf_token
from hub.runtime import build_engine, load_settings
from sync.report import Report
from sync.state import StateStore
from tests.helpers import edit_programme, write_config


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    found = StateStore.open(f"sqlite:///{tmp_path / 'hub.db'}")
    yield found
    found.close()


def test_a_link_is_redeemed_once_and_only_its_hash_is_kept(store: StateStore) -> None:
    links = SignInLinks(store, "https://hub.example.org/admin/")
    url = links.issue("telegram:42")
    token = url.split("token=")[1]
    assert url.startswith("https://hub.example.org/admin/login?token=") and len(token) >= 40
    assert token not in str(store.get_meta(LINKS)) and token_hash(token) in store.get_meta(LINKS)
    assert links.redeem("x" + token) is None
    assert links.redeem(token) == "telegram:42"
    assert links.redeem(token) is None, "once only"
    assert store.get_meta(LINKS) == {}


def test_a_link_expires_after_ten_minutes(store: StateStore) -> None:
    now = [1000.0]
    links = SignInLinks(store, "http://127.0.0.1:8765/admin/", clock=lambda: now[0])
    late, early = links.issue("telegram:1"), links.issue("telegram:2")
    now[0] += 599
    assert links.redeem(early.split("token=")[1]) == "telegram:2"
    now[0] += 2
    assert links.redeem(late.split("token=")[1]) is None
    assert links.redeem("") is None


def test_the_links_address() -> None:
    assert admin_url("0.0.0.0:8765", None) == "http://127.0.0.1:8765/admin/"
    assert admin_url("10.0.0.5:9000", None) == "http://10.0.0.5:9000/admin/"
    assert admin_url("127.0.0.1:8765", "https://hub.example.org/orga") == "https://hub.example.org/orga/"


class StandIn:
    """What the page needs of the daemon, with the real engine for its syncs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = StateStore.open(settings.database_url)
        self.token: str | None = None
        self.address = ("127.0.0.1", 8765)
        self.metrics: Any = None
        self.last_success: dict[str, float] = {}
        self.receivers: dict[str, list[Any]] = {}
        self.asked: list[str] = []

    @property
    def busy(self) -> bool:
        return False

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        return True, {"store": "ok", "connectors": {}, "syncing": False}

    def request_sync(self, reason: str) -> None:
        self.asked.append(reason)

    def public_dir(self) -> Path | None:
        return self.settings.resolve("public")

    async def sync_now(self, reason: str = "asked", *, revert: int | None = None) -> Report:
        self.asked.append(reason)
        engine = build_engine(self.settings, store=self.store, revert=revert)
        return await engine.sync()

    def next_probes(self) -> dict[str, float]:
        return {}


Page = tuple[httpx.AsyncClient, StandIn]


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Page]:
    config = write_config(tmp_path, """
[connectors.exports]
type = "files"
path = "public"
""")
    daemon = StandIn(load_settings(config))
    await daemon.sync_now("start")
    app = Starlette(routes=[Mount("/admin", app=build_admin(daemon))])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                 follow_redirects=True) as client:
        yield client, daemon
    daemon.store.close()


async def sign_in(client: httpx.AsyncClient, daemon: StandIn) -> str:
    link = SignInLinks(daemon.store, "http://testserver/admin/").issue("telegram:42")
    answer = await client.post("/admin/login", data={"token": link.split("token=")[1]}, follow_redirects=False)
    assert answer.status_code == 303
    session = answer.cookies[COOKIE]
    return csrf_token(session)


async def test_a_held_programme_edit_is_accepted_from_the_page(page: Page, tmp_path: Path) -> None:
    client, daemon = page
    for session in ("accueil-meteo", "prendre-soin-bonneveine", "prendre-soin-musee", "prendre-soin-air-bel",
                    "prendre-soin-spinelly"):
        edit_programme(tmp_path, session, venue="malpasse")
    report = await daemon.sync_now("edit")
    assert [(h["connector"], h["sessions"]) for h in report.held] == [("programme", 5)]
    csrf = await sign_in(client, daemon)
    shown = await client.get("/admin/held")
    assert shown.status_code == 200 and "Lot n°1 · programme" in shown.text and "Malpassé" in shown.text

    refused = await client.post("/admin/held/1/accept", data={"csrf": csrf[::-1]}, follow_redirects=False)
    assert refused.status_code == 403 and daemon.store.held_batches(("open",))
    accepted = await client.post("/admin/held/1/accept", data={"csrf": csrf})
    assert accepted.status_code == 200 and "Lot n°1 accepté : 5 changement(s) appliqué(s)." in accepted.text
    assert not daemon.store.held_batches(("open",))
    page_html = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    assert page_html.count("Malpassé") >= 5, "the export holds the accepted venues"
    again = await client.post("/admin/held/1/reject", data={"csrf": csrf})
    assert "Le lot n°1 n'attend pas de décision." in html.unescape(again.text)


async def test_the_language_link_goes_nowhere_but_the_page(page: Page) -> None:
    client, daemon = page
    await sign_in(client, daemon)
    for target in ("https://evil.example/", "//evil.example/admin/", "/admin/\\evil", "/public/x"):
        answer = await client.get("/admin/lang/en", params={"next": target}, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/admin/", target
    english = await client.get("/admin/lang/en", params={"next": "/admin/history"})
    assert "Change history" in english.text and english.url.path == "/admin/history"
    assert re.search(r'<html lang="en">', english.text)
    assert "Page not found." in (await client.get("/admin/nowhere")).text


async def test_pages_need_a_session_and_say_so(page: Page) -> None:
    client, daemon = page
    for path in ("/admin/", "/admin/held", "/admin/history", "/admin/programme"):
        answer = await client.get(path)
        assert answer.status_code == 401 and "Connectez-vous d'abord" in html.unescape(answer.text), path
        assert answer.headers["cache-control"] == "no-store" and answer.headers["x-frame-options"] == "DENY"
    answer = await client.post("/admin/history/1/revert", data={"csrf": "x"})
    assert answer.status_code == 401 and daemon.asked == ["start"], "nothing ran"
    await sign_in(client, daemon)
    assert (await client.get("/admin/programme")).status_code == 200
