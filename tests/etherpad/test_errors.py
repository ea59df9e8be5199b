"""Etherpad's answers through the shared status table: its envelope's code read with the HTTP
status Etherpad gives it (an older Etherpad, or a proxy, answers 200 whatever the code), and
the OAuth2 token endpoint's refusals.

A scripted server on loopback answers exactly the envelopes and statuses of Etherpad's API
(``tests/fakes/etherpad_oauth.py`` is the full fake; this one says one thing at a time).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from connectors.etherpad.api import ApiKey, ClientCredentials, EtherpadAPI
from sync.errors import AuthError, NotFound, PermanentError, TransientError
from tests.fakes.loopback import serve

Answer = tuple[int, dict[str, Any] | str, dict[str, str]]


class Scripted:
    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.seen: list[str] = []

    async def handle(self, request: Request) -> Response:
        self.seen.append(request.url.path)
        status, body, headers = self.answers.pop(0)
        if isinstance(body, str):
            return PlainTextResponse(body, status_code=status, headers=headers)
        return JSONResponse(body, status_code=status, headers=headers)


@pytest.fixture
def server() -> Iterator[tuple[Scripted, str]]:
    scripted = Scripted()
    app = Starlette(routes=[Route("/{path:path}", scripted.handle, methods=["GET", "POST"])])
    with serve(app) as base:
        yield scripted, base


def envelope(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "data": None}


@pytest.mark.parametrize(
    ("status", "body", "headers", "error"),
    [
        (401, envelope(4, "no or wrong API Key"), {}, AuthError),
        (200, envelope(4, "no or wrong API Key"), {}, AuthError),  # Etherpad < 1.8: always 200
        (400, envelope(1, "padID does not exist"), {}, NotFound),
        (400, envelope(1, "text is not a string"), {}, PermanentError),
        (200, envelope(1, "text refused"), {}, PermanentError),
        (404, envelope(3, "no such function"), {}, PermanentError),
        (500, envelope(2, "internal error"), {}, TransientError),
        (200, envelope(2, "internal error"), {}, TransientError),
        (429, "Too many requests", {"Retry-After": "90"}, TransientError),  # a proxy's answer
        (503, "<h1>Service Unavailable</h1>", {}, TransientError),
        (404, "<h1>Not Found</h1>", {}, PermanentError),  # no API there: never "the pad is missing"
    ],
)
async def test_each_answer_maps_to_what_the_engine_does_next(
    server: tuple[Scripted, str], status: int, body: dict[str, Any] | str, headers: dict[str, str],
    error: type[Exception],
) -> None:
    scripted, base = server
    scripted.answers.append((status, body, headers))
    async with httpx.AsyncClient() as http:
        api = EtherpadAPI(http, base, "1.3.0", ApiKey("the-api-key"), "pad")
        with pytest.raises(error) as caught:
            await api.call("setText", padID="programme", text="x")  # a write: asked once
    assert type(caught.value) is error and caught.value.connector == "pad"  # type: ignore[attr-defined]
    assert "the-api-key" not in str(caught.value) and "setText" in str(caught.value)
    if status == 429:
        assert caught.value.retry_after == 90  # type: ignore[attr-defined]
    assert len(scripted.seen) == 1


@pytest.mark.parametrize(
    ("status", "error"), [(401, AuthError), (400, AuthError), (404, AuthError), (429, TransientError),
                          (500, TransientError)]
)
async def test_token_endpoint_refusals_are_about_the_credentials(
    server: tuple[Scripted, str], status: int, error: type[Exception]
) -> None:
    scripted, base = server
    scripted.answers.append((status, {"error": "invalid_client"}, {"Retry-After": "5"}))
    credentials = ClientCredentials(f"{base}/oidc/token", "hub", "client-secret-123")
    async with httpx.AsyncClient() as http:
        api = EtherpadAPI(http, base, "1.3.0", credentials, "pad")
        with pytest.raises(error) as caught:
            await api.call("setText", padID="programme", text="x")
    assert type(caught.value) is error and "client-secret-123" not in str(caught.value)
    assert f"answered {status} (invalid_client)" in str(caught.value)
    assert scripted.seen == ["/oidc/token"]
