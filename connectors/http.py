"""The HTTP client every connector uses: request counting, retries with backoff, error mapping.

Counting happens in the transport, so each attempt of a retried request counts: the figures in
``hub sync --json`` and the benchmarks are what the remote really received.
Retries (tenacity, exponential backoff with jitter) cover network errors, 502/503/504 and 429
for methods that are safe to repeat; a ``Retry-After`` longer than ``max_retry_wait`` is not
slept on but raised as :class:`TransientError` so the engine defers that connector's work.
"""

from __future__ import annotations

import email.utils
import time
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

from sync.errors import (
    AuthError,
    ConnectorError,
    NotFound,
    PermanentError,
    PreconditionFailed,
    TransientError,
)
from sync.protocol import RequestCounter

#: Methods that may be sent twice without harm (RFC 9110 idempotent, plus WebDAV reads).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PROPFIND", "REPORT"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})


class _RetryableResponse(Exception):
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        super().__init__(f"HTTP {response.status_code}")


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The ``Retry-After`` header in seconds (delta or HTTP date), or None."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


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
    ) -> None:
        self.connector = connector
        self.counter = counter
        self.inner = inner or httpx.AsyncHTTPTransport(verify=verify)
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

    async def _send_once(self, request: httpx.Request) -> httpx.Response:
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
        await self.inner.aclose()


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
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` whose requests are counted under ``connector`` and retried."""
    transport = CountingRetryTransport(
        connector,
        counter,
        inner,
        attempts=attempts,
        max_retry_wait=max_retry_wait,
        verify=verify,
    )
    return httpx.AsyncClient(
        base_url=base_url,
        auth=auth,
        headers={"User-Agent": "commons-hub", **(headers or {})},
        timeout=timeout,
        transport=transport,
        follow_redirects=True,
    )


def error_for_status(
    status: int,
    message: str,
    *,
    connector: str | None,
    retry_after: float | None = None,
    auth: Collection[int] = (401, 403),
    conditional: bool = True,
    transient: bool = True,
) -> ConnectorError:
    """The error the engine acts on for an HTTP status: one table for every connector.

    ``auth`` lists the statuses meaning "credentials or rights" for this API; ``conditional``
    says whether 404/410/412 answer a conditional write (re-pull and re-plan) or are plain
    refusals; ``transient`` says whether 408/429/5xx mean "try again later" (False for an
    application's fault codes that borrow HTTP numbers for a definite answer).
    """
    if status in auth:
        return AuthError(message, connector=connector)
    if conditional and status in (404, 410):
        return NotFound(message, connector=connector)
    if conditional and status == 412:
        return PreconditionFailed(message, connector=connector)
    if transient and (status in (408, 429) or status >= 500):
        return TransientError(message, connector=connector, retry_after=retry_after)
    return PermanentError(message, connector=connector)


def raise_for_response(
    response: httpx.Response,
    connector: str,
    what: str = "",
    *,
    auth: Collection[int] = (401, 403),
    conditional: bool = True,
) -> None:
    """Map an HTTP answer to the hub's error tree (no-op on 2xx/3xx).

    The message names the method, the path and the status, never the query string or headers,
    which may carry credentials. ``auth`` and ``conditional`` as in :func:`error_for_status`.
    """
    status = response.status_code
    if status < 400:
        return
    label = f"{response.request.method} {response.request.url.path}"
    message = f"{what + ': ' if what else ''}{label} answered {status}"
    raise error_for_status(status, message, connector=connector, retry_after=retry_after_seconds(response.headers),
                           auth=auth, conditional=conditional)


def describe_transport_error(exc: Exception, connector: str) -> ConnectorError:
    """Turn a network failure into a :class:`TransientError` that says what happened."""
    return TransientError(f"cannot reach the server: {type(exc).__name__}", connector=connector)
