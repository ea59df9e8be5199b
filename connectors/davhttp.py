"""A small blocking HTTP/1.1 client for the requests a CalDAV sync sends every time.

A sync with work sends a sync-collection REPORT, then a PUT or DELETE per changed event, and now
and then a calendar-multiget. Through the ``caldav`` library each costs about 2 ms of CPU in
niquests, and importing the library, niquests and lxml costs about 0.17 s before the first one:
most of a one-change sync's client time. This client sends the same requests with the standard
library's ``http.client`` on one kept-alive connection (one per writing lane), with the same
Basic credentials, TLS trust (:func:`connectors.net.ssl_context`), timeout and rate gate.
:mod:`connectors.calstore` uses it for those four requests and keeps the library for the rest
(the calendar's properties for ``hub check``, a server without sync-tokens).

Like ``requests``, it asks for compressed answers (Radicale's full sync-collection listing of
10,000 events: 2.2 MB of XML, 0.44 MB in gzip), follows redirects (at most
:data:`MAX_REDIRECTS`, never sending the credentials to another host), and sends a request
again on a new connection when a kept-alive one turns out to be closed before any answer came
(the server dropped it while idle).
"""

from __future__ import annotations

import base64
import http.client
import os
import threading
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from connectors.gate import wait_turn_blocking
from connectors.net import ssl_context

#: How many redirects one request follows, as ``requests`` does at most 30 (a loop is an error).
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: Environment variables that send the ``caldav`` library through a proxy: with one set, the
#: store keeps using the library, which honours them (this client does not speak to proxies).
PROXIES = ("http_proxy", "https_proxy", "all_proxy")
#: Failures of a kept-alive connection the server closed while idle, before any answer.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


def proxied() -> bool:
    """Whether the environment names a proxy (then the ``caldav`` library sends everything)."""
    return any(os.environ.get(name) or os.environ.get(name.upper()) for name in PROXIES)


class TooManyRedirects(http.client.HTTPException):
    """More than :data:`MAX_REDIRECTS` redirects, or a redirect to a scheme this client lacks."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes
    url: str  # after redirects


def _decoded(data: bytes, encoding: str) -> bytes:
    """The body as sent, for the encodings asked for (gzip, zlib's deflate or the raw one some
    servers send under that name)."""
    encoding = encoding.strip().lower()
    if not data or encoding in ("", "identity"):
        return data
    try:
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompress(data, 16 + zlib.MAX_WBITS)
        if encoding == "deflate":
            try:
                return zlib.decompress(data)
            except zlib.error:
                return zlib.decompress(data, -zlib.MAX_WBITS)
    except zlib.error:
        raise http.client.HTTPException(f"a {encoding} answer that does not decompress") from None
    raise http.client.HTTPException(f"an answer in an encoding not asked for: {encoding}")


class DavHttp:
    """Requests to one CalDAV server, one at a time on one kept-alive connection.

    ``on_request(method, url)`` is told each request before it goes (the store notes it for the
    error message); ``on_response(method, status)`` each answer (the request counter).
    """

    def __init__(
        self,
        username: str | None,
        password: str | None,
        *,
        verify: bool | str,
        timeout: float,
        connector: str | None,
        on_request: Callable[[str, str], None],
        on_response: Callable[[str, int], None],
    ) -> None:
        self._auth = None
        if username:
            pair = f"{username}:{password or ''}".encode()
            self._auth = "Basic " + base64.b64encode(pair).decode("ascii")
        self._verify = verify
        self._timeout = timeout
        self._connector = connector
        self._on_request = on_request
        self._on_response = on_response
        self._lock = threading.Lock()
        self._connection: http.client.HTTPConnection | None = None
        self._origin: tuple[str, str] | None = None  # (scheme, netloc) of the open connection

    def __repr__(self) -> str:  # never show the credentials
        return f"DavHttp(origin={self._origin!r})"

    def request(self, method: str, url: str, body: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> Answer:
        """Send ``method`` to ``url`` and read the whole answer (errors are the caller's to map:
        ``OSError`` and ``http.client.HTTPException`` for no answer)."""
        with self._lock:
            origin = urlsplit(url)[:2]
            for _ in range(MAX_REDIRECTS + 1):
                sent = dict(headers or {})
                if self._auth and urlsplit(url)[:2] == origin:
                    sent["Authorization"] = self._auth
                answer = self._exchange(method, url, body, sent)
                location = answer.headers.get("location")
                if answer.status not in REDIRECTS or not location:
                    return answer
                url = urljoin(url, location)
            raise TooManyRedirects(f"more than {MAX_REDIRECTS} redirects")

    def _exchange(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Answer:
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers.setdefault("User-Agent", "commons-hub")
        headers.setdefault("Accept-Encoding", "gzip, deflate")
        self._on_request(method, url)
        wait_turn_blocking(url, self._connector)  # a host's rate limit, in hosting mode
        for attempt in (1, 2):
            connection, reused = self._connect(parts.scheme, parts.netloc)
            try:
                connection.request(method, target, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
            except _STALE:
                self.close()
                if reused and attempt == 1:
                    continue  # the server closed the idle connection: once more on a new one
                raise
            except BaseException:
                self.close()
                raise
            if response.will_close:
                self.close()
            self._on_response(method, response.status)
            found = {k.lower(): v for k, v in response.getheaders()}
            return Answer(response.status, found, _decoded(data, found.get("content-encoding", "")), url)
        raise AssertionError("unreachable")  # pragma: no cover

    def _connect(self, scheme: str, netloc: str) -> tuple[http.client.HTTPConnection, bool]:
        """The open connection to ``scheme://netloc`` (True: it served a request already)."""
        if self._connection is not None and self._origin == (scheme, netloc):
            return self._connection, True
        self.close()
        host = urlsplit(f"//{netloc}")
        if scheme == "https":
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                host.hostname or "", host.port, timeout=self._timeout, context=ssl_context(self._verify))
        elif scheme == "http":
            connection = http.client.HTTPConnection(host.hostname or "", host.port, timeout=self._timeout)
        else:
            raise TooManyRedirects(f"cannot follow a redirect to {scheme}:")
        self._connection, self._origin = connection, (scheme, netloc)
        return connection, False

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = self._origin = None
