"""One TLS context per way of verifying, shared by every HTTP client the connectors make.

A context loads its CA bundle when built (about 0.8 MiB that glibc seldom gives back); the daemon
builds its connectors again at every sync and probe, so each build used to cost that again.
Here: the bundle is loaded once however many connectors are built and opened, the shared
context still verifies (a server signed by a private authority is refused with the default
trust and accepted with its CA bundle), and ``verify = false`` still verifies nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from connectors.http import build_client, describe_transport_error, forget_ssl_contexts, ssl_context
from hub.runtime import build_connectors, load_settings
from sync.errors import TransientError
from sync.protocol import RequestCounter
from tests.fakes.loopback import free_port
from tests.helpers import write_config


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Any, ...]]]:
    """Every CA bundle loaded into a TLS context from now on."""
    seen: list[tuple[Any, ...]] = []
    original = ssl.SSLContext.load_verify_locations

    def counted(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        seen.append(args + tuple(kwargs.values()))
        original(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
    forget_ssl_contexts()
    yield seen
    forget_ssl_contexts()


@pytest.fixture
def authority(tmp_path: Path) -> tuple[trustme.CA, Path]:
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return ca, bundle


@contextlib.contextmanager
def https_server(ca: trustme.CA, folder: Path) -> Iterator[str]:
    """A real HTTPS server on loopback, its certificate issued by ``ca``."""
    certificate = ca.issue_cert("127.0.0.1")
    cert, key = folder / "server.pem", folder / "server.key"
    certificate.cert_chain_pems[0].write_to_path(str(cert))
    certificate.private_key_pem.write_to_path(str(key))

    async def hello(_request: Any) -> PlainTextResponse:
        return PlainTextResponse("hello")

    port = free_port()
    config = uvicorn.Config(Starlette(routes=[Route("/", hello)]), host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off", ssl_certfile=str(cert), ssl_keyfile=str(key))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the HTTPS server did not start"
        time.sleep(0.01)
    try:
        yield f"https://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(10)


def test_one_context_per_way_of_verifying(authority: tuple[trustme.CA, Path], loads: list[tuple[Any, ...]]) -> None:
    _, bundle = authority
    default = ssl_context(True)
    assert ssl_context(True) is default and default.verify_mode == ssl.CERT_REQUIRED and default.check_hostname
    none = ssl_context(False)
    assert ssl_context(False) is none and none.verify_mode == ssl.CERT_NONE and not none.check_hostname
    private = ssl_context(str(bundle))
    assert ssl_context(str(bundle)) is private and private not in (default, none)
    assert ssl_context(private) is private
    assert len(loads) == 2, "the default bundle and the private one, each once"
    forget_ssl_contexts()
    assert ssl_context(True) is not default, "read again after a reload"


async def test_connectors_built_again_and_again_load_each_ca_bundle_once(
    tmp_path: Path, authority: tuple[trustme.CA, Path], loads: list[tuple[Any, ...]],
) -> None:
    _, bundle = authority
    settings = load_settings(write_config(tmp_path, f"""
[connectors.calendar]
type = "caldav"
url = "https://127.0.0.1:9/cal/"
username = "hub"
password = "secret-42"
verify = "{bundle}"

[connectors.site]
type = "wordpress"
url = "https://127.0.0.1:9"
username = "hub"
application_password = "abcd efgh ijkl"

[connectors.pad]
type = "etherpad"
url = "https://127.0.0.1:9"
pad = "p"
api_key = "key-123456"

[connectors.tg]
type = "telegram"
token = "123456:abcdef"
chats = [-1]
"""), {})
    for _sync in range(5):  # what the daemon does at each sync
        built = build_connectors(settings, RequestCounter())
        assert [c.name for c in built] == ["programme", "calendar", "site", "pad", "tg"]
        telegram = built[-1]
        await telegram.open()  # the bot's two HTTP clients
        for connector in built:
            assert connector.ctx.http is connector.ctx.http  # each one's client, made at first use
        for connector in built:
            await connector.close()
            await connector.ctx.close_http()
    assert len(loads) == 1, f"{len(loads)} CA bundles loaded for 25 connectors built and a bot opened 5 times"


async def test_the_shared_context_verifies_the_server(tmp_path: Path, authority: tuple[trustme.CA, Path]) -> None:
    ca, bundle = authority
    with https_server(ca, tmp_path) as url:
        async with build_client("site", RequestCounter(), verify=str(bundle), attempts=1) as client:
            assert (await client.get(url)).text == "hello"
        async with build_client("site", RequestCounter(), verify=False, attempts=1) as client:
            assert (await client.get(url)).text == "hello"
        async with build_client("site", RequestCounter(), attempts=1, language="en") as client:
            with pytest.raises(httpx.ConnectError) as refused:
                await client.get(url)
        error = describe_transport_error(refused.value, "site", lang="en")
        assert isinstance(error, TransientError) and "TLS certificate not trusted" in str(error)
