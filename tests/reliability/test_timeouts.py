"""One timeout setting for every connector and every library under it (defect: signal-cli's
client waited aiohttp's default five minutes on a server that never answers)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.runtime import build_connector, load_settings
from sync.errors import ConnectorError
from sync.protocol import RequestCounter

#: Guards against a hang, not a speed target: the servers below never answer, so without a
#: timeout these calls would wait minutes.
HANG = 20.0


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[str]:
    """A server that accepts connections and never says a word."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for writer in held:
            writer.close()
        server.close()


def config(tmp_path: Path, url: str, hub_timeout: str = "", own: str = "") -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(
        f"[hub]\n{hub_timeout}\n"
        f'[connectors.signal]\ntype = "signal"\nurl = "{url}"\nnumber = "+33612345678"\ngroups = ["g"]\n{own}\n'
        f'[connectors.calendar]\ntype = "caldav"\nurl = "{url}/cal/"\nusername = "hub"\npassword = "secret-42"\n'
        f'[connectors.site]\ntype = "wordpress"\nurl = "{url}"\nusername = "hub"\n'
        f'application_password = "abcd efgh ijkl"\n'
        f'[connectors.pad]\ntype = "etherpad"\nurl = "{url}"\npad = "p"\napi_key = "key-123456"\n'
        f'[connectors.tg]\ntype = "telegram"\ntoken = "123456:abcdef"\nchats = [-1]\n'
        f'[connectors.space]\ntype = "humhub"\nurl = "{url}"\nspace = "commons"\ntoken = "token-123456"\n'
        f'[connectors.list]\ntype = "email"\nhost = "127.0.0.1"\nport = {url.rsplit(":", 1)[1]}\nstarttls = false\n'
        f'from = "hub@example.org"\nto = ["list@example.org"]\n',
        encoding="utf-8",
    )
    return path


def test_one_setting_gives_every_connector_its_timeout(tmp_path: Path) -> None:
    settings = load_settings(config(tmp_path, "http://127.0.0.1:9", "timeout = 7", "timeout = 3"), {})
    counter = RequestCounter()
    built = {s.name: build_connector(s, settings, counter) for s in settings.connectors}
    assert built["signal"].timeout == 3, "a section's own timeout wins"
    for name in ("calendar", "site", "pad", "tg", "space"):
        assert built[name].timeout == 7, name
        assert built[name].ctx.http.timeout.read == 7 and built[name].ctx.http.timeout.connect == 7
    default = load_settings(config(tmp_path, "http://127.0.0.1:9"), {})
    assert build_connector(default.connectors[1], default, counter).timeout == 30


@pytest.mark.parametrize("name", ["signal", "calendar", "site", "pad", "tg", "space", "list"])
async def test_a_server_that_never_answers_fails_within_the_timeout(tmp_path: Path, name: str) -> None:
    async with silent_server() as url:
        settings = load_settings(config(tmp_path, url, "timeout = 0.5"), {})
        section = next(s for s in settings.connectors if s.name == name)
        connector = build_connector(section, settings, RequestCounter(), attempts=1)
        try:
            with pytest.raises(ConnectorError):
                await asyncio.wait_for(connector.check(), HANG)
        finally:
            await connector.close()
