"""The benchmark's counting proxy counts HTTP requests on a kept-alive connection, whether a body
comes with a Content-Length or in chunks, and every byte each way."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from bench.measure import CountingProxy

ANSWER = b"<ok/>"


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_PUT(self) -> None:
        if self.headers.get("Transfer-Encoding") == "chunked":
            while size := int(self.rfile.readline().split(b";")[0], 16):
                self.rfile.read(size + 2)
            self.rfile.readline()
        else:
            self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(201)
        self.send_header("Content-Length", str(len(ANSWER)))
        self.end_headers()
        self.wfile.write(ANSWER)

    def log_message(self, *args: object) -> None:
        pass


def test_requests_and_bytes_are_counted_on_one_connection() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with CountingProxy(server.server_address[1]).running() as proxy, httpx.Client() as client:

            def chunks() -> Iterator[bytes]:
                yield b"a" * 1000
                yield b"b" * 24

            assert client.put(proxy.url + "one", content=b"x" * 5000).status_code == 201
            assert client.put(proxy.url + "two", content=chunks()).status_code == 201
            assert client.put(proxy.url + "three", content=b"").status_code == 201
            assert proxy.requests == 3
            assert proxy.bytes_up > 5000 + 1024
            assert proxy.bytes_down >= 3 * len(ANSWER)
            proxy.reset()
            assert (proxy.requests, proxy.bytes_up, proxy.bytes_down) == (0, 0, 0)
    finally:
        server.shutdown()
        server.server_close()
