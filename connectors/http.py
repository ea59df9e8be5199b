"""The HTTP client every connector uses: request counting, retries with backoff, error mapping.

Counting happens in the transport, so each attempt of a retried request counts: the figures in
``hub sync --json`` and the benchmarks are what the remote really received.
Retries (tenacity, exponential backoff with jitter) cover network errors, 502/503/504 and 429
for methods that are safe to repeat; a ``Retry-After`` longer than ``max_retry_wait`` is not
slept on but raised as :class:`TransientError` so the engine defers that connector's work.

Errors say what was tried and what came of it, in the hub's language:
``GET https://nuage.example.org/remote.php/dav/calendars/hub/assemblee/: 401 credentials refused
or right missing``, ``cannot reach http://127.0.0.1:9001/api/1.2.15/getText: connection
refused``. URLs are shown through :func:`config.secrets.redact_url` (no user or password, the
values of ``apikey=``-like parameters masked). Connectors whose library is not httpx (caldav,
nc-py-api) build the same messages with :func:`request_error` and :func:`network_error`.

TLS: one :class:`ssl.SSLContext` per way of verifying (:func:`ssl_context`) serves every client
the process makes. Building a context loads the whole CA bundle (about 0.8 MiB of OpenSSL
memory that glibc seldom gives back once freed), and a long-running daemon builds its
connectors' clients again at every sync and probe. caldav's and nc-py-api's niquests sessions
need nothing of this: urllib3-future keeps one context per set of TLS parameters already.
"""

from __future__ import annotations

import email.utils
import functools
import os
import ssl
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

from config.secrets import redact_url
from connectors.gate import wait_turn
from sync.errors import (
    AuthError,
    ConnectorError,
    NotFound,
    PermanentError,
    PreconditionFailed,
    TransientError,
)
from sync.i18n import Catalogue
from sync.protocol import RequestCounter

#: Methods that may be sent twice without harm (RFC 9110 idempotent, plus WebDAV reads).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PROPFIND", "REPORT"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: Where a client made by :func:`build_client` notes its language on each request.
LANGUAGE = "commons_hub.language"
#: The messages' language when neither the caller nor the client says (they were English first).
DEFAULT_LANGUAGE = "en"

MESSAGES = Catalogue({
    "status": {"fr": "{method} {url} : {status} {meaning}", "en": "{method} {url}: {status} {meaning}"},
    "unreachable": {"fr": "impossible de joindre {url} : {reason}", "en": "cannot reach {url}: {reason}"},
    "what": {"fr": "{what} : {message}", "en": "{what}: {message}"},
    "detail": {"fr": "{message} ({detail})", "en": "{message} ({detail})"},
    "status.auth": {"fr": "identifiants refusés ou droit manquant", "en": "credentials refused or right missing"},
    "status.not_found": {"fr": "introuvable", "en": "not found"},
    "status.changed": {"fr": "modifié entre-temps", "en": "changed meanwhile"},
    "status.timeout": {
        "fr": "le serveur a cessé d'attendre la requête",
        "en": "the server stopped waiting for the request",
    },
    "status.rate": {"fr": "trop de requêtes", "en": "too many requests"},
    "status.locked": {
        "fr": "verrouillé par un autre client, réessayé plus tard",
        "en": "locked by another client, tried again later",
    },
    "status.rate_after": {
        "fr": "trop de requêtes, réessayer dans {seconds} s",
        "en": "too many requests, try again in {seconds} s",
    },
    "status.unavailable": {"fr": "serveur indisponible", "en": "server unavailable"},
    "status.server": {"fr": "erreur du serveur", "en": "server error"},
    "status.refused": {"fr": "requête refusée", "en": "request refused"},
    "reason.refused": {"fr": "connexion refusée", "en": "connection refused"},
    "reason.dns": {"fr": "nom d'hôte inconnu", "en": "unknown host name"},
    "reason.tls": {"fr": "certificat TLS non reconnu", "en": "TLS certificate not trusted"},
    "reason.connect_timeout": {"fr": "pas de réponse à la connexion", "en": "connection timed out"},
    "reason.timeout": {"fr": "pas de réponse à temps", "en": "no answer in time"},
    "reason.closed": {"fr": "le serveur a coupé la connexion", "en": "the server closed the connection"},
    "reason.unreachable": {"fr": "réseau injoignable", "en": "network unreachable"},
    "reason.connect": {"fr": "connexion impossible", "en": "connection failed"},
})
say = MESSAGES.say


def ssl_context(verify: bool | str | ssl.SSLContext = True) -> ssl.SSLContext:
    """The process's TLS context for ``verify`` (a connector's ``verify``: True for the usual
    authorities, False for none, or the path of a CA bundle file or folder), made once and shared.

    The same trust as httpx's own: with True, ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` when set,
    else certifi's bundle. Read again after :func:`forget_ssl_contexts` (a reloaded configuration,
    a CA bundle replaced on disk).
    """
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is True:
        return _ssl_context(True, os.environ.get("SSL_CERT_FILE") or None, os.environ.get("SSL_CERT_DIR") or None)
    return _ssl_context(verify, None, None)


