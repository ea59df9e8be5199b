"""A person at a terminal, for the wizard: the real ``hub init`` in a pseudo-terminal that is its
controlling terminal (so hidden input really is hidden), driven by what it prints."""

from __future__ import annotations

import fcntl
import os
import re
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

from tests.helpers import REPO

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _controlling_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """``expect`` what the wizard prints, ``answer`` as a person types; counts the answers
    and the characters typed (Enter included)."""

    def __init__(self, *args: str, cwd: Path = REPO) -> None:
        self.master, slave = os.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hub", *args], stdin=slave, stdout=slave, stderr=slave, cwd=cwd,
            env={**os.environ, "HUB_LANGUAGE": "en", "PYTHONUNBUFFERED": "1", "TERM": "dumb"},
            start_new_session=True, preexec_fn=_controlling_terminal,
        )
        os.close(slave)
        self.seen = ""
        self.prompts = 0
        self.typed = 0

    def expect(self, text: str, timeout: float = 30) -> str:
        """Read until ``text`` shows; everything shown so far."""
        deadline = time.monotonic() + timeout
        while text not in self.screen():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} not shown within {timeout} s; the screen:\n{self.screen()}")
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"the wizard ended before {text!r}:\n{self.screen()}")
                self.seen += chunk.decode("utf-8", "replace")
        return self.screen()

    def answer(self, prompt: str, text: str = "") -> None:
        """Wait for ``prompt`` at the start of a line, then type ``text`` and Enter ("" takes the
        default)."""
        line = "\n" + prompt
        self.expect(line)
        self.seen = ANSI.sub("", self.seen).replace("\r\n", "\n").split(line, 1)[1]
        os.write(self.master, text.encode() + b"\r")
        self.prompts += 1
        self.typed += len(text) + 1

    def screen(self) -> str:
        return ANSI.sub("", self.seen).replace("\r\n", "\n")

    def finish(self, timeout: float = 120) -> tuple[int, str]:
        """The exit code and what was printed after the last answer."""
        end = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < end:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    break
                self.seen += chunk.decode("utf-8", "replace")
        code = self.proc.wait(max(1.0, end - time.monotonic()))
        os.close(self.master)
        return code, self.screen()
