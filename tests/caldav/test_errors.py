"""How a calendar server's failures reach the engine: one table of statuses, read from the
library's structured errors, and a bug in the hub never mistaken for a server being down. Each
error names the request that failed (method, URL, status and what it means) in the hub's
language, and a calendar that is not there says how to create it.

The real Radicale answers behind a proxy that injects the answers a healthy server does not
give on request (429 with ``Retry-After``, 500, 400); 401 and 412 come from Radicale itself in
``test_calendar_sync``.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from connectors.caldav import CalDAVConfig, CalDAVConnector
from sync.errors import AuthError, NotFound, PermanentError, TransientError
from sync.model import Programme
from sync.protocol import Op, RemoteRef
from tests.caldav.conftest import CalDAVServer
from tests.caldav.harness import context, reference_programme
from tests.fakes.faulty_proxy import FaultyProxy


@pytest.fixture
def programme() -> Programme:
    return reference_programme()


@pytest.fixture
def proxy(radicale: CalDAVServer) -> Iterator[tuple[FaultyProxy, CalDAVConnector]]:
    """A fresh calendar on Radicale, reached through a fault-injecting proxy (messages in English)."""
    calendar = radicale.new_calendar()
    origin = urlsplit(radicale.base_url)
    faulty = FaultyProxy(f"{origin.scheme}://{origin.netloc}")
    with faulty.running() as base:
        config = CalDAVConfig(
            url=base + urlsplit(calendar).path,
            username=radicale.username,
            password=radicale.password,
            owns=["start", "end", "venue", "status"],
        )
        yield faulty, CalDAVConnector("calendar", config, context("calendar", lang="en"))


def create(connector: CalDAVConnector, programme: Programme, key: str = "restitution") -> Op:
    return Op("create", key, connector.project(programme.sessions[key], programme), None, 0)


async def test_429_with_retry_after_is_transient_and_says_when(
    proxy: tuple[FaultyProxy, CalDAVConnector], programme: Programme
) -> None:
    faulty, connector = proxy
    faulty.fail("PUT", 429, headers={"Retry-After": "120"})
    with pytest.raises(TransientError) as caught:
        await connector.apply([create(connector, programme)], programme)
    assert caught.value.retry_after == 120 and caught.value.connector == "calendar"
    [result] = await connector.apply([create(connector, programme)], programme)  # the server is back
    assert isinstance(result, RemoteRef)
    await connector.close()


@pytest.mark.parametrize(("status", "error"), [(500, TransientError), (503, TransientError)])
async def test_a_failing_server_is_transient(
    proxy: tuple[FaultyProxy, CalDAVConnector], programme: Programme, status: int, error: type[Exception]
) -> None:
    faulty, connector = proxy
    faulty.fail("PUT", status)
    with pytest.raises(error) as caught:
        await connector.apply([create(connector, programme)], programme)
    meaning = {500: "server error", 503: "server unavailable"}[status]
    event = connector.config.url + "restitution.ics"
    assert str(caught.value) == f"[calendar] PUT {event}: {status} {meaning}"
    faulty.fail("REPORT", status)
    with pytest.raises(error) as caught:
        await connector.pull(None, {}, programme)
    assert str(caught.value) == f"[calendar] sync: REPORT {connector.config.url}: {status} {meaning}"
    await connector.close()


async def test_a_refused_write_fails_that_item_only(
    proxy: tuple[FaultyProxy, CalDAVConnector], programme: Programme
) -> None:
    faulty, connector = proxy
    faulty.fail("PUT", 400)
    results = await connector.apply([create(connector, programme), create(connector, programme, "accueil-cafe")],
                                    programme)
    assert isinstance(results[0], PermanentError) and "PUT" in str(results[0]) and "400" in str(results[0])
    assert isinstance(results[1], RemoteRef)
    await connector.close()


async def test_401_and_404_through_the_library_errors(
    proxy: tuple[FaultyProxy, CalDAVConnector], programme: Programme
) -> None:
    faulty, connector = proxy
    faulty.fail("PROPFIND", 403)
    with pytest.raises(AuthError) as refused:
        await connector.check()
    assert str(refused.value) == (
        f"[calendar] calendar: PROPFIND {connector.config.url}: 403 credentials refused or right missing"
    )
    faulty.fail("PROPFIND", 404)
    with pytest.raises(NotFound, match="create it in your calendar app"):
        await connector.check()
    assert connector.config.password is not None
    assert connector.config.password.get_secret_value() not in str(faulty.seen)
    await connector.close()


async def test_a_bug_is_not_turned_into_a_transient_error(
    proxy: tuple[FaultyProxy, CalDAVConnector], programme: Programme, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, connector = proxy

    def broken(*args: object) -> None:
        raise KeyError("href")

    monkeypatch.setattr(connector.store, "multiget", broken)
    await connector.apply([create(connector, programme)], programme)
    with pytest.raises(KeyError):
        await connector.pull(None, {}, programme)
    monkeypatch.setattr(connector.store, "put", lambda *args, **kwargs: 1 + "")  # a TypeError
    with pytest.raises(TypeError):
        await connector.apply([create(connector, programme, "accueil-cafe")], programme)
    await connector.close()


async def test_an_unreachable_server_is_transient_and_named(programme: Programme) -> None:
    from tests.fakes.loopback import free_port

    url = f"http://127.0.0.1:{free_port()}/hub/cal/"
    config = CalDAVConfig(url=url, username="hub", password="pass-in-no-message", timeout=5)
    for lang, expected in [("en", f"[calendar] sync: cannot reach {url}: connection refused"),
                           ("fr", f"[calendar] sync : impossible de joindre {url} : connexion refusée")]:
        connector = CalDAVConnector("calendar", config, context("calendar", lang=lang))
        with pytest.raises(TransientError) as caught:
            await connector.pull(None, {}, programme)
        assert str(caught.value) == expected
        await connector.close()


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_a_missing_calendar_says_how_to_create_it(
    radicale: CalDAVServer, programme: Programme, lang: str
) -> None:
    url = f"{radicale.base_url.rstrip('/')}{radicale.home_path}no-such-calendar/"
    config = CalDAVConfig(url=url, username=radicale.username, password=radicale.password)
    connector = CalDAVConnector("calendar", config, context("calendar", lang=lang))
    advice = {"en": f"no calendar at {url} (the server answered 404); create it in your calendar app",
              "fr": f"pas de calendrier à {url} (le serveur a répondu 404) ; créez-le dans votre application d'agenda"}
    with pytest.raises(NotFound) as checked:
        await connector.check()
    assert advice[lang] in str(checked.value) and "Radicale" in str(checked.value)
    with pytest.raises(NotFound) as pulled:
        await connector.pull(None, {}, programme)
    assert advice[lang] in str(pulled.value)
    assert radicale.password not in str(checked.value) + str(pulled.value)
    await connector.close()
