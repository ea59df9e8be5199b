"""A real Etherpad (ep_etherpad-lite 1.8.14 from npm) on loopback for the pad connector's tests.

``scripts/peers/etherpad.sh install`` puts it in ``$PEERS_ROOT/etherpad``. One server is started
per test session (a start costs about five seconds) with its own settings.json: loopback address,
a free port, the "dirty" database and a known API key in a temporary folder. Every test works on
pads of its own, so tests do not see each other's edits.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.http import build_client
from sync.model import Programme
from sync.programme_reader import load_programme
from sync.protocol import ConnectorContext, RequestCounter
from tests.peers.process import PEERS_ROOT, free_port, missing_peer, running

ROOT = PEERS_ROOT / "etherpad"
REPO = Path(__file__).resolve().parents[2]
PROGRAMME = REPO / "config" / "examples" / "programme.yaml"
API_VERSION = "1.2.15"


@dataclass(frozen=True)
class EtherpadServer:
    """Where the test server listens and the key it accepts."""

    url: str
    api_key: str
    api_version: str
    data_dir: Path

    @property
    def api(self) -> str:
        return f"{self.url}/api/{self.api_version}"


@pytest.fixture(scope="session")
def etherpad_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtherpadServer]:
    server_js = ROOT / "src" / "node" / "server.js"
    if not server_js.exists():
        missing_peer("etherpad", "ep_etherpad-lite is not installed in $PEERS_ROOT/etherpad")
    data = tmp_path_factory.mktemp("etherpad")
    port = free_port()
    api_key = "test-" + secrets.token_hex(16)
    settings = {
        "title": "Etherpad (tests)",
        "ip": "127.0.0.1",
        "port": port,
        "dbType": "dirty",
        "dbSettings": {"filename": str(data / "dirty.db")},
        "defaultPadText": "",
        "suppressErrorsInPadText": True,
        "requireSession": False,
        "editOnly": False,
        "minify": False,
        "loglevel": "WARN",
        "users": {},
    }
    (data / "settings.json").write_text(json.dumps(settings, indent=2), encoding="utf-8")
    (data / "APIKEY.txt").write_text(api_key, encoding="utf-8")
    argv = [
        "node",
        str(server_js),
        "--settings",
        str(data / "settings.json"),
        "--apikey",
        str(data / "APIKEY.txt"),
        "--sessionkey",
        str(data / "SESSIONKEY.txt"),
        "--credentials",
        str(data / "credentials.json"),
    ]
    with running(
        "etherpad",
        argv,
        port,
        cwd=ROOT,
        env={"NODE_ENV": "production"},
        timeout=90,
        log=data / "etherpad.log",
    ):
        yield EtherpadServer(f"http://127.0.0.1:{port}", api_key, API_VERSION, data)


class Person:
    """Someone editing the pad by hand, through the HTTP API with a client of their own.

    Their requests are not counted as the hub's. (API 1.2.15 cannot attribute a ``setText`` to an
    author; what matters here is that the edit comes from outside the hub.)
    """

    def __init__(self, server: EtherpadServer) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.api, timeout=30)

    def call(self, function: str, **params: Any) -> Any:
        response = self.http.post(f"/{function}", data={"apikey": self.server.api_key, **params})
        body = response.json()
        assert body["code"] == 0, f"{function}: {body}"
        return body["data"]

    def text(self, pad: str) -> str:
        text: str = self.call("getText", padID=pad)["text"]
        return text

    def revision(self, pad: str) -> int:
        revisions: int = self.call("getRevisionsCount", padID=pad)["revisions"]
        return revisions

    def write(self, pad: str, text: str) -> None:
        self.call("setText", padID=pad, text=text)

    def replace(self, pad: str, old: str, new: str) -> str:
        """Edit one passage the way a person would; the passage must be there exactly once."""
        text = self.text(pad)
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in the pad"
        edited = text.replace(old, new)
        self.write(pad, edited)
        return edited

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def person(etherpad_server: EtherpadServer) -> Iterator[Person]:
    someone = Person(etherpad_server)
    yield someone
    someone.close()


@pytest.fixture
def pad_id(request: pytest.FixtureRequest) -> str:
    """A pad name of this test's own (Etherpad pad ids: at most 50 characters, no '$/?&#')."""
    return f"t-{request.node.name[:30]}-{secrets.token_hex(4)}".replace("[", "-").replace("]", "")


@pytest.fixture(scope="session")
def programme() -> Programme:
    return load_programme(PROGRAMME)


@pytest.fixture
async def context() -> AsyncIterator[ConnectorContext]:
    counter = RequestCounter()
    client = build_client("pad", counter)
    ctx = ConnectorContext(name="pad", client=client, counter=counter, language="fr", base_dir=REPO)
    yield ctx
    await client.aclose()
