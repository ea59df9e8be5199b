"""The shared HTTP client: every attempt counted, safe retries, errors mapped to the tree."""

from __future__ import annotations

import httpx
import pytest

from connectors.http import build_client, describe_transport_error, raise_for_response
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


@pytest.mark.parametrize(("status", "error", "meaning"), [
    (401, AuthError, "credentials refused or right missing"), (403, AuthError, "credentials refused or right missing"),
    (404, NotFound, "not found"), (412, PreconditionFailed, "changed meanwhile"), (500, TransientError, "server error"),
    (503, TransientError, "server unavailable"), (400, PermanentError, "request refused"),
])
def test_status_maps_to_what_the_engine_does_next(status: int, error: type[Exception], meaning: str) -> None:
    request = httpx.Request("GET", "http://hub:pw-in-url@server.test/private?token=secret-token&page=2")
    with pytest.raises(error) as caught:
        raise_for_response(httpx.Response(status, request=request), "site")
    assert "secret-token" not in str(caught.value) and "pw-in-url" not in str(caught.value)
    assert str(caught.value) == f"[site] GET http://server.test/private?token=***&page=2: {status} {meaning}"


async def test_an_error_names_the_url_tried_in_the_client_s_language() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401 if request.method == "PROPFIND" else 429, headers={"Retry-After": "120"})

    url = "https://nuage.example.org/remote.php/dav/calendars/hub/assemblee/"
    async with build_client("nuage", RequestCounter(), inner=httpx.MockTransport(answer), attempts=1,
                            max_retry_wait=1) as en, \
            build_client("nuage", RequestCounter(), inner=httpx.MockTransport(answer), language="fr") as fr:
        refused = await en.request("PROPFIND", url)
        with pytest.raises(AuthError, match=r"^\[nuage\] calendar: PROPFIND https://nuage\.example\.org/remote\.php/"
                                            r"dav/calendars/hub/assemblee/: 401 credentials refused or right missing$"):
            raise_for_response(refused, "nuage", "calendar")
        with pytest.raises(TransientError, match=r"GET .*: 429 too many requests, try again in 120 s$"):
            raise_for_response(await en.get(url), "nuage")
        with pytest.raises(AuthError) as caught:
            raise_for_response(await fr.request("PROPFIND", url), "nuage", "agenda")
    assert str(caught.value) == f"[nuage] agenda : PROPFIND {url} : 401 identifiants refusés ou droit manquant"
    with pytest.raises(AuthError, match="401 identifiants refusés"):
        raise_for_response(refused, "nuage", lang="fr")  # the caller's language wins


async def test_an_unreachable_server_is_named_with_the_reason() -> None:
    from tests.fakes.loopback import free_port

    port = free_port()
    async with build_client("pad", RequestCounter(), attempts=1) as http:
        with pytest.raises(httpx.TransportError) as failed:
            await http.post(f"http://127.0.0.1:{port}/api/1.2.15/setText?apikey=the-api-key-123", data={"a": "b"})
    error = describe_transport_error(failed.value, "pad")
    assert isinstance(error, TransientError)
    assert str(error) == f"[pad] cannot reach http://127.0.0.1:{port}/api/1.2.15/setText?apikey=***: connection refused"
    french = describe_transport_error(failed.value, "pad", lang="fr", what="setText")
    assert str(french) == (f"[pad] setText : impossible de joindre http://127.0.0.1:{port}/api/1.2.15/setText"
                           "?apikey=*** : connexion refusée")


@pytest.mark.parametrize(("error", "reason"), [
    (httpx.ConnectError("[Errno -2] Name or service not known"), "unknown host name"),
    (httpx.ConnectTimeout("timed out"), "connection timed out"),
    (httpx.ReadTimeout("timed out"), "no answer in time"),
    (httpx.RemoteProtocolError("Server disconnected without sending a response."), "the server closed the connection"),
    (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), "TLS certificate not trusted"),
    (httpx.ConnectError("[Errno 101] Network is unreachable"), "network unreachable"),
    (ValueError("strange"), "ValueError"),
])
def test_network_reasons_in_words(error: Exception, reason: str) -> None:
    from connectors.net import network_reason

    assert network_reason(error, "en") == reason
    assert network_reason(error, "fr") != reason or reason == "ValueError"


def test_redacted_urls_keep_what_helps_and_drop_what_is_secret() -> None:
    from config.redaction import redact_url

    assert redact_url("https://hub:s3cret@nuage.example.org:8443/remote.php/dav/?a=1#frag") == (
        "https://nuage.example.org:8443/remote.php/dav/?a=1"
    )
    assert redact_url("http://127.0.0.1:9001/api/1/getText?padID=p&apikey=k3y&access_token=t0k&rest_route=/wp/v2") == (
        "http://127.0.0.1:9001/api/1/getText?padID=p&apikey=***&access_token=***&rest_route=/wp/v2"
    )
    assert redact_url("https://api.telegram.org/bot123456:AAE-secret_token/getMe") == (
        "https://api.telegram.org/bot***/getMe"
    )


def test_messages_exist_in_french_and_english() -> None:
    from connectors import calstore, net
    from connectors.nextcloud import ocs
    from tests.unit.test_catalogues import placeholders

    for catalogue in (net.MESSAGES, calstore.MESSAGES, ocs.MESSAGES):
        for key, texts in catalogue.items():
            assert texts["fr"].strip() and texts["en"].strip(), key
            assert placeholders(texts["fr"]) == placeholders(texts["en"]), key


def test_the_table_takes_each_api_s_meaning_of_a_status() -> None:
    from connectors.http import error_for_status

    def kind(status: int, **meaning: object) -> type[Exception]:
        return type(error_for_status(status, "x", connector="c", **meaning))  # type: ignore[arg-type]

    assert kind(404, conditional=False) is PermanentError and kind(412, conditional=False) is PermanentError
    assert kind(403, auth=(401,)) is PermanentError and kind(404, auth=(401, 404)) is AuthError
    assert kind(500, transient=False) is PermanentError and kind(429, transient=False) is PermanentError
    assert kind(423) is TransientError, "a WebDAV lock is released: the write is tried again later"
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
