"""The shared HTTP client: every attempt counted, safe retries, errors mapped to the tree."""

from __future__ import annotations

import httpx
import pytest

from connectors.http import build_client, raise_for_response
from sync.errors import AuthError, NotFound, PermanentError, PreconditionFailed, TransientError
from sync.protocol import RequestCounter


def scripted(*statuses: int, retry_after: str | None = None) -> tuple[httpx.MockTransport, list[str]]:
    """A transport answering the given statuses in turn (then 200), recording methods."""
    seen: list[str] = []
    answers = list(statuses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        status = answers.pop(0) if answers else 200
        headers = {"Retry-After": retry_after} if retry_after and status == 429 else {}
        return httpx.Response(status, headers=headers, text="ok" if status == 200 else "no")

    return httpx.MockTransport(handler), seen


async def test_transient_errors_are_retried_and_each_attempt_counted() -> None:
    counter = RequestCounter()
    transport, seen = scripted(503, 502)
    async with build_client("cal", counter, inner=transport) as client:
        response = await client.get("http://server.test/calendar")
    assert response.status_code == 200
    assert seen == ["GET", "GET", "GET"]
    assert counter.get("cal") == 3


async def test_429_waits_for_retry_after() -> None:
    counter = RequestCounter()
    transport, seen = scripted(429, retry_after="0")
    async with build_client("tg", counter, inner=transport) as client:
        assert (await client.put("http://server.test/x", content=b"1")).status_code == 200
    assert len(seen) == 2


async def test_long_retry_after_is_handed_back_not_slept_on() -> None:
    counter = RequestCounter()
    transport, seen = scripted(429, retry_after="3600")
    async with build_client("tg", counter, inner=transport, max_retry_wait=5) as client:
        response = await client.get("http://server.test/x")
    assert response.status_code == 429 and len(seen) == 1
    with pytest.raises(TransientError) as caught:
        raise_for_response(response, "tg")
    assert caught.value.retry_after == 3600


async def test_post_is_never_repeated() -> None:
    counter = RequestCounter()
    transport, seen = scripted(503)
    async with build_client("chat", counter, inner=transport) as client:
        response = await client.post("http://server.test/send", json={"text": "hello"})
    assert response.status_code == 503 and seen == ["POST"]


@pytest.mark.parametrize(("status", "error"), [(401, AuthError), (403, AuthError), (404, NotFound),
                                               (412, PreconditionFailed), (500, TransientError),
                                               (400, PermanentError)])
def test_status_maps_to_what_the_engine_does_next(status: int, error: type[Exception]) -> None:
    request = httpx.Request("GET", "http://server.test/private?token=secret-token")
    with pytest.raises(error) as caught:
        raise_for_response(httpx.Response(status, request=request), "site")
    assert "secret-token" not in str(caught.value)
    assert "[site] GET /private answered" in str(caught.value)


def test_the_table_takes_each_api_s_meaning_of_a_status() -> None:
    from connectors.http import error_for_status

    def kind(status: int, **meaning: object) -> type[Exception]:
        return type(error_for_status(status, "x", connector="c", **meaning))  # type: ignore[arg-type]

    assert kind(404, conditional=False) is PermanentError and kind(412, conditional=False) is PermanentError
    assert kind(403, auth=(401,)) is PermanentError and kind(404, auth=(401, 404)) is AuthError
    assert kind(500, transient=False) is PermanentError and kind(429, transient=False) is PermanentError
    after = error_for_status(429, "x", connector="c", retry_after=12.0)
    assert isinstance(after, TransientError) and after.retry_after == 12.0


def test_debug_option_logs_everything() -> None:
    import logging

    from click.testing import CliRunner

    from hub.cli import cli

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        result = CliRunner().invoke(cli, ["--debug", "status", "--config", "/nonexistent/hub.toml"])
        assert result.exit_code == 2 and root.level == logging.DEBUG
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                root.removeHandler(handler)
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)
