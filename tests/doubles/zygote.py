"""Start many real ``hub`` processes quickly: a process that has imported the hub once forks one
child per command (``python -m tests.doubles.zygote SOCKET``; :class:`Zygote` drives it).

The crash tests run hundreds of ``hub sync`` processes and kill many of them; importing the hub
and its libraries costs a few seconds each time on a small machine, more than the sync itself.
Each child is still a process of its own running the real ``hub`` entry point from the start
(its environment, working folder, arguments, standard streams and exit status its own), and it
dies of a real SIGKILL at its crash point (:mod:`tests.doubles.crashpoints`). The server runs no
hub code before forking and starts no thread, so a child begins exactly where a fresh
interpreter would after its imports.

Protocol: one JSON request per connection (``argv``, ``env``, ``cwd``, ``stdout``, ``stderr``
paths); the answer is one JSON line ``{"status": N}``: the exit code, or ``-signal`` when the
child was killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

#: What the children will need, imported once in the server.
PRELOAD = (
    "tests.doubles",
    "hub.cli",
    "hub.commands",
    "hub.runtime",
    "sync.engine",
    "connectors.caldav",
    "connectors.calstore",
    "connectors.etherpad",
    "connectors.wordpress",
    "connectors.telegram",
    "connectors.signal",
    "connectors.files",
    "caldav",
    "niquests",
    "aiohttp",
    "httpx",
)


def _child(request: Mapping[str, Any]) -> None:
    """In the forked child: become the requested ``hub`` command. Never returns."""
    code = 70
    try:
        with open(os.devnull, "rb") as null:
            os.dup2(null.fileno(), 0)
        with open(request["stdout"], "wb") as out:
            os.dup2(out.fileno(), 1)
        with open(request["stderr"], "wb") as err:
            os.dup2(err.fileno(), 2)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        sys.argv = ["hub", *request["argv"]]
        import hub.help
        from tests.doubles.crashpoints import install

        hub.help.LANGUAGE = hub.help.startup_language()
        install()
        from hub.entry import main

        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _handle(conn: socket.socket) -> None:
    """In a forked handler: run the child, wait for it, answer its status."""
    with conn, conn.makefile("rwb") as stream:
        request = json.loads(stream.readline())
        pid = os.fork()
        if pid == 0:
            _child(request)
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        stream.write(json.dumps({"status": code}).encode() + b"\n")
        stream.flush()


def serve(path: str) -> None:
    for name in PRELOAD:
        __import__(name)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # handlers are reaped by the system
    print("ready", flush=True)
    while True:
        conn, _ = server.accept()
        if os.fork() == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            server.close()
            try:
                _handle(conn)
            finally:
                os._exit(0)
        conn.close()


class Zygote:
    """The test side: start the server, run commands through it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # A socket's path must stay short (about 100 bytes): a folder of its own under /tmp.
        self.path = str(Path(tempfile.mkdtemp(prefix="hubz-")) / "sock")
        self.count = 0
        self.process: subprocess.Popen[bytes] | None = None

    @contextlib.contextmanager
    def running(self, cwd: Path) -> Iterator[Zygote]:
        self.process = subprocess.Popen([sys.executable, "-m", "tests.doubles.zygote", self.path], cwd=cwd,
                                        stdout=subprocess.PIPE)
        try:
            assert self.process.stdout is not None
            line = self.process.stdout.readline()
            assert line.strip() == b"ready", "the hub's process server did not start"
            yield self
        finally:
            self.process.kill()
            self.process.wait()
            with contextlib.suppress(OSError):
                os.unlink(self.path)
                os.rmdir(os.path.dirname(self.path))

    def run(self, argv: list[str], env: Mapping[str, str], cwd: Path, timeout: float = 300) -> tuple[int, str, str]:
        """(exit code or -signal, stdout, stderr) of one ``hub`` process."""
        self.count += 1
        out, err = self.folder / f"run-{self.count}.out", self.folder / f"run-{self.count}.err"
        request = {"argv": argv, "env": dict(env), "cwd": str(cwd), "stdout": str(out), "stderr": str(err)}
        deadline = time.monotonic() + timeout
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(timeout)
            client.connect(self.path)
            client.sendall(json.dumps(request).encode() + b"\n")
            answer = b""
            while not answer.endswith(b"\n") and time.monotonic() < deadline:
                chunk = client.recv(4096)
                if not chunk:
                    break
                answer += chunk
        status = int(json.loads(answer)["status"])
        stdout, stderr = out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8")
        out.unlink()
        err.unlink()
        return status, stdout, stderr


if __name__ == "__main__":
    serve(sys.argv[1])
