"""``hub init`` against the suite's real Radicale, Etherpad and WordPress and the Telegram fake."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.telegram import FakeTelegram
from tests.helpers import REFERENCE, REPO

#: A programme of three sessions on one day, for the tests of a single tool: their first sync
#: proves the writes, at a fraction of the reference programme's 22 sessions.
SMALL_PROGRAMME = """\
event:
  id: assemblee-communs-2021
  title: Assemblée des communs
  timezone: Europe/Paris
  language: fr
days:
  - date: 2021-11-13
venues:
  - id: huit-pillards
    name: Les 8 Pillards
sessions:
  - id: ouverture
    title: Ouverture
    start: 2021-11-13T10:00
    end: 2021-11-13T11:00
    venue: huit-pillards
  - id: atelier-culture-juridique
    title: Culture juridique
    start: 2021-11-13T14:00
    end: 2021-11-13T16:30
    venue: huit-pillards
  - id: cloture
    title: Clôture
    start: 2021-11-13T17:00
    end: 2021-11-13T18:00
    venue: huit-pillards
"""
GROUP = -1009001
ORGANISER = 4242


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    """A bot in one group where an organiser wrote /start and someone else wrote hello."""
    fake = FakeTelegram()
    with fake.running():
        fake.add_chat(GROUP, title="Assemblée des communs")
        fake.inject_message(GROUP, "/start", user_id=ORGANISER, first_name="Ann", username="ann")
        fake.inject_message(GROUP, "bonjour", user_id=5151, first_name="Bob")
        yield fake


@dataclass
class Names:
    """Remote names of this test's own (the servers are shared by the whole suite)."""

    calendar: str
    pad: str
    page: str
    prefix: str

    @classmethod
    def fresh(cls) -> Names:
        tag = secrets.token_hex(3)
        return cls(f"init-{tag}", f"init-{tag}", f"programme-init-{tag}", f"changes-init-{tag}")


def answers_text(names: Names, caldav_url: str, user: str, password: str, pad_url: str, pad_key: str,
                 site_url: str, site_user: str, site_password: str, telegram: FakeTelegram,
                 *, language: str = "en") -> str:
    """The answers file of the reference set-up: every tool the suite has a server for."""
    return f"""
[hub]
language = "{language}"
programme = "{REFERENCE}"
tools = ["caldav", "etherpad", "wordpress", "telegram", "files"]

[caldav]
url = "{caldav_url}"
username = "{user}"
password = "{password}"
calendar = "{names.calendar}"

[etherpad]
url = "{pad_url}"
api_key = "{pad_key}"
pad = "{names.pad}"

[wordpress]
url = "{site_url}"
username = "{site_user}"
password = "{site_password}"
page = "{names.page}"
news_slug_prefix = "{names.prefix}"

[telegram]
api_url = "{telegram.url}"
token = "{telegram.token}"
wait = 5

[files]
path = "public"
"""


def hub(*args: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real ``hub`` command in a child process (standard input not a terminal)."""
    return subprocess.run([sys.executable, "-m", "hub", *args], capture_output=True, text=True, cwd=REPO,
                          input=stdin if stdin is not None else "", timeout=timeout,
                          env={**os.environ, "HUB_LANGUAGE": "en", "PYTHONUNBUFFERED": "1"})


def small_programme(folder: Path) -> Path:
    """Write :data:`SMALL_PROGRAMME` in ``folder``; its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "programme.yaml"
    path.write_text(SMALL_PROGRAMME, encoding="utf-8")
    return path


def secret_files(folder: Path) -> dict[str, int]:
    """Each secret file and its permission bits."""
    return {p.name: p.stat().st_mode & 0o777 for p in (folder / "secrets").iterdir() if p.name != ".gitignore"}
