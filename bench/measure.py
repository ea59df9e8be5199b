"""How one run is measured: a child process's wall time, CPU (user + system) and peak resident
memory from ``wait4`` (that child only, started through :mod:`bench.launch`), and the HTTP
requests and bytes it exchanged, counted at a loopback proxy in front of the server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

LAUNCH = Path(__file__).with_name("launch.py")


@dataclass
class Sample:
    """One run of one tool."""

    wall: float  # seconds
    cpu: float  # user + system seconds of the child
    rss_mib: float  # peak resident memory of the child
    requests: int | None = None  # None: no server (the files sink), not zero
    bytes_up: int | None = None
    bytes_down: int | None = None
    puts: int | None = None  # PUT requests (the events written) ...
    put_body_bytes: int | None = None  # ... and their bodies' bytes: the events as sent
    output: str = ""

    def figures(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("output")
        return out


class Failed(RuntimeError):
    """A measured command exited with an error."""


def run(argv: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None,
        proxy: CountingProxy | None = None, ok: Sequence[int] = (0,), stdin: str | None = None) -> Sample:
    """Run ``argv`` once; its figures (requests and bytes through ``proxy`` when given)."""
    if proxy is not None:
        proxy.reset()
    with tempfile.TemporaryFile("w+") as log, tempfile.TemporaryDirectory() as scratch:
        figures = Path(scratch) / "figures.json"
        proc = subprocess.Popen([sys.executable, "-S", str(LAUNCH), str(figures), *map(str, argv)], cwd=cwd,
                                env={**os.environ, **(env or {})}, text=True,
                                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT)
        if stdin is not None and proc.stdin is not None:
            proc.stdin.write(stdin)
            proc.stdin.close()
        code = proc.wait()
        log.seek(0)
        out = log.read()
        if code not in ok:
            raise Failed(f"{' '.join(map(str, argv))} exited {code}:\n{out[-3000:]}")
        found = json.loads(figures.read_text(encoding="utf-8"))
    sample = Sample(round(found["wall"], 4), round(found["cpu"], 4), round(found["maxrss_kib"] / 1024, 1), output=out)
    if proxy is not None:
        sample.requests, sample.bytes_up, sample.bytes_down = proxy.requests, proxy.bytes_up, proxy.bytes_down
        sample.puts, sample.put_body_bytes = proxy.puts, proxy.put_body_bytes
    return sample


def median(samples: Sequence[Sample]) -> dict[str, Any]:
    """The median of each figure over the runs (None stays None: no server)."""
    out: dict[str, Any] = {"runs": len(samples)}
    for name in ("wall", "cpu", "rss_mib", "requests", "bytes_up", "bytes_down", "puts", "put_body_bytes"):
        values = [getattr(s, name) for s in samples]
        out[name] = None if any(v is None for v in values) else round(statistics.median(values), 4)
    return out


class CountingProxy:
    """A TCP proxy on loopback in front of an HTTP server that counts requests (by reading each
    request's head and skipping its body: Content-Length or chunked) and bytes each way."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self.requests = self.bytes_up = self.bytes_down = 0
        self.puts = self.put_body_bytes = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    def reset(self) -> None:
        self.requests = self.bytes_up = self.bytes_down = 0
        self.puts = self.put_body_bytes = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @contextlib.contextmanager
    def running(self) -> Iterator[CountingProxy]:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        ready = threading.Event()
        loop = asyncio.new_event_loop()
        self._loop = loop

        async def serve() -> None:
            server = await asyncio.start_server(self._client, sock=sock, limit=1 << 20)
            ready.set()
            async with server:
                with contextlib.suppress(asyncio.CancelledError):
                    await server.serve_forever()

        def serve_until_stopped() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(serve())
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        thread = threading.Thread(target=serve_until_stopped, daemon=True)
        thread.start()
        ready.wait(10)
        try:
            yield self
        finally:
            def stop() -> None:
                for task in asyncio.all_tasks(loop):
                    task.cancel()
            loop.call_soon_threadsafe(stop)
            thread.join(10)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port, limit=1 << 20)
        except OSError:
            writer.close()
            return
        down = asyncio.ensure_future(self._pipe_down(up_reader, writer))
        try:
            await self._pipe_up(reader, up_writer)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            # The client is gone: whatever the server still sends has nobody to read it.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(down), 1.0)
            down.cancel()
            await asyncio.gather(down, return_exceptions=True)
            for w in (writer, up_writer):
                with contextlib.suppress(OSError, RuntimeError):
                    w.close()

    async def _pipe_up(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as exc:
                if exc.partial:
                    self._send(writer, exc.partial)
                return
            self.requests += 1
            self._send(writer, head)
            headers = {k.strip().lower(): v.strip() for k, _, v in
                       (line.partition(":") for line in head.decode("latin-1").split("\r\n")[1:] if line)}
            if "chunked" in headers.get("transfer-encoding", "").lower():
                self.puts += head.startswith(b"PUT ")
                while True:
                    size_line = await reader.readuntil(b"\r\n")
                    self._send(writer, size_line)
                    size = int(size_line.split(b";")[0].strip() or b"0", 16)
                    if head.startswith(b"PUT "):
                        self.put_body_bytes += size
                    self._send(writer, await reader.readexactly(size + 2))
                    if size == 0:
                        break
            else:
                length = int(headers.get("content-length", "0") or 0)
                if head.startswith(b"PUT "):
                    self.puts += 1
                    self.put_body_bytes += length
                while length:
                    chunk = await reader.read(min(length, 1 << 20))
                    if not chunk:
                        return
                    length -= len(chunk)
                    self._send(writer, chunk)
            await writer.drain()

    def _send(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        self.bytes_up += len(data)
        writer.write(data)

    async def _pipe_down(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, ConnectionError):
            while chunk := await reader.read(1 << 16):
                self.bytes_down += len(chunk)
                writer.write(chunk)
                await writer.drain()
        with contextlib.suppress(OSError, RuntimeError):
            writer.write_eof()
