"""Etherpad 2.x: OAuth2 client credentials (its default) and API keys, and how errors map.

Against the fake in ``tests/fakes/etherpad_oauth.py`` (Etherpad 2.x cannot be installed from
npm); the API-key path on a real 1.8 server is covered by the other tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.etherpad import EtherpadConfig, EtherpadConnector
from sync.errors import AuthError, PermanentError, TransientError
from sync.model import Programme
from sync.protocol import ConnectorContext, Op, RemoteRef
from tests.fakes.etherpad_oauth import Client, FakeEtherpad, running
from tests.helpers import reference_programme

SECRET = "s3cr3t-client-secret"


@pytest.fixture
def fake() -> FakeEtherpad:
    return FakeEtherpad(
        clients={
            "hub": Client(SECRET),
            "poster": Client("post-secret", auth_method="client_secret_post"),
        }
    )


@pytest.fixture
def url(fake: FakeEtherpad) -> Iterator[str]:
    with running(fake) as base:
        yield base


@pytest.fixture
def programme() -> Programme:
    return reference_programme()


Make = Callable[..., EtherpadConnector]


@pytest.fixture
def make(url: str, make_context: Callable[[str], ConnectorContext]) -> Make:
    def build(**settings: Any) -> EtherpadConnector:
        config = EtherpadConfig.model_validate(
            {"type": "etherpad", "url": url, "pad": "programme", "api_version": "1.3.0", **settings}
        )
        return EtherpadConnector("pad", config, make_context("pad"))

    return build


async def publish(pad: EtherpadConnector, programme: Programme) -> list[Any]:
    ops = [Op("create", s.id, pad.project(s, programme), None) for s in programme.sorted_sessions()]
    return await pad.apply(ops, programme)


async def test_client_credentials_token_serves_many_calls(fake: FakeEtherpad, make: Make, programme: Programme) -> None:
    pad = make(client_id="hub", client_secret=SECRET)
    assert any("OAuth2" in line for line in await pad.check())
    refs = await publish(pad, programme)
    assert all(isinstance(r, RemoteRef) for r in refs)
    result = await pad.pull(None, {}, programme)
    assert len(result.items) == 22 and result.problems == []
    assert "[#atelier-culture-juridique]" in fake.text("programme")
    assert fake.token_requests == 1


async def test_a_token_refused_after_a_restart_is_renewed_once(
    fake: FakeEtherpad, make: Make, programme: Programme
) -> None:
    pad = make(client_id="hub", client_secret=SECRET)
    await publish(pad, programme)
    first = await pad.pull(None, {}, programme)
    fake.restart()
    again = await pad.pull(None, {}, programme)
    assert fake.token_requests == 2
    assert [i.fields for i in again.items] == [i.fields for i in first.items]


async def test_wrong_client_secret_is_an_auth_error_without_the_secret(
    fake: FakeEtherpad, make: Make, programme: Programme
) -> None:
    pad = make(client_id="hub", client_secret="not-the-secret")
    with pytest.raises(AuthError) as caught:
        await pad.pull(None, {}, programme)
    assert "invalid_client" in str(caught.value)
    assert "not-the-secret" not in str(caught.value) and "not-the-secret" not in repr(pad.api.credentials)


async def test_client_authentication_follows_the_registration(
    fake: FakeEtherpad, make: Make, programme: Programme, tmp_path: Any
) -> None:
    (tmp_path / "secret").write_text("post-secret\n")
    poster = make(client_id="poster", client_secret_file=str(tmp_path / "secret"), token_auth="post")
    assert (await poster.pull(None, {}, programme)).cursor == "absent"
    wrong_way = make(client_id="poster", client_secret="post-secret")  # Basic, not registered so
    with pytest.raises(AuthError):
        await wrong_way.pull(None, {}, programme)


async def test_api_key_mode_of_etherpad_2(fake: FakeEtherpad, make: Make, programme: Programme) -> None:
    fake.mode, fake.api_key = "apikey", "the-2x-key"
    pad = make(api_key="the-2x-key")
    assert all(isinstance(r, RemoteRef) for r in await publish(pad, programme))
    with pytest.raises(AuthError):
        await make(api_key="wrong").pull(None, {}, programme)
    with pytest.raises(AuthError):  # sso needs a token, a key is refused
        fake.mode = "sso"
        await make(api_key="the-2x-key").pull(None, {}, programme)


async def test_reads_are_retried_through_transient_failures(
    fake: FakeEtherpad, make: Make, programme: Programme
) -> None:
    pad = make(client_id="hub", client_secret=SECRET)
    await publish(pad, programme)
    fake.fail("getText", 500, times=1)
    fake.fail("getRevisionsCount", 429, times=1, retry_after=0.01)
    result = await pad.pull(None, {}, programme)
    assert len(result.items) == 22
    assert fake.calls["getText"] == 2


async def test_a_failing_write_is_transient_and_not_repeated(
    fake: FakeEtherpad, make: Make, programme: Programme
) -> None:
    pad = make(client_id="hub", client_secret=SECRET)
    await publish(pad, programme)
    await pad.pull(None, {}, programme)
    moved = programme.sessions["restitution"].with_fields({"title": "Restitution"})
    fake.fail("setText", 500, times=5)
    with pytest.raises(TransientError):
        await pad.apply([Op("update", moved.id, pad.project(moved, programme), None, 1)], programme)
    assert fake.calls["setText"] == 1
    assert "Restitution [#restitution]" not in fake.text("programme")


async def test_unknown_api_version_is_a_permanent_error(make: Make, programme: Programme) -> None:
    pad = make(client_id="hub", client_secret=SECRET, api_version="9.9")
    with pytest.raises(PermanentError, match=r"does not offer it in API 9\.9"):
        await pad.pull(None, {}, programme)


def test_config_wants_exactly_one_way_in() -> None:
    base = {"type": "etherpad", "url": "http://127.0.0.1:9001", "pad": "p"}
    with pytest.raises(ValueError, match="either api_key"):
        EtherpadConfig.model_validate(base)
    with pytest.raises(ValueError, match="either api_key"):
        EtherpadConfig.model_validate({**base, "api_key": "k", "client_id": "c", "client_secret": "s"})
    with pytest.raises(ValueError, match="client_secret"):
        EtherpadConfig.model_validate({**base, "client_id": "c"})
    with pytest.raises(ValueError, match="pad id"):
        EtherpadConfig.model_validate({**base, "api_key": "k", "pad": "a/b"})
    assert "k3y" not in repr(EtherpadConfig.model_validate({**base, "api_key": "k3y"}))


async def test_a_server_without_the_api_is_not_mistaken_for_a_missing_pad(
    make_context: Callable[[str], ConnectorContext], programme: Programme
) -> None:
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    from tests.fakes.loopback import serve

    async def not_here(request: Any) -> HTMLResponse:
        return HTMLResponse("<h1>Not Found</h1>", status_code=404)

    app = Starlette(routes=[Route("/{path:path}", not_here, methods=["GET", "POST"])])
    with serve(app) as base:
        cases: list[tuple[dict[str, str], type[Exception]]] = [
            ({"api_key": "k"}, PermanentError),
            ({"client_id": "hub", "client_secret": SECRET}, AuthError),
        ]
        for settings, expected in cases:
            config = EtherpadConfig.model_validate({"type": "etherpad", "url": base, "pad": "programme", **settings})
            pad = EtherpadConnector("pad", config, make_context("pad"))
            with pytest.raises(expected) as caught:  # never NotFound, "the pad is missing"
                await pad.pull(None, {}, programme)
            assert type(caught.value) is expected


async def test_a_refused_write_fails_every_op_of_the_batch(
    fake: FakeEtherpad, make: Make, programme: Programme
) -> None:
    pad = make(client_id="hub", client_secret=SECRET)
    await publish(pad, programme)
    await pad.pull(None, {}, programme)
    before = fake.text("programme")
    ops = [
        Op(
            "update",
            key,
            pad.project(programme.sessions[key].with_fields({"title": "X"}), programme),
            None,
            1,
        )
        for key in ("restitution", "accueil-cafe")
    ]
    fake.fail("setText", 200)
    results = await pad.apply(ops, programme)
    assert [type(r) for r in results] == [PermanentError, PermanentError]
    assert "text refused" in str(results[0])
    assert fake.text("programme") == before
