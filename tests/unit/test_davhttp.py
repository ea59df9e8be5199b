"""The CalDAV sync's own HTTP client (:mod:`connectors.davhttp`) against real sockets on loopback:
a kept-alive connection the server dropped is replaced, redirects are followed, and credentials
never go to another host."""

from __future__ import annotations

import gzip
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from connectors.davhttp import MAX_REDIRECTS, DavHttp, TooManyRedirects


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as CalDAV servers answer
    seen: list[tuple[str, str, str | None, int]]  # method, path, Authorization, client port
    routes: dict[str, tuple[int, dict[str, str]]]

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.seen.append((self.command, self.path, self.headers.get("Authorization"), self.client_address[1]))
        status, headers = self.routes.get(self.path, (207, {}))
        body = b"<multistatus/>"
        if "gzip" in (self.headers.get("Accept-Encoding") or "") and self.path.endswith("/big/"):
            body = gzip.compress(b"<multistatus>" + b"<response/>" * 1000 + b"</multistatus>")
            headers = {**headers, "Content-Encoding": "gzip"}
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_REPORT = do_PUT = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        pass


def serve(routes: dict[str, tuple[int, dict[str, str]]]) -> tuple[ThreadingHTTPServer, list[Any]]:
    seen: list[Any] = []
    handler = type("Handler", (Recorder,), {"seen": seen, "routes": routes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


@pytest.fixture
def client() -> Iterator[tuple[DavHttp, list[tuple[str, int]]]]:
    answers: list[tuple[str, int]] = []
    http = DavHttp("hub", "s3cret", verify=True, timeout=5, connector="calendar",
                   on_request=lambda method, url: None, on_response=lambda m, s: answers.append((m, s)))
    yield http, answers
    http.close()


def test_requests_share_one_connection_with_the_credentials(client: tuple[DavHttp, list[Any]]) -> None:
    http, answers = client
    server, seen = serve({})
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        assert http.request("REPORT", f"{base}/hub/cal/", b"<x/>").status == 207
        assert http.request("PUT", f"{base}/hub/cal/a.ics", b"BEGIN:VCALENDAR").status == 207
    finally:
        server.shutdown()
    assert [s[2] for s in seen] == ["Basic aHViOnMzY3JldA=="] * 2
    assert len({s[3] for s in seen}) == 1  # one connection, kept alive
    assert answers == [("REPORT", 207), ("PUT", 207)]


def test_a_connection_the_server_dropped_while_idle_is_replaced() -> None:
    """The first answer keeps the connection alive; the server then closes it without a word.
    The next request goes again on a new connection, and is counted once."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    connections: list[int] = []

    def run() -> None:
        for _ in range(2):
            conn, _address = listener.accept()
            connections.append(1)
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 201 Created\r\nETag: \"1\"\r\nContent-Length: 0\r\n\r\n")
            conn.close()  # idle timeout: closed without "Connection: close"

    threading.Thread(target=run, daemon=True).start()
    answers: list[tuple[str, int]] = []
    http = DavHttp(None, None, verify=True, timeout=5, connector=None,
                   on_request=lambda method, url: None, on_response=lambda m, s: answers.append((m, s)))
    try:
        first = http.request("PUT", f"http://127.0.0.1:{port}/a.ics", b"x")
        second = http.request("PUT", f"http://127.0.0.1:{port}/b.ics", b"y")
    finally:
        http.close()
        listener.close()
    assert (first.status, second.status, first.headers["etag"]) == (201, 201, '"1"')
    assert len(connections) == 2 and answers == [("PUT", 201), ("PUT", 201)]


def test_redirects_are_followed_and_credentials_stay_on_their_host(client: tuple[DavHttp, list[Any]]) -> None:
    http, _ = client
    other, other_seen = serve({})
    here, seen = serve({
        "/old/": (301, {"Location": "/new/"}),
        "/away/": (307, {"Location": f"http://localhost:{other.server_port}/cal/"}),
    })
    try:
        base = f"http://127.0.0.1:{here.server_port}"
        moved = http.request("REPORT", f"{base}/old/", b"<x/>")
        away = http.request("REPORT", f"{base}/away/", b"<x/>")
    finally:
        here.shutdown()
        other.shutdown()
    assert (moved.status, moved.url) == (207, f"{base}/new/")
    assert [(s[0], s[1], s[2] is not None) for s in seen] == [("REPORT", "/old/", True), ("REPORT", "/new/", True),
                                                              ("REPORT", "/away/", True)]
    assert (away.status, other_seen[0][:3]) == (207, ("REPORT", "/cal/", None))  # no password to another host


def test_a_redirect_loop_is_an_error(client: tuple[DavHttp, list[Any]]) -> None:
    http, _ = client
    server, seen = serve({"/loop/": (302, {"Location": "/loop/"})})
    try:
        with pytest.raises(TooManyRedirects):
            http.request("REPORT", f"http://127.0.0.1:{server.server_port}/loop/", b"<x/>")
    finally:
        server.shutdown()
    assert len(seen) == MAX_REDIRECTS + 1


def test_a_compressed_answer_is_read_as_sent(client: tuple[DavHttp, list[Any]]) -> None:
    http, _ = client
    server, _seen = serve({})
    try:
        answer = http.request("REPORT", f"http://127.0.0.1:{server.server_port}/big/", b"<x/>")
    finally:
        server.shutdown()
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.body == b"<multistatus>" + b"<response/>" * 1000 + b"</multistatus>"
