"""The HTTP client every connector uses: request counting, retries with backoff, error mapping.

Counting happens in the transport, so each attempt of a retried request counts: the figures in
``hub sync --json`` and the benchmarks are what the remote really received.
Retries (tenacity, exponential backoff with jitter) cover network errors, 502/503/504 and 429
for methods that are safe to repeat; a ``Retry-After`` longer than ``max_retry_wait`` is not
slept on but raised as :class:`TransientError` so the engine defers that connector's work.

Errors say what was tried and what came of it, in the hub's language:
``GET https://nuage.example.org/remote.php/dav/calendars/hub/assemblee/: 401 credentials refused
or right missing``, ``cannot reach http://127.0.0.1:9001/api/1.2.15/getText: connection
refused``. URLs are shown through :func:`config.redaction.redact_url` (no user or password, the
values of ``apikey=``-like parameters masked). Connectors whose library is not httpx (caldav,
nc-py-api) build the same messages with :func:`request_error` and :func:`network_error`.

The messages, TLS contexts and the status-to-error table are :mod:`connectors.net`'s (no httpx
there), named here too for the connectors built on this client.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from connectors.gate import wait_turn
from connectors.net import DEFAULT_LANGUAGE as DEFAULT_LANGUAGE
from connectors.net import IDEMPOTENT_METHODS, RETRY_STATUSES, ssl_context
from connectors.net import error_for_status as error_for_status
from connectors.net import forget_ssl_contexts as forget_ssl_contexts
from connectors.net import network_error as network_error
from connectors.net import request_error as request_error
from connectors.net import retry_after_seconds as retry_after_seconds
from connectors.net import told as told
from sync.errors import ConnectorError
from sync.protocol import RequestCounter

#: Where a client made by :func:`build_client` notes its language on each request.
LANGUAGE = "commons_hub.language"


class _RetryableResponse(Exception):
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        super().__init__(f"HTTP {response.status_code}")


class CountingRetryTransport(httpx.AsyncBaseTransport):
    """Wraps a transport: counts every attempt, retries what is safe to retry."""

    def __init__(
        self,
        connector: str,
        counter: RequestCounter,
        inner: httpx.AsyncBaseTransport | None = None,
        *,
        attempts: int = 4,
        max_retry_wait: float = 30.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 8.0,
        verify: Any = True,
        language: str | None = None,
    ) -> None:
        self.connector = connector
        self.counter = counter
        self.language = language
        self._inner = inner
        self._tls = ssl_context(verify)  # read now: a bad CA bundle is said when the client is built
        self.attempts = attempts
        self.max_retry_wait = max_retry_wait
        self.backoff = wait_exponential_jitter(initial=backoff_initial, max=backoff_max)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RetryableResponse):
            after = retry_after_seconds(exc.response.headers)
            if after is not None:
                return after
        return float(self.backoff(state))

    @property
    def inner(self) -> httpx.AsyncBaseTransport:
        """The transport that sends, made at the first request: making it imports httpcore (about
        0.1 s), which a connector that never uses its client (the programme file, a chat with
        a transport of its own) should not cost a run."""
        if self._inner is None:
            self._inner = httpx.AsyncHTTPTransport(verify=self._tls)
        return self._inner

    async def _send_once(self, request: httpx.Request) -> httpx.Response:
        await wait_turn(request.url, self.connector)  # a host's rate limit, in hosting mode
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError:
            self.counter.add(self.connector, 1, request.method, 0)
            raise
        self.counter.add(self.connector, 1, request.method, response.status_code)
        if response.status_code in RETRY_STATUSES and request.method in IDEMPOTENT_METHODS:
            after = retry_after_seconds(response.headers)
            if after is None or after <= self.max_retry_wait:
                await response.aread()
                await response.aclose()
                raise _RetryableResponse(response)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.language:
            request.extensions.setdefault(LANGUAGE, self.language)
        if request.method not in IDEMPOTENT_METHODS:
            return await self._send_once(request)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception_type((_RetryableResponse, httpx.TransportError)),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._send_once(request)
        except _RetryableResponse as exc:
            # Out of attempts: hand the last answer to the caller, who maps it to an error.
            return exc.response
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        if self._inner is not None:
            await self._inner.aclose()


def build_client(
    connector: str,
    counter: RequestCounter,
    *,
    base_url: str = "",
    auth: httpx.Auth | tuple[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    verify: Any = True,
    inner: httpx.AsyncBaseTransport | None = None,
    attempts: int = 4,
    max_retry_wait: float = 30.0,
    language: str | None = None,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` whose requests are counted under ``connector`` and retried.

    ``language`` is the one its errors are told in (:func:`raise_for_response`,
    :func:`describe_transport_error`) when their caller does not say.
    """
    transport = CountingRetryTransport(
        connector,
        counter,
        inner,
        attempts=attempts,
        max_retry_wait=max_retry_wait,
        verify=verify,
        language=language,
    )
    return httpx.AsyncClient(
        base_url=base_url,
        auth=auth,
        headers={"User-Agent": "commons-hub", **(headers or {})},
        timeout=timeout,
        transport=transport,
        follow_redirects=True,
    )


def request_language(request: httpx.Request | None) -> str | None:
    """The language the client that sent ``request`` tells its errors in (see :func:`build_client`)."""
    value = request.extensions.get(LANGUAGE) if request is not None else None
    return value if isinstance(value, str) else None


def raise_for_response(
    response: httpx.Response,
    connector: str,
    what: str = "",
    *,
    auth: Collection[int] = (401, 403),
    conditional: bool = True,
    lang: str | None = None,
) -> None:
    """Map an HTTP answer to the hub's error tree (no-op on 2xx/3xx).

    The message names the method, the URL (through :func:`config.redaction.redact_url`: no
    credentials, no secret query parameter) and the status with its meaning, in ``lang`` (by
    default the client's, see :func:`build_client`). ``auth`` and ``conditional`` as in
    :func:`error_for_status`.
    """
    status = response.status_code
    if status < 400:
        return
    request = response.request
    raise request_error(
        status,
        request.method,
        request.url,
        connector=connector,
        lang=lang or request_language(request),
        what=what,
        retry_after=retry_after_seconds(response.headers),
        auth=auth,
        conditional=conditional,
    )


def describe_transport_error(
    exc: Exception, connector: str, *, lang: str | None = None, what: str = ""
) -> ConnectorError:
    """Turn a network failure into a :class:`TransientError` that says which URL could not be
    reached and why (``cannot reach http://127.0.0.1:9001/api/1.2.15/getText: connection refused``)."""
    request: httpx.Request | None
    try:
        request = exc.request if isinstance(exc, httpx.RequestError) else None
    except RuntimeError:  # an httpx error raised without its request
        request = None
    url = request.url if request is not None else "?"
    return network_error(exc, url, connector=connector, lang=lang or request_language(request), what=what)
