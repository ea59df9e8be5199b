"""``hub init`` for Nextcloud: Login Flow v2 (the person approves in the browser, nobody types a
password), a calendar created among those listed, the Talk conversations listed, the exports'
folder; ``hub check`` passes and the first ``hub sync`` fills the calendar and the folder. The
fake Nextcloud fronts the suite's real Radicale and WsgiDAV."""

from __future__ import annotations

import json
import secrets
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from connectors.nextcloud.setup import poll_login, start_login, talk_rooms
from tests.caldav.conftest import CalDAVServer, WebDAVServer, radicale, wsgidav  # noqa: F401  (fixtures)
from tests.fakes.nextcloud import FakeNextcloud, Upstream
from tests.init.conftest import hub, secret_files, small_programme

APP_PASSWORD = "Nc-app-password-from-login-flow-0001"


@pytest.fixture
def nextcloud(radicale: CalDAVServer, wsgidav: WebDAVServer) -> Iterator[FakeNextcloud]:  # noqa: F811
    fake = FakeNextcloud(
        caldav=Upstream(radicale.base_url, radicale.username, radicale.password),
        webdav=Upstream(wsgidav.base_url, wsgidav.username, wsgidav.password),
        user=radicale.username, app_password=APP_PASSWORD,
    )
    fake.talk_rooms.append({"token": "abcd1234", "displayName": "Assemblée", "type": 2})
    fake.talk_rooms.append({"token": "oneone01", "displayName": "ann", "type": 1})
    with fake.running():
        yield fake


def _approve_when_asked(fake: FakeNextcloud) -> threading.Thread:
    def approve() -> None:
        deadline = time.monotonic() + 30
        while not fake.logins and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.5)  # the wizard polls (404) before the person approves
        fake.grant()

    thread = threading.Thread(target=approve, daemon=True)
    thread.start()
    return thread


async def test_login_flow_gives_the_app_password_once_and_rooms_are_listed(nextcloud: FakeNextcloud) -> None:
    async with httpx.AsyncClient() as http:
        flow = await start_login(http, nextcloud.url)
        assert flow.login.startswith(nextcloud.url + "/index.php/login/v2/flow/")
        assert await poll_login(http, flow) is None
        nextcloud.grant()
        granted = await poll_login(http, flow)
        assert granted is not None and granted.login_name == "hub" and granted.app_password == APP_PASSWORD
        assert APP_PASSWORD not in repr(granted)
        assert await poll_login(http, flow) is None  # given once
        rooms = await talk_rooms(http, nextcloud.url, "hub", APP_PASSWORD)
        assert [(r.token, r.name, r.kind) for r in rooms] == [("abcd1234", "Assemblée", "group")]
        with pytest.raises(Exception) as refused:
            await talk_rooms(http, nextcloud.url, "hub", "wrong-password-000")
        assert "401" in str(refused.value)


def test_from_the_address_alone_to_a_first_sync(tmp_path: Path, nextcloud: FakeNextcloud) -> None:
    calendar = f"init-{secrets.token_hex(3)}"
    folder = f"Assemblée-{secrets.token_hex(3)}/Programme"
    answers = tmp_path / "answers.toml"
    answers.write_text(f"""
[hub]
language = "fr"
programme = "{small_programme(tmp_path)}"
tools = ["nextcloud"]
[nextcloud]
url = "{nextcloud.url}"
wait = 20
calendar = "{calendar}"
talk_room = "aucune"
folder = "{folder}"
""", encoding="utf-8")
    approver = _approve_when_asked(nextcloud)
    done = hub("init", str(tmp_path / "hub"), "--answers", str(answers))
    approver.join(5)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "/index.php/login/v2/flow/" in done.stdout and "Accès accordé pour « hub »" in done.stdout
    assert APP_PASSWORD not in done.stdout + done.stderr
    text = (tmp_path / "hub" / "hub.toml").read_text(encoding="utf-8")
    assert APP_PASSWORD not in text
    section = tomllib.loads(text)["connectors"]["nuage"]
    assert section["calendar"] == calendar and section["folder"] == folder and "talk_room" not in section
    assert secret_files(tmp_path / "hub") == {"nuage-app-password": 0o600}

    sync = hub("sync", "--config", str(tmp_path / "hub" / "hub.toml"), "--json")
    assert sync.returncode == 0, sync.stdout + sync.stderr
    assert json.loads(sync.stdout)["connectors"]["nuage"]["created"] == 3
    assert ("PUT", f"/remote.php/dav/files/hub/{folder}/programme.ics") in [
        (m, httpx.URL(p).path) for m, p in nextcloud.requests]
