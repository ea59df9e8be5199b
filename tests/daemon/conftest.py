"""``hub daemon`` as a real child process beside the suite's real Radicale, Etherpad and
WordPress servers and the Telegram fake; one daemon per test module where the tests can share it."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.caldav.conftest import CalDAVServer, radicale
from tests.etherpad.conftest import EtherpadServer, etherpad_server
from tests.fakes.loopback import free_port
from tests.fakes.telegram import FakeTelegram
from tests.helpers import REPO, write_config
from tests.wordpress.conftest import wordpress_site
from tests.wordpress.site import Site

__all__ = ["etherpad_server", "radicale", "wordpress_site"]

CHAT = -1001
ADMIN = 4242
TRIGGER = "trigger-" + "t0k3n" * 4


class DaemonProcess:
    """One ``hub daemon`` child: its address, its log lines (JSON), start and stop."""

    def __init__(self, config: Path, port: int) -> None:
        self.config = config
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = config.parent / f"daemon-{secrets.token_hex(2)}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def start(self, *, synced: bool = True) -> DaemonProcess:
        self.log_path = self.config.parent / f"daemon-{secrets.token_hex(2)}.log"
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "hub", "daemon", "--config", str(self.config)],
                stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        try:
            self.wait_for(lambda: self._answers(), 30, "the daemon's /healthz")
            if synced:
                self.wait_for(lambda: self.ready().get("last_sync", {}).get("result") == "ok", 90, "the first sync")
        except BaseException:
            self.proc.kill()  # not left running when it never got ready
            self.proc.wait()
            raise
        return self

    def _answers(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"the daemon exited {self.proc.returncode}:\n{self.log_text()}")
        try:
            return self.http.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False

    def ready(self) -> dict[str, Any]:
        answer = self.http.get("/readyz")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def logs(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.log_text().splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines

    def messages(self) -> list[str]:
        return [entry["message"] for entry in self.logs()]

    def syncs(self) -> int:
        """How many syncs the daemon finished."""
        return sum(1 for m in self.messages() if m.startswith("synchronisation") and "terminée" in m)

    def wait_for(self, condition: Callable[[], Any], timeout: float, what: str) -> float:
        """Poll ``condition`` until true; how long it took."""
        start = time.monotonic()
        while True:
            if condition():
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise AssertionError(f"{what}: not within {timeout} s\n{self.log_text()[-6000:]}")
            time.sleep(0.05)

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 15) -> tuple[int, float]:
        """SIGTERM; the exit code and the seconds it took."""
        assert self.proc is not None
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"the daemon did not stop within {timeout} s\n{self.log_text()[-4000:]}") from None
        return code, time.monotonic() - start

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.http.close()


def daemon_sections(port: int, *, extra: str = "") -> str:
    """The ``[daemon]`` section of every test daemon (probes every half second, a short stop,
    ``extra`` lines added) and its files sink; the connectors under test follow it."""
    return f"""
[daemon]
listen = "127.0.0.1:{port}"
probe_interval = 0.5
file_interval = 0.2
stop_timeout = 2
{extra}

[connectors.exports]
type = "files"
path = "public"
"""


def daemon_config(
    folder: Path, caldav: CalDAVServer, calendar: str, pad: EtherpadServer, pad_id: str, site: Site, page: str,
    prefix: str, chat: FakeTelegram, port: int, *, extra: str = "",
) -> Path:
    """Every kind of channel the suite has a real server for, and the daemon's settings."""
    secret = folder / "secrets"
    secret.mkdir(parents=True, exist_ok=True)
    (secret / "caldav").write_text(caldav.password + "\n")
    (secret / "pad").write_text(pad.api_key + "\n")
    (secret / "site").write_text(site.admin.app_password + "\n")
    (secret / "telegram").write_text(chat.token + "\n")
    (secret / "trigger").write_text(TRIGGER + "\n")
    verify = "true" if caldav.verify is True else json.dumps(caldav.verify)
    sections = daemon_sections(port, extra=f'public = "public"\ntrigger_token_file = "secrets/trigger"\n{extra}')
    return write_config(folder, sections + f"""
[connectors.calendar]
type = "caldav"
url = "{calendar}"
username = "{caldav.username}"
password_file = "secrets/caldav"
verify = {verify}

[connectors.pad]
type = "etherpad"
url = "{pad.url}"
pad = "{pad_id}"
api_key_file = "secrets/pad"
owns = ["start", "end", "venue", "status"]

[connectors.site]
type = "wordpress"
url = "{site.url}"
username = "{site.admin.username}"
application_password_file = "secrets/site"
page = "{page}"
news_slug_prefix = "{prefix}"

[connectors.telegram]
type = "telegram"
api_url = "{chat.url}"
token_file = "secrets/telegram"
chats = [{CHAT}]
admins = [{ADMIN}]
pace_seconds = 0
""")


@contextlib.contextmanager
def telegram_fake() -> Iterator[FakeTelegram]:
    fake = FakeTelegram()
    with fake.running():
        fake.add_chat(CHAT)
        yield fake
        # The fake answers a long poll only when an update comes or its timeout ends; one update
        # ends the poll the stopped daemon left open, so the fake's server stops at once.
        fake.inject_message(CHAT, "fin")


@pytest.fixture(scope="package")
def telegram() -> Iterator[FakeTelegram]:
    with telegram_fake() as fake:
        yield fake


@pytest.fixture(scope="package")
def world(
    tmp_path_factory: pytest.TempPathFactory, radicale: CalDAVServer,
    etherpad_server: EtherpadServer, wordpress_site: Site, telegram: FakeTelegram,
) -> Iterator[tuple[DaemonProcess, dict[str, str]]]:
    """One daemon over every kind of channel, shared by the directory's modules (its first sync
    on fresh remotes is the costly part): test_daemon.py, then test_stop.py, which stops it."""
    folder = tmp_path_factory.mktemp("daemon")
    daemon, names = new_daemon(folder, radicale, etherpad_server, wordpress_site, telegram)
    daemon.start()
    try:
        yield daemon, names
    finally:
        daemon.close()


def new_daemon(folder: Path, caldav: CalDAVServer, pad: EtherpadServer, site: Site, chat: FakeTelegram,
               *, extra: str = "") -> tuple[DaemonProcess, dict[str, str]]:
    """A configured daemon (not started) and the remote names it writes to."""
    names = {
        "calendar": caldav.new_calendar(),
        "pad": f"daemon-{secrets.token_hex(3)}",
        "page": f"programme-{secrets.token_hex(3)}",
        "prefix": f"changes-{secrets.token_hex(3)}",
    }
    port = free_port()
    config = daemon_config(folder, caldav, names["calendar"], pad, names["pad"], site, names["page"],
                           names["prefix"], chat, port, extra=extra)
    return DaemonProcess(config, port), names
