"""The organisers' page in a real headless browser: Debian's Chromium driven by Selenium,
over a ``hub daemon`` child process beside the suite's real Radicale and Etherpad servers and
the Telegram fake."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.caldav.conftest import CalDAVServer, radicale
from tests.daemon.conftest import DaemonProcess, daemon_sections
from tests.etherpad.conftest import EtherpadServer, etherpad_server
from tests.fakes.loopback import free_port
from tests.fakes.telegram import FakeTelegram
from tests.helpers import write_config
from tests.peers.process import missing_peer

__all__ = ["etherpad_server", "radicale"]

GROUP = -1002
ADMIN = 4343
STRANGER = 1000
CHROMIUM = os.environ.get("HUB_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HUB_CHROMEDRIVER", "/usr/bin/chromedriver")


@dataclass
class World:
    daemon: DaemonProcess
    folder: Path
    calendar: str
    pad: str
    telegram: FakeTelegram


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, radicale: CalDAVServer,
          etherpad_server: EtherpadServer) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("admin")
    telegram = FakeTelegram()
    with telegram.running():
        telegram.add_chat(GROUP)
        telegram.add_chat(ADMIN, type="private")
        telegram.add_chat(STRANGER, type="private")
        calendar, pad = radicale.new_calendar(), f"admin-{secrets.token_hex(3)}"
        port = free_port()
        daemon = DaemonProcess(config(folder, radicale, calendar, etherpad_server, pad, telegram, port), port)
        try:
            daemon.start()
            yield World(daemon, folder, calendar, pad, telegram)
        finally:
            with contextlib.suppress(AssertionError):
                daemon.stop()
            daemon.close()
            telegram.inject_message(GROUP, "fin")  # ends the long poll the stopped daemon left open


def config(folder: Path, caldav: CalDAVServer, calendar: str, pad: EtherpadServer, pad_id: str,
           chat: FakeTelegram, port: int) -> Path:
    secret = folder / "secrets"
    secret.mkdir(parents=True, exist_ok=True)
    (secret / "caldav").write_text(caldav.password + "\n")
    (secret / "pad").write_text(pad.api_key + "\n")
    (secret / "telegram").write_text(chat.token + "\n")
    verify = "true" if caldav.verify is True else json.dumps(caldav.verify)
    return write_config(folder, daemon_sections(port, extra='public = "public"') + f"""
[connectors.calendar]
type = "caldav"
url = "{calendar}"
username = "{caldav.username}"
password_file = "secrets/caldav"
verify = {verify}
owns = ["start", "end", "venue", "status"]

[connectors.pad]
type = "etherpad"
url = "{pad.url}"
pad = "{pad_id}"
api_key_file = "secrets/pad"
owns = ["title", "description", "start", "end", "venue", "hosts", "status", "existence"]

[connectors.telegram]
type = "telegram"
api_url = "{chat.url}"
token_file = "secrets/telegram"
chats = [{GROUP}]
admins = [{ADMIN}]
pace_seconds = 0
""")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium through chromium-driver (both from Debian's packages)."""
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        missing_peer("chromium", f"{CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,800", "--lang=fr-FR", "--hide-scrollbars"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: ``HUB_SCREENSHOTS`` (docs/screenshots for the README), else a
    folder of the test run's."""
    chosen = os.environ.get("HUB_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
