"""Hosting fixtures: throwaway PostgreSQL databases on the machine's real server, and workers
and the hosting daemon as real child processes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO
from tests.peers.postgres import new_database as postgres_database


def new_database() -> contextlib.AbstractContextManager[str]:
    """A new, empty PostgreSQL database (libpq's URL form, as procrastinate takes it), dropped afterwards."""
    return postgres_database("hub_hosting", libpq=True)


@pytest.fixture
def hosting_url() -> Iterator[str]:
    with new_database() as url:
        yield url


class Process:
    """One ``hub worker`` or ``hub daemon --hosting`` child, its JSON log lines in a file."""

    def __init__(self, args: list[str], url: str, log_path: Path) -> None:
        self.args = args
        self.url = url
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "hub", *self.args], stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
                env={**os.environ, "PYTHONUNBUFFERED": "1", "HUB_HOSTING_DATABASE": self.url, "HUB_LANGUAGE": "en"},
            )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up, no last word (a machine cut off)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout: float = 30) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"{self.args[0]} did not stop within {timeout} s\n{self.text()[-3000:]}") from None
        return self.proc.returncode

    def text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def logs(self) -> list[dict[str, Any]]:
        found = []
        for line in self.text().splitlines():
            if line.startswith("{"):
                with contextlib.suppress(json.JSONDecodeError):
                    found.append(json.loads(line))
        return found


def wait_for(condition: Callable[[], Any], timeout: float, what: str, logs: Callable[[], str] = lambda: "") -> float:
    start = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not within {timeout} s\n{logs()[-6000:]}")
        time.sleep(0.1)
