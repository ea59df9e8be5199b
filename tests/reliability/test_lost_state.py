"""A lost state store (a removed Docker volume, a reinstall) is recovered from, on every connector
that keeps remote state: the next sync finds again what the hub wrote (calendar events by their
marker, the pad's programme, the WordPress page and news posts) and writes no duplicate; every
later sync is as cheap as before. A chat's day messages cannot be found again (Telegram's Bot API
lists no past messages): each day is posted once more, and only once.
"""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.caldav.conftest import CalDAVServer, radicale  # noqa: F401  (fixture)
from tests.etherpad.conftest import EtherpadServer, etherpad_server  # noqa: F401  (fixture)
from tests.fakes.telegram import FakeTelegram
from tests.helpers import edit_programme, hub_json, write_config
from tests.wordpress.conftest import wordpress_site  # noqa: F401  (fixture)
from tests.wordpress.site import Site

CHAT = -1001


@pytest.fixture
def telegram() -> Any:
    fake = FakeTelegram()
    with fake.running():
        fake.add_chat(CHAT)
        yield fake


def configure(folder: Path, calendar: str, caldav: CalDAVServer, pad: EtherpadServer, pad_id: str, site: Site,
              page: str, prefix: str, chat: FakeTelegram) -> Path:
    secret = folder / "secrets"
    secret.mkdir(parents=True, exist_ok=True)
    (secret / "caldav").write_text(caldav.password + "\n")
    (secret / "pad").write_text(pad.api_key + "\n")
    (secret / "site").write_text(site.admin.app_password + "\n")
    (secret / "telegram").write_text(chat.token + "\n")
    verify = "true" if caldav.verify is True else json.dumps(caldav.verify)
    return write_config(folder, f"""
[connectors.exports]
type = "files"
path = "public"

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
pace_seconds = 0
""")


def wordpress_state(site: Site, page: str, prefix: str) -> tuple[int, int]:
    auth = (site.admin.username, site.admin.app_password)
    with httpx.Client(base_url=site.rest, auth=auth, timeout=30) as client:
        pages = client.get("/pages", params={"slug": page, "status": "publish,draft", "context": "edit"}).json()
        posts = client.get("/posts", params={"status": "publish,draft", "per_page": 100, "context": "edit"}).json()
    return len(pages), len([p for p in posts if p["slug"].startswith(prefix)])


def pad_text(pad: EtherpadServer, pad_id: str) -> str:
    answer = httpx.get(f"{pad.api}/getText", params={"apikey": pad.api_key, "padID": pad_id}, timeout=30).json()
    text: str = answer["data"]["text"]
    return text


def calendar_count(caldav: CalDAVServer, url: str) -> int:
    import caldav as caldav_library

    client = caldav_library.DAVClient(url=url, username=caldav.username, password=caldav.password,
                                      ssl_verify_cert=caldav.verify)
    return len(client.calendar(url=url).events())


def test_a_lost_state_store_is_recovered_from_without_a_duplicate(
    tmp_path: Path, radicale: CalDAVServer, etherpad_server: EtherpadServer,  # noqa: F811
    wordpress_site: Site, telegram: FakeTelegram,  # noqa: F811
) -> None:
    calendar = radicale.new_calendar()
    pad_id, page, prefix = (f"lost-{secrets.token_hex(3)}", f"programme-{secrets.token_hex(3)}",
                            f"changes-{secrets.token_hex(3)}")
    config = configure(tmp_path, calendar, radicale, etherpad_server, pad_id, wordpress_site, page, prefix, telegram)
    first = hub_json("sync", "--config", str(config))
    assert all(c["failed"] == 0 for c in first["connectors"].values()), first
    edit_programme(tmp_path, "restitution", start="2021-11-12T16:00")
    hub_json("sync", "--config", str(config))
    before = {
        "calendar": calendar_count(radicale, calendar),
        "pad": pad_text(etherpad_server, pad_id),
        "site": wordpress_state(wordpress_site, page, prefix),
        "chat": len(telegram.messages(CHAT)),
    }
    assert before["site"] == (1, 1) and before["calendar"] == 22

    shutil.rmtree(tmp_path / "state")  # the volume is gone
    recovered = hub_json("sync", "--config", str(config))
    assert all(c["failed"] == 0 for c in recovered["connectors"].values()), recovered
    assert calendar_count(radicale, calendar) == 22, "no event created twice"
    assert pad_text(etherpad_server, pad_id) == before["pad"], "the pad's programme found again, not doubled"
    assert wordpress_state(wordpress_site, page, prefix) == before["site"], "one page, the news post not repeated"
    # The Bot API cannot list a chat's past messages, so the day messages cannot be found again:
    # each day is posted once more (the old ones stay in the history), and never again after.
    reposted = telegram.messages(CHAT)[before["chat"]:]
    assert len(reposted) == 3 and all(m.text.startswith("Programme du") for m in reposted), \
        "one new message per day, the announcement not repeated"

    quiet = hub_json("sync", "--config", str(config))
    assert len(telegram.messages(CHAT)) == before["chat"] + 3
    for name, figures in quiet["connectors"].items():
        assert (figures["created"], figures["updated"], figures["deleted"], figures["failed"]) == (0, 0, 0, 0), name
    assert quiet["connectors"]["calendar"]["requests"] <= 1