@functools.lru_cache(maxsize=16)
def _ssl_context(verify: bool | str, cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    if verify is False:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if verify is True:
        if cert_file:
            return ssl.create_default_context(cafile=cert_file)
        if cert_dir:
            return ssl.create_default_context(capath=cert_dir)
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    if os.path.isdir(verify):
        return ssl.create_default_context(capath=verify)
    return ssl.create_default_context(cafile=verify)


def forget_ssl_contexts() -> None:
    """Drop the shared TLS contexts: the next client reads its CA bundle again."""
    _ssl_context.cache_clear()


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
    refusals; ``transient`` says whether 408/423/429/5xx mean "try again later" (False for an
    application's fault codes that borrow HTTP numbers for a definite answer). 423 is WebDAV's
    "Locked" (RFC 4918): another client holds the resource for now, as Xandikos answers a
    write racing another.
    """
    if status in auth:
        return AuthError(message, connector=connector)
    if conditional and status in (404, 410):
        return NotFound(message, connector=connector)
    if conditional and status == 412:
        return PreconditionFailed(message, connector=connector)
    if transient and (status in (408, 423, 429) or status >= 500):
        return TransientError(message, connector=connector, retry_after=retry_after)
    return PermanentError(message, connector=connector)


def status_meaning(status: int, lang: str, retry_after: float | None = None) -> str:
    """What an HTTP status means to the person reading the error."""
    if status in (401, 403):
        return say("status.auth", lang)
    if status in (404, 410):
        return say("status.not_found", lang)
    if status == 412:
        return say("status.changed", lang)
    if status == 408:
        return say("status.timeout", lang)
    if status == 423:
        return say("status.locked", lang)
    if status == 429:
        if retry_after:
            return say("status.rate_after", lang, seconds=f"{retry_after:.0f}")
        return say("status.rate", lang)
    if status in (502, 503, 504):
        return say("status.unavailable", lang)
    if status >= 500:
        return say("status.server", lang)
    return say("status.refused", lang)


def told(message: str, lang: str, what: str = "", detail: str = "") -> str:
    """``message`` after what was being done (``what: message``) and before a detail the
    server gave (``message (detail)``), with each language's punctuation."""
    if detail:
        message = say("detail", lang, message=message, detail=detail)
    return say("what", lang, what=what, message=message) if what else message


def request_error(
    status: int,
    method: str,
    url: object,
    *,
    connector: str | None,
    lang: str | None = None,
    what: str = "",
    detail: str = "",
    retry_after: float | None = None,
    auth: Collection[int] = (401, 403),
    conditional: bool = True,
    transient: bool = True,
) -> ConnectorError:
    """The error for an HTTP answer, telling the request and the status:
    ``[what: ]METHOD URL: STATUS meaning[ (detail)]``; the kind as in :func:`error_for_status`."""
    lang = lang or DEFAULT_LANGUAGE
    meaning = status_meaning(status, lang, retry_after)
    message = say("status", lang, method=method, url=redact_url(url), status=status, meaning=meaning)
    return error_for_status(
        status,
        told(message, lang, what, detail),
        connector=connector,
        retry_after=retry_after,
        auth=auth,
        conditional=conditional,
        transient=transient,
    )


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


_DNS_WORDS = ("name or service not known", "nodename nor servname", "name resolution", "getaddrinfo",
              "no address associated", "failed to resolve", "could not resolve")


def network_reason(exc: BaseException, lang: str) -> str:
    """Why a request got no answer, in words (the exception's type name when nothing fits).

    Read from the types and texts of the exception and its causes, whichever library raised it
    (httpx, niquests, urllib3, the socket module)."""
    chain = _causes(exc)
    names = {cls.__name__ for error in chain for cls in type(error).__mro__}
    text = " ".join(str(error) for error in chain).lower()
    # urllib3's NewConnectionError is a ConnectTimeoutError: the precise causes come first.
    if names & {"SSLError", "SSLCertVerificationError"} or "certificate verify failed" in text:
        key = "tls"
    elif "ConnectionRefusedError" in names or "refused" in text:
        key = "refused"
    elif "gaierror" in names or "NameResolutionError" in names or any(w in text for w in _DNS_WORDS):
        key = "dns"
    elif "unreachable" in text:
        key = "unreachable"
    elif names & {"ConnectTimeout", "ConnectTimeoutError"}:
        key = "connect_timeout"
    elif any("Timeout" in name for name in names) or "timed out" in text:
        key = "timeout"
    elif names & {"RemoteProtocolError", "RemoteDisconnected", "ConnectionResetError", "ReadError",
                  "IncompleteRead", "ProtocolError", "ChunkedEncodingError"}:
        key = "closed"
    elif names & {"ConnectError", "ConnectionError", "NewConnectionError"}:
        key = "connect"
    else:
        return type(exc).__name__
    return say(f"reason.{key}", lang)


def network_error(
    exc: BaseException, url: object, *, connector: str | None, lang: str | None = None, what: str = ""
) -> TransientError:
    """A request that got no answer: ``[what: ]cannot reach URL: reason``, to be tried later."""
    lang = lang or DEFAULT_LANGUAGE
    message = say("unreachable", lang, url=redact_url(url), reason=network_reason(exc, lang))
    return TransientError(told(message, lang, what), connector=connector)


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

    The message names the method, the URL (through :func:`config.secrets.redact_url`: no
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
