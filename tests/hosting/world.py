"""Many collectives on the files sink, the Telegram fake and (some) a real Radicale, each with
the reference programme, its own chat and its own trigger token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.caldav.conftest import CalDAVServer
from tests.fakes.telegram import FakeTelegram
from tests.helpers import write_config


@dataclass
class Hosted:
    """One collective of the test: its id, folder, chat and token (and calendar, if any)."""

    id: str
    folder: Path
    chat: int
    token: str
    calendar: str | None = None

    @property
    def config(self) -> Path:
        return self.folder / "hub.toml"

    def exports(self) -> Path:
        return self.folder / "public" / "programme.ics"

    def ics_has(self, session: str, stamp: str) -> bool:
        if not self.exports().exists():
            return False
        ics = self.exports().read_text(encoding="utf-8")
        event = next((e for e in ics.split("BEGIN:VEVENT")[1:] if f"X-HUB-ID:{session}" in e), "")
        return stamp in event


def make_collective(root: Path, index: int, chat: FakeTelegram | None, caldav: CalDAVServer | None,
                    *, probe_interval: float = 1.0) -> Hosted:
    """A collective's folder: hub.toml, the reference programme, its secrets; its chat on the fake
    (none without a fake)."""
    collective_id = f"coll_{index:03d}"
    folder = root / collective_id
    secret = folder / "secrets"
    secret.mkdir(parents=True)
    chat_id = -100_000 - index
    token = f"trigger-{secrets.token_hex(12)}"
    (secret / "trigger").write_text(token + "\n")
    chat_section = ""
    if chat is not None:
        chat.add_chat(chat_id, title=f"Collectif {index}")
        (secret / "telegram").write_text(chat.token + "\n")
        chat_section = f"""
[connectors.telegram]
type = "telegram"
api_url = "{chat.url}"
token_file = "secrets/telegram"
chats = [{chat_id}]
pace_seconds = 0
"""
    calendar_section = ""
    calendar = None
    if caldav is not None:
        calendar = caldav.new_calendar()
        (secret / "caldav").write_text(caldav.password + "\n")
        calendar_section = f"""
[connectors.calendar]
type = "caldav"
url = "{calendar}"
username = "{caldav.username}"
password_file = "secrets/caldav"
"""
    write_config(folder, f"""
[daemon]
probe_interval = {probe_interval}
trigger_token_file = "secrets/trigger"

[connectors.exports]
type = "files"
path = "public"
{chat_section}{calendar_section}""", database="sqlite:///unused-when-hosted.db")
    return Hosted(collective_id, folder, chat_id, token, calendar)


def trigger(base: str, hosted: Hosted, token: str | None = None) -> httpx.Response:
    return httpx.post(f"{base}/webhooks/{hosted.id}/trigger", headers={"X-Hub-Token": token or hosted.token},
                      timeout=10)


def announced(chat: FakeTelegram, hosted: Hosted, since: int, title: str = "Accueil et météo") -> int:
    """How many messages naming ``title`` went to the collective's chat after its ``since``-th send."""
    return sum(1 for c in chat.sends(hosted.chat)[since:] if title in str(c.params.get("text")))
